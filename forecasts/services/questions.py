"""Questions: create, update, delete, resolve, un-resolve, and the effects of judging, in one place."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from forecasts.models import REOPENED, SCORED_OUTCOMES, Outcome, Prediction, Question, Resolution, ResolutionCheck
from forecasts.services import bulk, rules, scores


def question_create(*, data: dict, topics: list | None = None, user) -> Question:
    """A new question; its owner, when given, is an active analyst."""
    rules.require_assignable(data.get("owner"), field="owner")
    with transaction.atomic():
        question = Question(**data)
        question.full_clean(validate_unique=False, validate_constraints=False)
        question._history_user = rules.recorded_user(user)
        question.save()
        if topics:
            question.topics.set(topics)
    return question


def question_update(
    *, question_id: int, data: dict, topics: list | None = None, expected_version: int | None = None, user
) -> Question:
    """Edit a question; every edit moves its version on, and a stale `expected_version` loses."""
    if "owner" in data:
        rules.require_assignable(data["owner"], field="owner")
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        if expected_version is not None and question.version != expected_version:
            raise rules.StaleVersion(question.version)
        for name, value in data.items():
            setattr(question, name, value)
        question.full_clean(validate_unique=False, validate_constraints=False)
        question.version += 1
        question._history_user = rules.recorded_user(user)
        question.save()
        if topics is not None:
            question.topics.set(topics)
    return question


def question_delete(*, question_id: int, user) -> None:
    """Delete a question no one judged (with its forecasts and checks): admins only."""
    rules.require_admin(user=user, action="delete a question")
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        if question.resolutions.exists():
            raise rules.Conflict(f"“{question.title}” has judgements in its history; it cannot be deleted.")
        question._history_user = rules.recorded_user(user)
        question.delete()


def question_resolve(
    *,
    question_id: int,
    outcome: str,
    evidence: str,
    evidence_url: str = "",
    user,
    expected_version: int | None = None,
) -> Resolution:
    """Judge a question: append a Resolution row, make it current, complete its checks, move the scores."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"Unknown outcome {outcome!r}; use one of {', '.join(Outcome.values)}."})
    rules.require_evidence(evidence)
    return _judge_one(question_id, outcome, evidence, evidence_url, user=user, expected_version=expected_version)


def question_unresolve(*, question_id: int, reason: str, user, expected_version: int | None = None) -> Resolution:
    """Reopen a judged question by appending a `reopened` row; its earlier judgements stay in the history."""
    rules.require_evidence(reason, field="reason")
    return _judge_one(question_id, REOPENED, reason, "", user=user, expected_version=expected_version)


def _judge_one(question_id, outcome, evidence, evidence_url, *, user, expected_version) -> Resolution:
    with transaction.atomic():
        changed = judgements_apply(
            judgements={question_id: outcome},
            evidence=evidence,
            evidence_url=evidence_url,
            user=user,
            expected_version=expected_version,
        )
        if not changed:
            current = Question.objects.filter(pk=question_id).values_list("version", "outcome").first()
            if current is None:
                raise Question.DoesNotExist(f"No question {question_id}.")
            version, current_outcome = current
            if outcome == REOPENED and not current_outcome:
                raise rules.Conflict("The question is open already.")
            raise rules.StaleVersion(version)
        return Resolution.objects.filter(question_id=question_id).select_related("question").latest()


