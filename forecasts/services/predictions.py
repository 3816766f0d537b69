"""Forecasts: create, update (a move is an update of analyst or question), delete; and phrase → probability."""

from contextlib import nullcontext

from django.db import transaction

from forecasts.db import write_pass
from forecasts.models import Prediction, ProbabilityPhrase, Question
from forecasts.services import rules, scores


def probability_for(*, basis: str, phrase: ProbabilityPhrase | None, probability: float | None) -> float | None:
    """The one place a `phrase` forecast takes its number from the phrase table (when it is written; a later
    table edit re-derives open questions' forecasts through services.phrases)."""
    if basis == Prediction.Basis.PHRASE and phrase is not None:
        return phrase.probability
    return probability


def _validate(prediction: Prediction) -> None:
    # The row's own rules live in Prediction.clean (one message for a missing probability, not two).
    prediction.full_clean(exclude=["probability"] if prediction.probability is None else None)


def _locked_questions(*question_ids: int) -> dict[int, Question]:
    """Lock the questions a forecast is written to (in id order): a judgement racing this write waits for it,
    and this write sees a judgement that committed first."""
    ids = sorted({pk for pk in question_ids if pk is not None})
    return {q.pk: q for q in Question.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def prediction_create(*, data: dict, user) -> Prediction:
    """Record a forecast. The object rule, and no new forecast on a judged question (an admin's backfill aside)."""
    rules.require_may_write_forecasts_of(user=user, analyst=data["analyst"])
    with transaction.atomic():
        question = _locked_questions(data["question"].pk)[data["question"].pk]
        reason = rules.new_forecast_on(user=user, question=question)
        prediction = Prediction(**{**data, "question": question}, created_by=rules.recorded_user(user))
        prediction.probability = probability_for(
            basis=prediction.basis, phrase=prediction.phrase, probability=prediction.probability
        )
        _validate(prediction)
        prediction._history_user = rules.recorded_user(user)
        prediction._change_reason = reason or None
        prediction.save()
        if rules.is_judged(question):
            scores.scores_put_in(predictions=Prediction.objects.filter(pk=prediction.pk))
    return prediction


def prediction_update(*, prediction_id: int, data: dict, user) -> Prediction:
    """Edit or move a forecast. The object rule holds for the old and the new analyst; on a judged question (the
    old or the new one) the scored fields are frozen, except for an admin's correction, which is recorded."""
    with transaction.atomic():
        prediction = Prediction.objects.select_for_update().select_related("analyst").get(pk=prediction_id)
        new_analyst = data.get("analyst", prediction.analyst)
        rules.require_may_write_forecasts_of(user=user, analyst=prediction.analyst)
        rules.require_may_write_forecasts_of(user=user, analyst=new_analyst)
        old_analyst_id, old_question_id = prediction.analyst_id, prediction.question_id
        new_question_id = data["question"].pk if "question" in data else old_question_id
        questions = _locked_questions(old_question_id, new_question_id)
        before = {name: getattr(prediction, name) for name in data} | {"probability": prediction.probability}
        requested = {name for name, value in data.items() if before[name] != value}
        for name, value in data.items():
            setattr(prediction, name, value)
        prediction.question = questions[new_question_id]
        prediction.probability = probability_for(
            basis=prediction.basis, phrase=prediction.phrase, probability=prediction.probability
        )
        changed = requested | {name for name, value in before.items() if getattr(prediction, name) != value}
        judged = any(rules.is_judged(q) for q in questions.values())
        reason = rules.frozen_change(user=user, judged=judged, changed=changed)
        _validate(prediction)
        prediction._history_user = rules.recorded_user(user)
        prediction._change_reason = reason or None
        if judged:
            # Old and new analyst locked together, in id order, before either's sums move.
            scores.analysts_lock(analyst_ids={old_analyst_id, prediction.analyst_id})
            scores.scores_take_out(predictions=Prediction.objects.filter(pk=prediction.pk))
        with write_pass(reason=reason) if reason else nullcontext():
            prediction.save()
        if judged:
            scores.scores_put_in(predictions=Prediction.objects.filter(pk=prediction.pk))
    return prediction


def prediction_delete(*, prediction_id: int, user) -> None:
    """Delete a forecast: the object rule; on a judged question only as an admin's correction (recorded)."""
    with transaction.atomic():
        prediction = Prediction.objects.select_for_update().select_related("analyst").get(pk=prediction_id)
        rules.require_may_write_forecasts_of(user=user, analyst=prediction.analyst)
        question = _locked_questions(prediction.question_id)[prediction.question_id]
        reason = rules.frozen_change(user=user, judged=rules.is_judged(question), changed=set(rules.SCORED_FIELDS))
        prediction._history_user = rules.recorded_user(user)
        prediction._change_reason = reason or None
        if rules.is_judged(question):
            scores.scores_take_out(predictions=Prediction.objects.filter(pk=prediction.pk))
        prediction.delete()
