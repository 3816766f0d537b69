"""The phrase table: rows added by the seeds, edited by admins; an edit re-derives open questions' forecasts."""

from django.db import transaction

from forecasts.models import Prediction, ProbabilityPhrase
from forecasts.services import bulk, rules


def phrase_create(*, data: dict, user) -> ProbabilityPhrase:
    rules.require_admin(user=user, action="add a row to the phrase table")
    phrase = ProbabilityPhrase(**data)
    phrase.full_clean()
    phrase._history_user = rules.recorded_user(user)
    phrase.save()
    return phrase


def phrase_update(*, phrase_id: int, data: dict, user) -> ProbabilityPhrase:
    """Edit a row. Every `phrase` forecast on an open question takes the new number; a forecast on a judged
    question keeps the number it was judged with (also after an un-resolve, until the table changes again)."""
    rules.require_admin(user=user, action="edit the phrase table")
    with transaction.atomic():
        phrase = ProbabilityPhrase.objects.select_for_update().get(pk=phrase_id)
        for name, value in data.items():
            setattr(phrase, name, value)
        phrase.full_clean()
        phrase._history_user = rules.recorded_user(user)
        phrase.save()
        stale = Prediction.objects.filter(phrase=phrase, basis=Prediction.Basis.PHRASE, question__outcome="").exclude(
            probability=phrase.probability
        )
        ids = list(stale.values_list("pk", flat=True))
        for chunk in bulk.chunks(ids):
            # Open questions only: nothing scored moves, so the stored scores stay as they are.
            Prediction.objects.filter(pk__in=chunk).update(probability=phrase.probability)
            bulk.record_history(
                Prediction,
                list(Prediction.objects.filter(pk__in=chunk).values(*[f.attname for f in bulk.history_fields(Prediction)])),
                user=rules.recorded_user(user),
                history_type="~",
                reason=f"re-derived: phrase “{phrase.phrase}” is now {phrase.probability}",
            )
    return phrase
