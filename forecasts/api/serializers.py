import datetime as dt

from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from forecasts import scoring
from forecasts.dates import SUPPORTED_ISO_PATTERN, require_supported
from forecasts.selectors import LEADERBOARD_ORDERINGS
from forecasts.models import (
    Analyst,
    DraftPrediction,
    IngestJob,
    Outcome,
    Prediction,
    ProbabilityPhrase,
    Question,
    Resolution,
    ResolutionCheck,
    Source,
    Topic,
)

User = get_user_model()


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing a NUL character up front: PostgreSQL cannot even compare a string that holds one."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class SupportedDateTimeField(serializers.DateTimeField):
    """DRF's, within the supported years (forecasts/dates.py): outside them (or so far out that converting it to
    the current time zone overflows) is a 400 naming the field."""

    def to_internal_value(self, value):
        given = value.isoformat() if isinstance(value, dt.datetime) else value if isinstance(value, str) else None
        try:
            when = super().to_internal_value(value)
        except serializers.ValidationError as exc:
            if "overflow" not in exc.get_codes():
                raise
            when = dt.datetime.max  # only a year-1 or year-9999 moment overflows: outside the range anyway
        try:
            require_supported(when, self.field_name, given=given)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="unsupported_date") from None
        return when


class SupportedDateTimeFieldSchema(OpenApiSerializerFieldExtension):
    """In the OpenAPI schema, a SupportedDateTimeField's input carries the supported years as a pattern."""

    target_class = SupportedDateTimeField

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.DATETIME)
        if direction == "request":
            schema["pattern"] = SUPPORTED_ISO_PATTERN
        return schema


class SupportedDatesModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose model DateTimeFields are SupportedDateTimeFields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: SupportedDateTimeField,
    }


class AnalystSerializer(serializers.ModelSerializer):
    aliases = SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Analyst
        fields = ["slug", "name", "kind", "affiliation", "title", "aliases"]


class SourceSerializer(SupportedDatesModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "publisher", "url", "published_at", "text"]


class ResolutionSerializer(serializers.ModelSerializer):
    resolved_by = SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Resolution
        fields = ["id", "outcome", "evidence", "evidence_url", "resolved_by", "resolved_at"]


class QuestionSerializer(SupportedDatesModelSerializer):
    topics = SlugRelatedField(slug_field="slug", queryset=Topic.objects.all(), many=True, required=False)
    owner = SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    status = serializers.CharField(read_only=True, help_text="open, resolved, ambiguous or annulled")
    outcome = serializers.CharField(
        read_only=True, help_text="The current outcome: yes, no, ambiguous, annulled, or empty while open."
    )
    version = serializers.IntegerField(
        required=False, help_text="On PATCH: the version you read; a stale one is refused with 409."
    )

    class Meta:
        model = Question
        fields = [
            "id",
            "key",
            "title",
            "resolution_criteria",
            "topics",
            "resolve_by",
            "check_every",
            "owner",
            "status",
            "outcome",
            "version",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class QuestionDetailSerializer(QuestionSerializer):
    resolutions = ResolutionSerializer(many=True, read_only=True)

    class Meta(QuestionSerializer.Meta):
        fields = [*QuestionSerializer.Meta.fields, "resolutions"]


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    evidence = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)
    evidence_url = serializers.URLField(allow_blank=True, required=False, default="", max_length=500)
    version = serializers.IntegerField(min_value=1, help_text="The version you read; a stale one gives 409.")


class UnresolveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=20000)
    version = serializers.IntegerField(min_value=1, required=False)


class PredictionSerializer(SupportedDatesModelSerializer):
    analyst = SlugRelatedField(slug_field="slug", queryset=Analyst.objects.all())
    question = serializers.PrimaryKeyRelatedField(queryset=Question.objects.all())
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.all(), required=False, allow_null=True)
    phrase = SlugRelatedField(
        slug_field="phrase", queryset=ProbabilityPhrase.objects.all(), required=False, allow_null=True
    )
    probability = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    question_status = serializers.CharField(source="question.status", read_only=True)
    outcome = serializers.CharField(source="question.outcome", read_only=True)

    class Meta:
        model = Prediction
        fields = [
            "id",
            "analyst",
            "question",
            "source",
            "quote",
            "hedge_phrase",
            "phrase",
            "probability",
            "basis",
            "note",
            "made_at",
            "question_status",
            "outcome",
        ]


