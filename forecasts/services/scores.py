"""The stored scores (AnalystBinSums): maintained here and nowhere else.

They move by deltas. A write that changes what is scored (a judgement or un-resolve, a forecast created, changed,
moved or deleted on a judged question, an import, a merge) takes the part of the forecasts it touches out of the
stored sums before it writes (`scores_take_out`), and puts their new part in after (`scores_put_in`), inside its
own transaction and while it holds their questions' row locks, so that nothing else changes those forecasts or
their outcomes in between. Each is one statement that aggregates those forecasts and adds the sums to the
table: resolving a question with 2,000 forecasts reads those 2,000 rows, however many the analysts have elsewhere.

`analyst_scores_refresh` rewrites the sums from scratch: the `refresh_scores` command, after rows were written
behind the app's back (raw SQL, COPY, a restored dump).
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import QuerySet

from forecasts import selectors
from forecasts.models import SCORED_OUTCOMES, Analyst, AnalystBinSums, Prediction
from forecasts.services import bulk

_TABLE = AnalystBinSums._meta.db_table
_SUMS = [AnalystBinSums._meta.get_field(name).column for name in selectors.SUM_FIELDS]


def scores_take_out(*, predictions: QuerySet[Prediction]) -> None:
    """Before a write: subtract these forecasts' part (the scored ones, as they stand) from the stored sums; a
    row left with no forecast is deleted."""
    scored = _scored(predictions)
    analysts = analysts_lock(analyst_ids=predictions.values("analyst_id"))
    if not analysts:
        return
    part_sql, params = _part(scored)
    sums = ", ".join(f"{column} = {_TABLE}.{column} - part.{column}" for column in _SUMS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET {sums} FROM ({part_sql}) AS part "
            f"WHERE {_TABLE}.analyst_id = part.analyst_id AND {_TABLE}.bin = part.bin",
            params,
        )
    for ids in bulk.in_sets(analysts):
        AnalystBinSums.objects.filter(analyst_id__in=ids, n=0).delete()


def scores_put_in(*, predictions: QuerySet[Prediction]) -> None:
    """After a write: add these forecasts' part (the scored ones) to the stored sums, creating missing rows."""
    scored = _scored(predictions)
    # The analysts of all these forecasts, scored or not: a cheaper set to find than the scored ones' alone.
    if not analysts_lock(analyst_ids=predictions.values("analyst_id")):
        return
    part_sql, params = _part(scored)
    columns = ", ".join(["analyst_id", "bin", *_SUMS])
    sums = ", ".join(f"{column} = {_TABLE}.{column} + excluded.{column}" for column in _SUMS)
    with connection.cursor() as cursor:
        # WHERE true: SQLite would otherwise read the ON of ON CONFLICT as a join's.
        cursor.execute(
            f"INSERT INTO {_TABLE} ({columns}) SELECT {columns} FROM ({part_sql}) AS part WHERE true "
            f"ON CONFLICT (analyst_id, bin) DO UPDATE SET {sums}",
            params,
        )


def analysts_lock(*, analyst_ids: Iterable[int] | QuerySet) -> list[int]:
    """Lock these analysts' rows, in id order: an analyst's stored sums are written only under that lock, so two
    writers of the same sums wait for each other instead of deadlocking on the rows. Returns the ids locked.

    A write that moves forecasts between analysts locks both first. NO KEY UPDATE does not block inserting a
    prediction (which takes KEY SHARE on its analyst); a merge's FOR UPDATE waits for it, and it for a merge.
    """
    analysts = Analyst.objects.filter(pk__in=analyst_ids).order_by("pk").select_for_update(no_key=True)
    return list(analysts.values_list("pk", flat=True))


def _scored(predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
    return predictions.filter(question__outcome__in=SCORED_OUTCOMES)


def _part(scored: QuerySet[Prediction]) -> tuple[str, tuple]:
    """The forecasts' sums per analyst and bin, as SQL (the selectors' GROUP BY: the formulas have one home)."""
    return selectors.bin_sums_by_analyst(scored, bins=AnalystBinSums.BINS).query.sql_with_params()


def analyst_scores_refresh(*, analyst_ids: Iterable[int] | None = None) -> None:
    """Rewrite the stored bin sums of these analysts (None: of every analyst) from their scored predictions: the
    repair for rows written behind the app's back. The app's own writes move the sums by deltas instead."""
    with transaction.atomic():
        analysts = Analyst.objects.all()
        if analyst_ids is not None:
            wanted = sorted({pk for pk in analyst_ids if pk is not None})
            if not wanted:
                return
            analysts = analysts.filter(pk__in=wanted)
        # The same locks as a delta: it waits for the rewrite, and the rewrite for it.
        ids = analysts_lock(analyst_ids=analysts.values("pk"))
        stored, predictions = AnalystBinSums.objects.all(), selectors.scored_predictions()
        if analyst_ids is not None:
            stored, predictions = stored.filter(analyst_id__in=ids), predictions.filter(analyst_id__in=ids)
        stored.delete()
        # INSERT … SELECT: the sums go from the aggregate straight into the table, never through Python.
        select_sql, params = _part(predictions)
        columns = ", ".join(["analyst_id", "bin", *_SUMS])
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {_TABLE} ({columns}) SELECT {columns} FROM ({select_sql}) AS part", params)