def judgements_apply(
    *,
    judgements: dict[int, str],
    evidence: str,
    evidence_url: str = "",
    user,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    reason: str = "",
) -> list[int]:
    """The effects of judging (or, with `reopened`, reopening) questions, in one place for every door: the
    question's current outcome and version move in one conditional UPDATE, a Resolution row is appended, the
    audit trail records the question's new state, open checks are completed, the stored scores move by the
    questions' forecasts' old contribution out and new one in.

    Reopening applies only to a judged question; `expected_version` only to a single question. The questions are
    locked first (in id order), so that their forecasts' old contribution is read after any concurrent judgement
    committed; the conditional UPDATE then checks, so of two concurrent writers the second sees the first's
    result (zero rows). Returns the ids that changed.
    """
    now = now or timezone.now()
    recorded = rules.recorded_user(user)
    changed: list[int] = []
    with transaction.atomic():
        outcomes = _locked_outcomes(judgements)
        _forecasts_of(_scored(outcomes), scores.scores_take_out)
        by_outcome: dict[str, list[int]] = {}
        for question_id, outcome in judgements.items():
            by_outcome.setdefault(outcome, []).append(question_id)
        for outcome, ids in sorted(by_outcome.items()):
            rows = _set_outcome(ids, outcome="" if outcome == REOPENED else outcome, now=now,
                                expected_version=expected_version, judged_only=outcome == REOPENED)
            if not rows:
                continue
            ids = [row["id"] for row in rows]
            changed += ids
            outcomes.update(dict.fromkeys(ids, "" if outcome == REOPENED else outcome))
            why = reason or ("reopened" if outcome == REOPENED else f"resolved: {outcome}")
            bulk.record_history(Question, rows, user=recorded, history_type="~", reason=why)
            bulk.insert(
                Resolution,
                [
                    {"question_id": pk, "outcome": outcome, "evidence": evidence, "evidence_url": evidence_url,
                     "resolved_by_id": getattr(recorded, "pk", None), "resolved_at": now}
                    for pk in ids
                ],
                user=recorded,
                reason=why,
            )
            if outcome != REOPENED:
                _complete_checks(ids, now=now)
        # Every question scored now, also one that did not change (a stale version): its part went out above.
        _forecasts_of(_scored(outcomes), scores.scores_put_in)
    return changed


def _forecasts_of(question_ids: list[int], move) -> None:
    for ids in bulk.in_sets(question_ids):
        move(predictions=Prediction.objects.filter(question_id__in=ids))


def _locked_outcomes(question_ids) -> dict[int, str]:
    """Lock the questions (in id order: two bulk judgements cannot deadlock); their current outcomes."""
    outcomes = {}
    for ids in bulk.in_sets(question_ids):
        locked = Question.objects.filter(pk__in=ids).order_by("pk").select_for_update()
        outcomes.update(locked.values_list("pk", "outcome"))
    return outcomes


def _scored(outcomes: dict[int, str]) -> list[int]:
    return [pk for pk, outcome in outcomes.items() if outcome in SCORED_OUTCOMES]


def _set_outcome(ids: list[int], *, outcome: str, now, expected_version: int | None, judged_only: bool) -> list[dict]:
    """UPDATE the questions' outcome and version (with the conditions); their new rows, for the audit trail."""
    columns = bulk.history_fields(Question)
    names = [f.attname for f in columns]
    if connection.vendor != "postgresql":
        rows = []
        for chunk in bulk.chunks(ids):
            questions = Question.objects.filter(pk__in=chunk)
            if expected_version is not None:
                questions = questions.filter(version=expected_version)
            if judged_only:
                questions = questions.exclude(outcome="")
            # SQLite serializes write transactions (IMMEDIATE): nothing changes between this read and the UPDATE.
            wanted = list(questions.values_list("pk", flat=True))
            Question.objects.filter(pk__in=wanted).update(outcome=outcome, version=F("version") + 1, updated_at=now)
            rows += list(Question.objects.filter(pk__in=wanted).values(*names))
        return rows
    conditions, params = "", [outcome, now, ids]
    if expected_version is not None:
        conditions += " AND version = %s"
        params.append(expected_version)
    if judged_only:
        conditions += " AND outcome <> ''"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE forecasts_question SET outcome = %s, version = version + 1, updated_at = %s "
            f"WHERE id = ANY(%s){conditions} "
            f"RETURNING {', '.join(connection.ops.quote_name(f.column) for f in columns)}",
            params,
        )
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _complete_checks(ids: list[int], *, now) -> None:
    if connection.vendor != "postgresql":
        for chunk in bulk.chunks(ids):
            ResolutionCheck.objects.filter(question_id__in=chunk, status__in=ResolutionCheck.NOT_DONE).update(
                status=ResolutionCheck.Status.DONE, completed_at=now
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            # A join with the ids, not `question_id = ANY(…)`: against a parameter array PostgreSQL compares every
            # row with every id (a second per 3,000 ids at 100,000 checks), while the join hashes them.
            "UPDATE forecasts_resolutioncheck SET status = %s, completed_at = %s FROM unnest(%s::bigint[]) AS judged(id) "
            "WHERE question_id = judged.id AND status = ANY(%s)",
            [ResolutionCheck.Status.DONE.value, now, ids, [status.value for status in ResolutionCheck.NOT_DONE]],
        )