class ResolutionCheckSerializer(SupportedDatesModelSerializer):
    question = serializers.PrimaryKeyRelatedField(queryset=Question.objects.all())
    assigned_to = SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ResolutionCheck
        fields = [
            "id",
            "question",
            "due_at",
            "assigned_to",
            "status",
            "notified_at",
            "completed_at",
            "snoozed_until",
            "escalated_at",
        ]
        read_only_fields = ["status", "notified_at", "completed_at", "snoozed_until", "escalated_at"]
        # The unique (question, due_at) pair is settled by the service's get_or_create.
        validators = []


class SnoozeSerializer(serializers.Serializer):
    until = SupportedDateTimeField(help_text="When to look again.")


class CalibrationQuerySerializer(serializers.Serializer):
    bins = serializers.IntegerField(min_value=scoring.MIN_BINS, max_value=scoring.MAX_BINS, default=scoring.DEFAULT_BINS)
    since = SupportedDateTimeField(required=False, help_text="Predictions made at or after (ISO 8601).")
    until = SupportedDateTimeField(required=False, help_text="Predictions made before (ISO 8601).")
    topic = serializers.SlugField(required=False)
    basis = serializers.ChoiceField(choices=Prediction.Basis.choices, required=False)

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["must be after since"]})
        return attrs


class LeaderboardQuerySerializer(CalibrationQuerySerializer):
    bins = None
    min_resolved = serializers.IntegerField(min_value=1, default=1)
    ordering = serializers.ChoiceField(
        choices=list(LEADERBOARD_ORDERINGS),
        default="brier",
    )
    phrase_bound = serializers.ChoiceField(
        choices=["low", "high"],
        required=False,
        help_text="Score every `phrase` prediction at its phrase's low or high bound: does the ranking depend on the mapping?",
    )


class CalibrationBinSerializer(serializers.Serializer):
    lower = serializers.FloatField()
    upper = serializers.FloatField()
    n = serializers.IntegerField()
    mean_probability = serializers.FloatField(allow_null=True)
    observed_frequency = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class DecompositionSerializer(serializers.Serializer):
    reliability = serializers.FloatField(allow_null=True)
    resolution = serializers.FloatField(allow_null=True)
    uncertainty = serializers.FloatField(allow_null=True)
    within_bin_variance = serializers.FloatField(allow_null=True)
    within_bin_covariance = serializers.FloatField(allow_null=True)


class CalibrationSerializer(serializers.Serializer):
    analyst = serializers.CharField(help_text="The analyst's slug.")
    n_resolved = serializers.IntegerField()
    brier = serializers.FloatField(allow_null=True)
    log_loss = serializers.FloatField(allow_null=True)
    base_rate = serializers.FloatField(allow_null=True)
    brier_skill = serializers.FloatField(allow_null=True)
    bins = CalibrationBinSerializer(many=True)
    decomposition = DecompositionSerializer()


class LeaderboardRowSerializer(serializers.Serializer):
    analyst = serializers.CharField(source="analyst_slug", help_text="The analyst's slug.")
    name = serializers.CharField()
    n_resolved = serializers.IntegerField()
    brier = serializers.FloatField()
    log_loss = serializers.FloatField()
    brier_skill = serializers.FloatField(allow_null=True)

    def to_representation(self, row):
        # The fields above describe the row (and the schema); a leaderboard row holds plain values already, and
        # DRF's field-by-field path took 3.7 ms for a page of 1,000 rows against 0.4 ms here: time a filtered
        # leaderboard spends on top of its aggregate (tests/benchmarks/bench_scoring.py, filtered_leaderboard_over_sql).
        return {
            "analyst": row["analyst_slug"],
            "name": row["name"],
            "n_resolved": int(row["n_resolved"]),
            "brier": float(row["brier"]),
            "log_loss": float(row["log_loss"]),
            "brier_skill": None if row["brier_skill"] is None else float(row["brier_skill"]),
        }


