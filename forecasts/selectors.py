"""Reads. Scores are aggregated in the database with the formulas of scoring.py, one query per report."""

import datetime as dt

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Greatest, Least, Ln

from forecasts import scoring
from forecasts.models import SCORED_OUTCOMES, Analyst, AnalystBinSums, Outcome, Prediction


def analyst_by_name(*, name: str) -> Analyst | None:
    """The analyst whose name, slug or alias is `name` (case-insensitive), or None."""
    name = name.strip()
    return (
        Analyst.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name) | Q(aliases__name__iexact=name))
        .distinct()
        .first()
    )


class BinIndex(Func):
    """scoring.bin_index in SQL: LEAST(FLOOR(ROUND(p·B, 9)), B − 1), edges to the upper bin."""

    output_field = IntegerField()

    def __init__(self, probability, bins: int):
        self.bins = int(bins)
        super().__init__(probability)

    def as_sql(self, compiler, connection, **extra_context):
        p_sql, params = compiler.compile(self.source_expressions[0])
        scaled = f"({p_sql}) * {self.bins}"
        if connection.vendor == "postgresql":
            # ROUND(double, int) does not exist in PostgreSQL; numeric rounds exactly.
            rounded = f"ROUND(CAST({scaled} AS NUMERIC), {scoring.EDGE_DECIMALS})"
            return f"CAST(LEAST(FLOOR({rounded}), {self.bins - 1}) AS INTEGER)", params
        rounded = f"ROUND({scaled}, {scoring.EDGE_DECIMALS})"
        return f"CAST(MIN(FLOOR({rounded}), {self.bins - 1}) AS INTEGER)", params


# o: 1.0 for a yes, 0.0 for a no (only yes/no questions are scored).
OUTCOME = Case(When(question__outcome=Outcome.YES, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
P = F("probability")
_CLIPPED = Greatest(Least(P, Value(scoring.LOG_LOSS_CLIP[1])), Value(scoring.LOG_LOSS_CLIP[0]))
LOG_LOSS_TERM = -Ln(
    Case(When(question__outcome=Outcome.YES, then=_CLIPPED), default=Value(1.0) - _CLIPPED, output_field=FloatField())
)
SQUARED_ERROR = (P - OUTCOME) * (P - OUTCOME)


def scored_predictions(
    *,
    analyst: Analyst | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    topic: str | None = None,
    basis: str | None = None,
) -> QuerySet[Prediction]:
    """Predictions whose question's current outcome is yes or no; `since`/`until` bound made_at."""
    predictions = Prediction.objects.filter(question__outcome__in=SCORED_OUTCOMES)
    if analyst is not None:
        predictions = predictions.filter(analyst=analyst)
    if since is not None:
        predictions = predictions.filter(made_at__gte=since)
    if until is not None:
        predictions = predictions.filter(made_at__lt=until)
    if topic:
        predictions = predictions.filter(question__topics__slug=topic)
    if basis:
        predictions = predictions.filter(basis=basis)
    return predictions


SUM_FIELDS = ("n", "sum_f", "sum_o", "sum_ff", "sum_fo", "sum_log_loss")


def bin_sums_by_analyst(predictions: QuerySet[Prediction], *, bins: int) -> QuerySet:
    """Per analyst and bin, the sums of scoring.BinSums over `predictions` (scored ones): one GROUP BY."""
    return (
        predictions.annotate(bin=BinIndex(P, bins))
        .values("analyst_id", "bin")
        .annotate(
            n=Count("id"),
            sum_f=Sum(P),
            sum_o=Sum(OUTCOME),
            sum_ff=Sum(P * P),
            sum_fo=Sum(P * OUTCOME),
            sum_log_loss=Sum(LOG_LOSS_TERM),
        )
        .order_by()
    )


def _unfiltered(*filters) -> bool:
    return all(value is None or value == "" for value in filters)


def calibration_for_analyst(
    *,
    analyst: Analyst,
    bins: int = scoring.DEFAULT_BINS,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    topic: str | None = None,
    basis: str | None = None,
    stored: bool = True,
) -> scoring.Calibration:
    """One analyst's calibration report in one query, however many predictions there are.

    The default report (ten bins, no filter) reads the stored bin sums; any other aggregates the predictions.
    `stored=False` always aggregates (tests compare the two).
    """
    if stored and bins == AnalystBinSums.BINS and _unfiltered(since, until, topic, basis):
        rows = AnalystBinSums.objects.filter(analyst=analyst).values("bin", *SUM_FIELDS)
    else:
        predictions = scored_predictions(analyst=analyst, since=since, until=until, topic=topic, basis=basis)
        rows = bin_sums_by_analyst(predictions, bins=bins)
    sums = {row["bin"]: scoring.BinSums(**{name: row[name] for name in SUM_FIELDS}) for row in rows}
    return scoring.calibration_from_bin_sums(sums, bins)


LEADERBOARD_ORDERINGS = {
    "brier": F("brier").asc(),
    "-brier": F("brier").desc(),
    "log_loss": F("log_loss").asc(),
    "-log_loss": F("log_loss").desc(),
    "brier_skill": F("brier_skill").asc(nulls_last=True),
    "-brier_skill": F("brier_skill").desc(nulls_last=True),
    "n_resolved": F("n_resolved").asc(),
    "-n_resolved": F("n_resolved").desc(),
    "name": F("name").asc(),
    "-name": F("name").desc(),
}


def _brier_skill(brier, rate) -> Case:
    return Case(
        When(Q(base_rate__gt=0.0) & Q(base_rate__lt=1.0), then=Value(1.0) - brier / (rate * (Value(1.0) - rate))),
        default=None,
        output_field=FloatField(),
    )


def leaderboard(
    *,
    min_resolved: int = 1,
    ordering: str = "brier",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    topic: str | None = None,
    basis: str | None = None,
    stored: bool = True,
) -> QuerySet:
    """One row per analyst with at least `min_resolved` scored predictions, as one grouped query.

    Unfiltered, it sums the stored bin sums (at most ten rows per analyst); with a filter, or `stored=False`,
    it aggregates the predictions.
    """
    if stored and _unfiltered(since, until, topic, basis):
        n = Cast(Sum("n"), FloatField())
        board = AnalystBinSums.objects.values(analyst_slug=F("analyst__slug"), name=F("analyst__name")).annotate(
            n_resolved=Sum("n"),
            # Σ(f − o)² = Σf² − 2Σfo + Σo, since o² = o (as in scoring.calibration_from_bin_sums).
            brier=(Sum("sum_ff") - Value(2.0) * Sum("sum_fo") + Sum("sum_o")) / n,
            log_loss=Sum("sum_log_loss") / n,
            base_rate=Sum("sum_o") / n,
        )
    else:
        board = (
            scored_predictions(since=since, until=until, topic=topic, basis=basis)
            .values(analyst_slug=F("analyst__slug"), name=F("analyst__name"))
            .annotate(
                n_resolved=Count("id"),
                brier=Avg(SQUARED_ERROR),
                log_loss=Avg(LOG_LOSS_TERM),
                base_rate=Avg(OUTCOME),
            )
        )
    return (
        board.annotate(brier_skill=_brier_skill(F("brier"), F("base_rate")))
        .filter(n_resolved__gte=max(min_resolved, 1))
        .order_by(LEADERBOARD_ORDERINGS[ordering], F("name").asc())
    )
