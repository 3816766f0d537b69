"""The stored scores (AnalystBinSums): maintained here and nowhere else.

Every write that changes what is scored (a judgement or un-resolve, a forecast created, changed, moved or deleted
on a judged question, an import, a merge) calls one of these inside its own transaction.
"""

from collections.abc import Iterable

from django.db import connection, transaction

from forecasts import selectors
from forecasts.models import SCORED_OUTCOMES, Analyst, AnalystBinSums, Prediction, Question


def analyst_scores_refresh(*, analyst_ids: Iterable[int] | None = None) -> None:
    """Rewrite the stored bin sums of these analysts (None: of every analyst) from their scored predictions."""
    with transaction.atomic():
        analysts = Analyst.objects.order_by("pk")
        if analyst_ids is not None:
            wanted = sorted({pk for pk in analyst_ids if pk is not None})
            if not wanted:
                return
            analysts = analysts.filter(pk__in=wanted)
        # Two writers refreshing one analyst at once would each miss the other's uncommitted change. The row
        # lock (taken in id order, so two writers cannot deadlock) makes the second wait, and its next statement
        # then reads what the first committed. NO KEY UPDATE does not block inserting a prediction, which takes
        # KEY SHARE on its analyst.
        ids = list(analysts.select_for_update(no_key=True).values_list("pk", flat=True))
        stored, predictions = AnalystBinSums.objects.all(), selectors.scored_predictions()
        if analyst_ids is not None:
            stored, predictions = stored.filter(analyst_id__in=ids), predictions.filter(analyst_id__in=ids)
        stored.delete()
        # INSERT … SELECT: the sums go from the aggregate straight into the table, never through Python.
        sums = selectors.bin_sums_by_analyst(predictions, bins=AnalystBinSums.BINS)
        select_sql, params = sums.query.sql_with_params()
        columns = ", ".join(
            AnalystBinSums._meta.get_field(name).column for name in ("analyst", "bin", *selectors.SUM_FIELDS)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {AnalystBinSums._meta.db_table} ({columns}) {select_sql}", params)


def analysts_of_questions(*, question_ids: Iterable[int]) -> set[int]:
    """The ids of the analysts who forecast on these questions."""
    question_ids, analyst_ids = list(question_ids), set()
    for start in range(0, len(question_ids), 5000):
        chunk = question_ids[start : start + 5000]
        analyst_ids.update(Prediction.objects.filter(question_id__in=chunk).values_list("analyst_id", flat=True).distinct())
    return analyst_ids


def scores_follow_questions(*, question_ids: Iterable[int], also_analysts: Iterable[int] = ()) -> None:
    """After these questions were judged or reopened (and these analysts' forecasts changed): refresh."""
    scores_follow_analysts(analyst_ids=analysts_of_questions(question_ids=question_ids) | set(also_analysts))


def scores_follow_analysts(*, analyst_ids: Iterable[int]) -> None:
    analyst_scores_refresh(analyst_ids=analyst_ids)


def scores_follow_forecast(*, analyst_ids: set[int], question_ids: set[int]) -> None:
    """After a forecast was created, changed, moved or deleted: refresh its analysts (old and new) if it is, or
    was, on a judged question."""
    if Question.objects.filter(pk__in=question_ids - {None}, outcome__in=SCORED_OUTCOMES).exists():
        scores_follow_analysts(analyst_ids=analyst_ids - {None})