class TokenRequestSerializer(serializers.Serializer):
    """A username and password; valid when they log in (the same check, lock-out included, as the pages)."""

    username = serializers.CharField(write_only=True)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        user = authenticate(request=self.context.get("request"), username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError("Unable to log in with provided credentials.", code="authorization")
        return {**attrs, "user": user}


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token …`. Shown once: only a digest is kept.")
    expiry = serializers.DateTimeField(help_text="When the token stops working (API_TOKEN_TTL after it was made).")


class ApiTokenSerializer(serializers.Serializer):
    """One of your tokens, named by its first characters (the token itself is never shown again)."""

    token_key = serializers.CharField(help_text="The token's first characters: enough to name it, not to use it.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="When it stops working.")
    current = serializers.SerializerMethodField(help_text="Whether this request was sent with this token.")

    def get_current(self, token) -> bool:
        return getattr(getattr(self.context.get("request"), "auth", None), "digest", None) == token.digest


class PhraseOutcomesSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Claims made with the phrase whose question was judged yes or no.")
    n_true = serializers.IntegerField(help_text="Of those, judged yes.")
    observed_frequency = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True, help_text="95% Wilson interval on the observed frequency.")
    ci_high = serializers.FloatField(allow_null=True)


class PhraseAnalystSerializer(PhraseOutcomesSerializer):
    analyst = serializers.CharField(help_text="The analyst's slug.")
    name = serializers.CharField()


class PhraseCalibrationSerializer(PhraseOutcomesSerializer):
    phrase = serializers.CharField()
    probability = serializers.FloatField(help_text="The number the phrase table gives the phrase.")
    low = serializers.FloatField()
    high = serializers.FloatField()
    analysts = PhraseAnalystSerializer(many=True)

    def to_representation(self, entry):
        phrase = entry.phrase
        return {
            "phrase": phrase.phrase,
            "probability": phrase.probability,
            "low": phrase.low,
            "high": phrase.high,
            **PhraseOutcomesSerializer(entry.overall).data,
            "analysts": [
                {"analyst": slug, "name": name, **PhraseOutcomesSerializer(outcomes).data}
                for slug, name, outcomes in entry.analysts
            ],
        }


class PhraseCalibrationQuerySerializer(serializers.Serializer):
    analyst = serializers.SlugField(required=False, help_text="Only this analyst's claims.")


class PhraseCalibrationResponseSerializer(serializers.Serializer):
    results = PhraseCalibrationSerializer(many=True)


class SourceIngestSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    published_at = SupportedDateTimeField(required=False, allow_null=True, default=None)
    text = serializers.CharField(
        trim_whitespace=False,
        help_text="The article's text, as copied (1 MB at most). Up to INGEST_SYNC_MAX_BYTES (25 KB) it is read at once "
        "(201); above, a job reads it (202).",
    )


class DraftPredictionSerializer(serializers.ModelSerializer):
    analyst = SlugRelatedField(slug_field="slug", read_only=True, allow_null=True, help_text="Null: a new analyst is proposed.")
    phrase = SlugRelatedField(slug_field="phrase", read_only=True, allow_null=True, help_text="Null: no phrase-table row matched.")
    flags = serializers.ListField(source="flag_list", child=serializers.CharField(), read_only=True)

    class Meta:
        model = DraftPrediction
        fields = [
            "id", "status", "speaker", "speaker_affiliation", "analyst", "quote", "quote_start", "hedge_phrase", "phrase",
            "basis", "probability", "question_title", "resolution_criteria", "resolve_by", "check_every", "made_at",
            "flags",
        ]


class SourceIngestResponseSerializer(serializers.Serializer):
    source = SourceSerializer()
    drafts = DraftPredictionSerializer(many=True)


class IngestJobSerializer(serializers.ModelSerializer):
    """An article being read by a worker: poll it until `status` is done (then `source` and `drafts` are the ingest's
    result, as POST sources/ gives them with 201) or failed (then `error` says why)."""

    status = serializers.ChoiceField(
        source="current_status", choices=IngestJob.Status.choices, read_only=True,
        help_text="queued, running, done or failed.",
    )
    progress = serializers.IntegerField(read_only=True, min_value=0, max_value=100, help_text="Per cent done, 0–100.")
    error = serializers.CharField(source="current_error", read_only=True, help_text="Why it failed; empty otherwise.")
    source = SourceSerializer(read_only=True, allow_null=True, help_text="When done: the source the article became.")
    drafts = serializers.SerializerMethodField(help_text="When done: its draft predictions; empty before.")

    class Meta:
        model = IngestJob
        fields = ["id", "status", "progress", "error", "source", "drafts", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(DraftPredictionSerializer(many=True))
    def get_drafts(self, job) -> list:
        if job.current_status != IngestJob.Status.DONE or job.source is None:
            return []
        drafts = job.source.drafts.select_related("analyst", "phrase")
        return DraftPredictionSerializer(drafts, many=True).data
