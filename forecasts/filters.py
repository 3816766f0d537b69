"""The FilterSets, shared by the API and the pages."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from forecasts.dates import SUPPORTED_ISO_PATTERN, require_supported
from forecasts.models import STATUS_OUTCOMES, Prediction, Question, ResolutionCheck, Topic


class SupportedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment within the supported years (forecasts/dates.py), in UTC: a form error otherwise, never
    an OverflowError converting 0001-01-01T00:00:00+01:00 to UTC."""

    def to_python(self, value):
        return require_supported(super().to_python(value), given=value if isinstance(value, str) else None)


@extend_schema_field({"type": "string", "format": "date-time", "pattern": SUPPORTED_ISO_PATTERN})
class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 bound, compared in UTC (the field converts it): Python accepts offsets up to ±23:59, PostgreSQL
    refuses beyond ±15:59 (found by fuzzing: made_before=…-18:41 was a database error). Outside the supported
    years it is a 400 naming the filter."""

    field_class = SupportedIsoDateTimeField


def _by_status(field: str):
    def filter_status(queryset, name, value):
        return queryset.filter(**{f"{field}__in": STATUS_OUTCOMES[value]})

    return filter_status


class QuestionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Question.Status.choices, method=_by_status("outcome"))
    topic = django_filters.CharFilter(field_name="topics__slug")
    resolve_by_before = UtcDateTimeFilter(field_name="resolve_by", lookup_expr="lt")
    resolve_by_after = UtcDateTimeFilter(field_name="resolve_by", lookup_expr="gte")
    analyst = django_filters.CharFilter(field_name="predictions__analyst__slug", distinct=True)

    class Meta:
        model = Question
        fields = ["status", "topic", "resolve_by_before", "resolve_by_after", "analyst", "key"]


class QuestionPageFilter(QuestionFilter):
    """The questions page: the API's filters, plus words to search for and how due a question is."""

    DUE_CHOICES = [("overdue", "Past resolve-by, still open"), ("upcoming", "Not yet due")]

    q = django_filters.CharFilter(label="Search", max_length=200, method="filter_words")
    status = django_filters.ChoiceFilter(
        choices=Question.Status.choices, method=_by_status("outcome"), empty_label="Any status"
    )
    topic = django_filters.ModelChoiceFilter(
        field_name="topics", queryset=Topic.objects.order_by("name"), to_field_name="slug", empty_label="Any topic"
    )
    due = django_filters.ChoiceFilter(choices=DUE_CHOICES, method="filter_due", empty_label="Any time")

    class Meta(QuestionFilter.Meta):
        fields = ["q", "status", "topic", "due"]

    def filter_words(self, questions, name, term):
        return questions.filter(
            Q(title__icontains=term)
            | Q(resolution_criteria__icontains=term)
            | Q(pk__in=Prediction.objects.filter(Q(quote__icontains=term) | Q(analyst__name__icontains=term)).values("question_id"))
        )

    def filter_due(self, questions, name, value):
        now = timezone.now()
        if value == "overdue":
            return questions.filter(outcome="", resolve_by__lte=now)
        return questions.filter(resolve_by__gt=now)


class PredictionFilter(django_filters.FilterSet):
    analyst = django_filters.CharFilter(field_name="analyst__slug")
    topic = django_filters.CharFilter(field_name="question__topics__slug")
    status = django_filters.ChoiceFilter(choices=Question.Status.choices, method=_by_status("question__outcome"))
    made_after = UtcDateTimeFilter(field_name="made_at", lookup_expr="gte")
    made_before = UtcDateTimeFilter(field_name="made_at", lookup_expr="lt")

    class Meta:
        model = Prediction
        fields = ["analyst", "question", "source", "basis", "topic", "status", "made_after", "made_before"]


class CheckFilter(django_filters.FilterSet):
    assigned_to = django_filters.CharFilter(field_name="assigned_to__username")
    due_before = UtcDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = ResolutionCheck
        fields = ["status", "question", "assigned_to", "due_before"]
