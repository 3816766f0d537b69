"""Forecasts saved or deleted one by one (the admin, the API, the pages, factories) keep the stored scores current.

Bulk writes (CSV import, the phrase table's re-derivation, judgements) skip these signals and refresh the
stored scores themselves.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from forecasts.models import Prediction
from forecasts.services import prediction_scores_follow


@receiver(post_save, sender=Prediction, dispatch_uid="prediction_saved_scores")
@receiver(post_delete, sender=Prediction, dispatch_uid="prediction_deleted_scores")
def prediction_changed(sender, instance: Prediction, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata: the fixture's rows are not consistent yet
        return
    prediction_scores_follow(prediction=instance)
    instance._loaded_analyst_id, instance._loaded_question_id = instance.analyst_id, instance.question_id
