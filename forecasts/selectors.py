"""Reads. Scores are aggregated in the database with the formulas of scoring.py, one query per report."""

import datetime as dt
from dataclasses import dataclass, field

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
from forecasts.models import (
    SCORED_OUTCOMES,
    Analyst,
    AnalystBinSums,
    AnalystName,
    AnalystSlugRedirect,
    IngestJob,
    Outcome,
    Prediction,
    ProbabilityPhrase,
    name_key,
)


def analyst_by_name(*, name: str) -> Analyst | None:
    """The analyst whose name or alias is `name` in any spelling (its name key), or whose slug it is; or None."""
    found = AnalystName.objects.filter(key=name_key(name)).select_related("analyst").first()
    if found is not None:
        return found.analyst
    return Analyst.objects.filter(slug=name.strip().lower()).first()


def analyst_for_slug(*, slug: str) -> tuple[Analyst | None, bool]:
    """The analyst at this slug, or the one an analyst merged away under it went into; and whether it moved."""
    analyst = Analyst.objects.filter(slug=slug).first()
    if analyst is not None:
        return analyst, False
    redirect = AnalystSlugRedirect.objects.filter(old_slug=slug).select_related("analyst").first()
    return (redirect.analyst, True) if redirect else (None, False)


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


def _float(value: float):
    """A double-precision constant. Django's PostgreSQL cursor binds a Python float as a numeric literal, which made
    o a numeric CASE and every sum and mean of it numeric arithmetic: a filtered leaderboard at a million
    forecasts spent about a tenth of its time there (tests/benchmarks/bench_scoring.py)."""
    return Cast(Value(value), FloatField())


# o: 1.0 for a yes, 0.0 for a no (only yes/no questions are scored).
OUTCOME = Case(When(question__outcome=Outcome.YES, then=_float(1.0)), default=_float(0.0), output_field=FloatField())
P = F("probability")


def _log_loss_term(p):
    clipped = Greatest(Least(p, Value(scoring.LOG_LOSS_CLIP[1])), Value(scoring.LOG_LOSS_CLIP[0]))
    return -Ln(
        Case(When(question__outcome=Outcome.YES, then=clipped), default=Value(1.0) - clipped, output_field=FloatField())
    )


def _squared_error(p):
    return (p - OUTCOME) * (p - OUTCOME)


LOG_LOSS_TERM = _log_loss_term(P)
SQUARED_ERROR = _squared_error(P)
PHRASE_BOUNDS = ("low", "high")


def probability_at_phrase_bound(bound: str):
    """A `phrase` prediction's probability at its phrase-table row's low or high bound; the others' as they are."""
    if bound not in PHRASE_BOUNDS:
        raise ValueError(f"phrase_bound must be one of {', '.join(PHRASE_BOUNDS)}")
    return Case(When(basis="phrase", then=F(f"phrase__{bound}")), default=P, output_field=FloatField())


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


# brier_skill from a leaderboard row's brier and base_rate annotations; undefined when every outcome is the same.
_RATE = F("base_rate")
BRIER_SKILL = Case(
    When(Q(base_rate__gt=0.0) & Q(base_rate__lt=1.0), then=Value(1.0) - F("brier") / (_RATE * (Value(1.0) - _RATE))),
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
    phrase_bound: str | None = None,
    stored: bool = True,
) -> QuerySet:
    """One row per analyst with at least `min_resolved` scored predictions, as one grouped query.

    Unfiltered, it sums the stored bin sums (at most ten rows per analyst); with a filter, or `stored=False`,
    it aggregates the predictions. `phrase_bound` ("low" or "high") scores every `phrase` prediction at its
    phrase's bound instead of its number: does the ranking depend on the phrase table?
    """
    p = probability_at_phrase_bound(phrase_bound) if phrase_bound else P
    if stored and not phrase_bound and _unfiltered(since, until, topic, basis):
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
                brier=Avg(_squared_error(p)),
                log_loss=Avg(_log_loss_term(p)),
                base_rate=Avg(OUTCOME),
            )
        )
    return (
        board.annotate(brier_skill=BRIER_SKILL)
        .filter(n_resolved__gte=max(min_resolved, 1))
        .order_by(LEADERBOARD_ORDERINGS[ordering], F("name").asc())
    )


@dataclass
class PhraseOutcomes:
    """How often the claims made with one hedge phrase came true: n judged yes/no, n_true, Wilson 95%."""

    n: int = 0
    n_true: int = 0
    observed_frequency: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    def finish(self) -> "PhraseOutcomes":
        self.observed_frequency = self.n_true / self.n if self.n else None
        self.ci_low, self.ci_high = scoring.wilson_interval(self.n_true, self.n)
        return self


@dataclass
class PhraseCalibration:
    phrase: ProbabilityPhrase
    overall: PhraseOutcomes
    analysts: list[tuple[str, str, PhraseOutcomes]] = field(default_factory=list)  # (slug, name, outcomes)


def phrase_calibration(*, analyst: Analyst | None = None) -> list[PhraseCalibration]:
    """For every row of the phrase table: of the scored claims made with it, how many came true — across all
    analysts and per analyst. Two queries (the table, one GROUP BY phrase and analyst) however many claims."""
    rows = (
        scored_predictions(analyst=analyst)
        .filter(phrase__isnull=False)
        .values("phrase_id", "analyst__slug", "analyst__name")
        .annotate(n=Count("id"), n_true=Sum(Case(When(question__outcome=Outcome.YES, then=1), default=0)))
        .order_by("phrase_id", "analyst__name")
    )
    report = {p.pk: PhraseCalibration(phrase=p, overall=PhraseOutcomes()) for p in ProbabilityPhrase.objects.all()}
    for row in rows:
        entry = report[row["phrase_id"]]
        entry.overall.n += row["n"]
        entry.overall.n_true += row["n_true"]
        entry.analysts.append((row["analyst__slug"], row["analyst__name"], PhraseOutcomes(row["n"], row["n_true"]).finish()))
    for entry in report.values():
        entry.overall.finish()
    return sorted(report.values(), key=lambda e: (-e.phrase.probability, e.phrase.phrase))


def jobs_visible_to(*, user, kind: str | None = None):
    """The jobs a user may see: their own; an admin, every one. (A job's input is its user's: others get 404.)"""
    jobs = IngestJob.objects.select_related("source").defer("text")
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs if user.is_superuser else jobs.filter(created_by_id=user.pk)


def jobs_unfinished(*, user, kind: str):
    """A user's own jobs still queued or running (the drafts page shows their progress), newest first."""
    return jobs_visible_to(user=user, kind=kind).filter(
        created_by_id=user.pk, status__in=[IngestJob.Status.QUEUED, IngestJob.Status.RUNNING]
    )[:10]
