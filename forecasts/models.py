import datetime as dt
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

UNIT_INTERVAL = [MinValueValidator(0.0), MaxValueValidator(1.0)]


def _in_unit_interval(field: str) -> Q:
    return Q(**{f"{field}__gte": 0.0, f"{field}__lte": 1.0})


class Source(models.Model):
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    raw_text = models.TextField(blank=True, help_text="The document as it was given, line breaks and all.")
    text = models.TextField(blank=True, help_text="Normalized full text; every quote is a substring of it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "title"]
        constraints = [
            # Several sources may have no URL (pasted text), but one URL is one document.
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="source_url_unique_when_set"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("source-detail", args=[self.pk])

    def __str__(self) -> str:
        when = f" ({self.published_at:%Y-%m-%d})" if self.published_at else ""
        return f"{self.publisher + ': ' if self.publisher else ''}{self.title}{when}"


def name_key(name: str) -> str:
    """The one normalized form of a person's name, used for every name and alias on every door: Unicode NFKC,
    case-folded, white space collapsed ("ANN  LEE", "Ann Lee" and "ａｎｎ lee" are one person)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class Analyst(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        GROUP = "group", "Named group"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    affiliation = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="analyst",
        help_text="For in-house analysts who log their own forecasts. Only admins link or unlink.",
    )
    # Who renamed, linked or unlinked an analyst, and when.
    history = HistoricalRecords(no_db_index=["user"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.affiliation}" if self.affiliation else self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("analyst-detail", args=[self.slug])


class AnalystAlias(models.Model):
    """Another spelling of an analyst's name ("Bruce Bennet"); one alias names one analyst."""

    analyst = models.ForeignKey(Analyst, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200, unique=True)
    history = HistoricalRecords(no_db_index=["analyst"])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "analyst aliases"

    def __str__(self) -> str:
        return self.name


class AnalystName(models.Model):
    """Every analyst's name and aliases, as name keys: one key names one analyst, whatever the spelling.

    Maintained by services/analysts.py (and, set-based, by the CSV import); the unique key is what keeps one
    person one analyst on every door.
    """

    analyst = models.ForeignKey(Analyst, on_delete=models.CASCADE, related_name="name_keys")
    alias = models.OneToOneField(
        AnalystAlias, null=True, blank=True, on_delete=models.CASCADE, related_name="name_key",
        help_text="The alias this key is of; empty for the analyst's own name.",
    )
    key = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class AnalystSlugRedirect(models.Model):
    """The slug of an analyst merged into another: its pages and API answer with a permanent redirect."""

    old_slug = models.SlugField(max_length=100, unique=True)
    analyst = models.ForeignKey(Analyst, on_delete=models.CASCADE, related_name="slug_redirects")

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.analyst_id}"


class Topic(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    AMBIGUOUS = "ambiguous", "Ambiguous"
    ANNULLED = "annulled", "Annulled"


SCORED_OUTCOMES = (Outcome.YES, Outcome.NO)
# A question's status is derived from its current outcome ("" while open): the outcomes of each status.
STATUS_OUTCOMES = {"open": [""], "resolved": ["yes", "no"], "ambiguous": ["ambiguous"], "annulled": ["annulled"]}
# A Resolution row that un-resolves: the question is open again.
REOPENED = "reopened"
RESOLUTION_OUTCOME_CHOICES = [*Outcome.choices, (REOPENED, "Reopened (un-resolved)")]


class Question(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        AMBIGUOUS = "ambiguous", "Ambiguous"
        ANNULLED = "annulled", "Annulled"

    key = models.SlugField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text="Stable external key used by seeds and CSV imports to find this question again.",
    )
    title = models.CharField(max_length=300)
    resolution_criteria = models.TextField()
    topics = models.ManyToManyField(Topic, blank=True, related_name="questions")
    resolve_by = models.DateTimeField(help_text="When the outcome is to be judged.")
    check_every = models.DurationField(
        null=True,
        blank=True,
        validators=[MinValueValidator(dt.timedelta(days=1)), MaxValueValidator(dt.timedelta(days=3650))],
        help_text="Interval of interim checks, for claims with no clear deadline (1 day to 10 years).",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_questions"
    )
    # The current outcome, copied from the newest Resolution row by services.questions.judgements_apply in the same
    # transaction; kept on the row because scoring and the sweep filter millions of rows by it.
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The audit trail: every change, who made it and when (django-simple-history).
    history = HistoricalRecords(excluded_fields=["updated_at"], no_db_index=["owner"])  # as Prediction's

    class Meta:
        ordering = ["resolve_by", "id"]
        indexes = [
            # The resolution-check sweep: open questions whose resolve_by has passed.
            models.Index(fields=["outcome", "resolve_by"], name="question_sweep_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("question-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        if not self.key:
            # Every question gets a key, so that an export re-imports onto the same question.
            self.key = f"{slugify(self.title)[:180]}-{uuid.uuid4().hex[:8]}".lstrip("-")
        super().save(*args, **kwargs)

    @property
    def status(self) -> str:
        if not self.outcome:
            return self.Status.OPEN
        if self.outcome in SCORED_OUTCOMES:
            return self.Status.RESOLVED
        return self.outcome


class ProbabilityPhrase(models.Model):
    """One row of the words-of-estimative-probability table. Data, not code: edit it in the admin."""

    phrase = models.CharField(max_length=100, unique=True)
    probability = models.FloatField(validators=UNIT_INTERVAL)
    low = models.FloatField(validators=UNIT_INTERVAL)
    high = models.FloatField(validators=UNIT_INTERVAL)
    reference = models.TextField(help_text="Where the number and the range come from.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-probability", "phrase"]
        constraints = [
            models.CheckConstraint(
                condition=_in_unit_interval("low") & Q(low__lte=F("probability")) & Q(probability__lte=F("high"))
                & Q(high__lte=1.0),
                name="phrase_low_le_probability_le_high",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phrase} ({self.probability:.0%})"

    def clean(self):
        if None not in (self.low, self.probability, self.high) and not self.low <= self.probability <= self.high:
            raise ValidationError("Low ≤ probability ≤ high must hold.")


class Import(models.Model):
    """One CSV import, recorded once: the audit unit of the forecasts it wrote, each of which links to it (instead
    of a history row per forecast, which with the keys drawn for it was an eighth of a 50,000-row import). Written
    only by services/imports.py; the database refuses UPDATE and DELETE of a row (migration 0014)."""

    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file's text (UTF-8).")
    rows = models.PositiveIntegerField(help_text="Rows read from the file.")
    text = models.TextField(help_text="The file as imported.")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty for the system (a command run without --as).",
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"import #{self.pk}: {self.file_name or 'CSV'} ({self.rows:,} rows, {self.imported_at:%Y-%m-%d %H:%M} UTC)"


class Prediction(models.Model):
    class Basis(models.TextChoices):
        STATED = "stated", "Stated (the expert gave a number)"
        PHRASE = "phrase", "Phrase (mapped through the phrase table)"
        JUDGED = "judged", "Judged (an analyst's reading, with a note)"

    analyst = models.ForeignKey(Analyst, on_delete=models.PROTECT, related_name="predictions")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="predictions")
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT, related_name="predictions")
    quote = models.TextField(blank=True, help_text="Verbatim from the source's normalized text.")
    hedge_phrase = models.CharField(max_length=100, blank=True, help_text='The hedge words as said: "likely going to".')
    phrase = models.ForeignKey(
        ProbabilityPhrase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predictions",
        help_text="The phrase-table row the hedge words map to.",
    )
    probability = models.FloatField(validators=UNIT_INTERVAL)
    basis = models.CharField(max_length=10, choices=Basis.choices)
    note = models.TextField(blank=True, help_text="Why this reading; required for a judged probability.")
    made_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # An imported forecast's audit record is its Import (who, when, which file); later changes have history rows.
    # No index: no query lists an import's forecasts, and each index costs every imported row.
    csv_import = models.ForeignKey(
        Import, null=True, blank=True, editable=False, db_index=False, on_delete=models.PROTECT,
        related_name="predictions",
    )
    # The audit trail is read by object (id) and date. Indexes on its copies of the foreign keys served no query
    # and made each imported row's history cost more to write than the row itself (tests/benchmarks).
    history = HistoricalRecords(no_db_index=["analyst", "question", "source", "phrase", "created_by", "csv_import"])

    class Meta:
        ordering = ["-made_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_in_unit_interval("probability"), name="prediction_probability_0_1"),
            models.CheckConstraint(
                condition=~Q(basis="phrase") | Q(phrase__isnull=False), name="prediction_phrase_basis_has_phrase"
            ),
            models.CheckConstraint(condition=~Q(basis="judged") | ~Q(note=""), name="prediction_judged_has_note"),
        ]
        indexes = [
            # Per-analyst calibration and the leaderboard: all of one analyst's predictions with their question.
            models.Index(fields=["analyst", "question"], name="prediction_analyst_q_idx"),
        ]

    def __str__(self) -> str:
        chance = f"{self.probability:.0%}" if self.probability is not None else "?"
        return f"{self.analyst.name}: {chance} on {self.question}"

    def clean(self):
        errors = {}
        if self.basis == self.Basis.PHRASE and not self.phrase_id:
            errors["phrase"] = "A phrase-based prediction needs a phrase from the phrase table."
        elif self.probability is None:
            errors["probability"] = "Give a probability between 0 and 1 (or use basis 'phrase')."
        if self.basis == self.Basis.JUDGED and not self.note.strip():
            errors["note"] = "Say why: a judged probability needs a note."
        if self.quote and self.source_id and self.source.text and self.quote not in self.source.text:
            errors["quote"] = "The quote does not occur verbatim in the source's normalized text."
        if errors:
            raise ValidationError(errors)



class Resolution(models.Model):
    """Append-only judgement history of a question; the newest row is the current one.

    Un-resolving appends a `reopened` row. Rows are never updated (a database trigger refuses) and the
    question they judge cannot be deleted while they exist.
    """

    REOPENED = REOPENED

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="resolutions")
    outcome = models.CharField(max_length=10, choices=RESOLUTION_OUTCOME_CHOICES)
    evidence = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="resolutions"
    )
    resolved_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(no_db_index=["question", "resolved_by"])  # as Prediction's

    class Meta:
        ordering = ["-resolved_at", "-id"]
        get_latest_by = ["resolved_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=[value for value, _ in RESOLUTION_OUTCOME_CHOICES]),
                name="resolution_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} — {self.question}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Resolution rows are append-only; append a new row instead.")
        super().save(*args, **kwargs)


class ResolutionCheck(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        SNOOZED = "snoozed", "Snoozed"
        ESCALATED = "escalated", "Escalated"

    # Waiting for an analyst now; and not done yet (a resolve completes all of these).
    WAITING = (Status.PENDING, Status.ESCALATED)
    NOT_DONE = (Status.PENDING, Status.SNOOZED, Status.ESCALATED)

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="checks")
    due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="resolution_checks"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    notified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # The sweep may run twice at once; the database keeps one check per question and due time.
            models.UniqueConstraint(fields=["question", "due_at"], name="check_unique_question_due_at"),
        ]
        indexes = [
            # The analyst's queue and "fewest pending checks" assignment.
            models.Index(fields=["assigned_to", "status"], name="check_assignee_status_idx"),
            # Escalation: pending checks older than the grace period.
            models.Index(fields=["status", "due_at"], name="check_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.question} — due {self.due_at:%Y-%m-%d} ({self.status})"


class AnalystBinSums(models.Model):
    """The sums of one analyst's scored forecasts that fall in one of the ten default calibration bins.

    Derived data, moved by deltas by services/scores.py inside every write that changes what is scored (a
    judgement, a forecast, the phrase table, an import, a merge): the part of the forecasts a write touches is taken
    out before it and put back in after; refresh_scores rebuilds it from scratch. The whole leaderboard and a default calibration report
    then read at most ten rows per analyst instead of aggregating every prediction: at a million predictions that
    is the difference between ~650 ms and ~20 ms for the leaderboard. Reports with filters (since, until, topic,
    basis) or another number of bins still aggregate the predictions themselves.
    """

    BINS = 10

    analyst = models.ForeignKey(Analyst, on_delete=models.CASCADE, related_name="bin_sums")
    bin = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField()
    sum_f = models.FloatField()
    sum_o = models.FloatField()
    sum_ff = models.FloatField()
    sum_fo = models.FloatField()
    sum_log_loss = models.FloatField()

    class Meta:
        ordering = ["analyst", "bin"]
        verbose_name_plural = "analyst bin sums"
        constraints = [
            models.UniqueConstraint(fields=["analyst", "bin"], name="bin_sums_one_row_per_analyst_bin"),
        ]

    def __str__(self) -> str:
        return f"{self.analyst_id} bin {self.bin}: n={self.n}"


class DraftPrediction(models.Model):
    """A forecast proposed by reading an article (forecasts/reading/), waiting for an analyst to accept, edit or
    reject it. Drafts live apart from Prediction, so nothing that scores can ever see one."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="drafts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    speaker = models.CharField(max_length=300, blank=True, help_text="The speaker as the article names them.")
    speaker_affiliation = models.CharField(max_length=300, blank=True)
    speaker_kind = models.CharField(max_length=10, choices=Analyst.Kind.choices, default=Analyst.Kind.PERSON)
    analyst = models.ForeignKey(
        Analyst, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts",
        help_text="The analyst the speaker's name or alias matched; empty when a new analyst is proposed.",
    )
    quote = models.TextField(help_text="Verbatim from the source's normalized text.")
    quote_start = models.PositiveIntegerField(help_text="Where the quote starts in the source's text.")
    hedge_phrase = models.CharField(max_length=100, blank=True)
    phrase = models.ForeignKey(ProbabilityPhrase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    basis = models.CharField(
        max_length=10, choices=Prediction.Basis.choices, default=Prediction.Basis.PHRASE,
        help_text="stated: the speaker gave the probability; phrase: read through the phrase table.",
    )
    probability = models.FloatField(null=True, blank=True, validators=UNIT_INTERVAL)
    question_title = models.CharField(max_length=300)
    resolution_criteria = models.TextField()
    resolve_by = models.DateTimeField()
    check_every = models.DurationField(null=True, blank=True)
    made_at = models.DateTimeField()
    flags = models.TextField(blank=True, help_text="What a reviewer should look at, one per line.")
    prediction = models.OneToOneField(
        Prediction, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft",
        help_text="The prediction made by accepting this draft.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "quote_start", "id"]
        constraints = [
            # Ingesting one article twice proposes nothing twice.
            models.UniqueConstraint(fields=["source", "quote_start", "quote"], name="draft_unique_quote_in_source"),
        ]

    def __str__(self) -> str:
        return f"{self.speaker or '(no speaker)'}: {self.quote[:60]}"

    @property
    def flag_list(self) -> list[str]:
        return [line for line in self.flags.splitlines() if line.strip()]


class IngestJob(models.Model):
    """Work too large for a request, done by a Celery worker: an article above the synchronous budget
    (INGEST_SYNC_MAX_BYTES) or an admin CSV upload above CSV_SYNC_MAX_BYTES. Written only by services/jobs.py."""

    class Kind(models.TextChoices):
        ARTICLE = "article", "article"
        CSV = "csv", "CSV file"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    # A running job silent this long past its time limit was lost (a worker killed outright): it reads as failed.
    LOST_AFTER = dt.timedelta(seconds=30)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)], help_text="0–100")
    # The input, kept until the job is done: the article and what was given with it, or the CSV file's text.
    text = models.TextField(blank=True)
    title = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The result: the source an article became, or the CSV import's report; the reason it failed.
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    report = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    time_limit = models.PositiveIntegerField(help_text="Seconds the worker may spend on it.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="ingestjob_progress_0_100"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="ingestjob_status_known"
            ),
        ]
        indexes = [models.Index(fields=["created_by", "status"], name="ingestjob_by_user_status")]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def lost(self) -> bool:
        """Running past its time limit and more: the worker died without a word (the hard time limit, OOM)."""
        return (
            self.status == self.Status.RUNNING
            and self.started_at is not None
            and timezone.now() > self.started_at + dt.timedelta(seconds=self.time_limit) + self.LOST_AFTER
        )

    @property
    def current_status(self) -> str:
        return self.Status.FAILED if self.lost else self.status

    @property
    def current_error(self) -> str:
        if self.lost:
            return f"The worker stopped answering: it ran past the {self.time_limit} s time limit. Nothing was saved."
        return self.error

    @property
    def finished(self) -> bool:
        return self.current_status in (self.Status.DONE, self.Status.FAILED)
