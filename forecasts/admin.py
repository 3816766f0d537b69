import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from forecasts import services
from forecasts.csv_io import ImportRejected, forecasts_import
from forecasts.forms import ArticleForm, CsvImportForm, PredictionForm, ResolutionForm
from forecasts.models import (
    Analyst,
    AnalystAlias,
    DraftPrediction,
    Prediction,
    ProbabilityPhrase,
    Question,
    Resolution,
    ResolutionCheck,
    Source,
    Topic,
)

admin.site.site_header = "Hindsight administration"
admin.site.site_title = "Hindsight"
admin.site.index_title = "Data entry"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "published_at", "prediction_count"]
    ordering = ["-published_at", "title"]
    list_filter = ["publisher", "published_at"]
    search_fields = ["title", "publisher", "url", "text"]
    date_hierarchy = "published_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prediction_count=Count("predictions"))

    @admin.display(ordering="prediction_count", description="predictions")
    def prediction_count(self, obj):
        return obj.prediction_count

    def get_urls(self):
        view = self.admin_site.admin_view(self.ingest_article)
        return [path("ingest/", view, name="forecasts_source_ingest"), *super().get_urls()]

    def ingest_article(self, request):
        """Paste or upload an article; it becomes a source with draft predictions to review at /sources/N/drafts/."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ArticleForm(request.POST or None, request.FILES or None)
        report = form.ingest(user=request.user) if request.method == "POST" else None
        if report is not None:
            self.message_user(request, f"{report}. Review them on the drafts page.")
            return redirect("source-drafts", source_id=report.source.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": "Ingest an article"}
        return TemplateResponse(request, "admin/forecasts/source/ingest.html", context)


@admin.register(DraftPrediction)
class DraftPredictionAdmin(admin.ModelAdmin):
    """Drafts proposed by reading articles; accept or reject them on the drafts page, beside the article."""

    list_display = ["speaker", "short_quote", "hedge_phrase", "phrase", "status", "source"]
    list_filter = ["status", "phrase", "source"]
    search_fields = ["speaker", "quote", "question_title"]
    list_select_related = ["phrase", "source"]
    readonly_fields = ["source", "quote", "quote_start", "prediction", "reviewed_by", "reviewed_at", "status"]

    @admin.display(description="quote")
    def short_quote(self, obj):
        return obj.quote if len(obj.quote) < 80 else obj.quote[:77] + "…"


class AliasInline(admin.TabularInline):
    model = AnalystAlias
    extra = 1


@admin.register(Analyst)
class AnalystAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "affiliation", "title", "prediction_count"]
    ordering = ["name"]
    list_filter = ["kind", "affiliation"]
    search_fields = ["name", "slug", "affiliation", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]
    inlines = [AliasInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prediction_count=Count("predictions"))

    @admin.display(ordering="prediction_count", description="predictions")
    def prediction_count(self, obj):
        return obj.prediction_count


@admin.register(AnalystAlias)
class AnalystAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "analyst"]
    search_fields = ["name", "analyst__name"]
    autocomplete_fields = ["analyst"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class PredictionInline(admin.StackedInline):
    model = Prediction
    form = PredictionForm
    extra = 0
    autocomplete_fields = ["analyst", "source", "phrase"]
    fields = [("analyst", "source", "made_at"), "quote", ("hedge_phrase", "phrase", "basis", "probability"), "note"]


class ResolutionInline(ReadOnlyInline):
    """The judgement history: append-only, so shown read-only; resolve through the API, pages or Resolutions."""

    model = Resolution
    fields = ["resolved_at", "outcome", "evidence", "evidence_url", "resolved_by"]
    readonly_fields = fields
    ordering = ["-resolved_at", "-id"]


class CheckInline(ReadOnlyInline):
    model = ResolutionCheck
    fields = ["due_at", "status", "assigned_to", "notified_at", "completed_at", "snoozed_until"]
    readonly_fields = fields


@admin.register(Question)
class QuestionAdmin(SimpleHistoryAdmin):
    list_display = ["title", "status_display", "resolve_by", "check_every", "owner", "prediction_count"]
    ordering = ["resolve_by", "id"]
    list_filter = ["outcome", "topics", "resolve_by"]
    search_fields = ["title", "key", "resolution_criteria", "predictions__quote", "predictions__analyst__name"]
    autocomplete_fields = ["topics", "owner"]
    readonly_fields = ["status_display", "version"]
    date_hierarchy = "resolve_by"
    fields = [
        "title",
        "key",
        "resolution_criteria",
        "topics",
        ("resolve_by", "check_every"),
        "owner",
        ("status_display", "version"),
    ]
    inlines = [PredictionInline, ResolutionInline, CheckInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prediction_count=Count("predictions", distinct=True))

    @admin.display(ordering="outcome", description="status")
    def status_display(self, obj):
        return obj.status if not obj.outcome or obj.status == obj.outcome else f"{obj.status} ({obj.outcome})"

    @admin.display(ordering="prediction_count", description="predictions")
    def prediction_count(self, obj):
        return obj.prediction_count

    def save_model(self, request, obj, form, change):
        if change:
            # Concurrent edits: every saved edit moves the version on, so a resolve that read the old
            # version through the API gets a 409 instead of judging a question it has not seen.
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(Prediction)
class PredictionAdmin(SimpleHistoryAdmin):
    form = PredictionForm
    list_display = ["analyst", "short_question", "probability", "basis", "hedge_phrase", "made_at", "source"]
    list_filter = ["basis", "phrase", "analyst", "made_at"]
    search_fields = ["quote", "hedge_phrase", "analyst__name", "analyst__aliases__name", "question__title"]
    autocomplete_fields = ["analyst", "question", "source", "phrase"]
    list_select_related = ["analyst", "question", "source"]
    date_hierarchy = "made_at"
    fields = [
        ("analyst", "question"),
        ("source", "made_at"),
        "quote",
        ("hedge_phrase", "phrase"),
        ("basis", "probability"),
        "note",
    ]

    @admin.display(ordering="question__title", description="question")
    def short_question(self, obj):
        return obj.question.title if len(obj.question.title) < 70 else obj.question.title[:67] + "…"

    def has_change_permission(self, request, obj=None):
        # An in-house analyst's own forecasts are theirs alone (and the admins').
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return services.prediction_editable_by(analyst=obj.analyst, user=request.user)
        return allowed

    def save_model(self, request, obj, form, change):
        if not services.prediction_editable_by(analyst=obj.analyst, user=request.user):
            raise PermissionDenied
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_csv)
        return [path("import/", view, name="forecasts_prediction_import"), *super().get_urls()]

    def import_csv(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CsvImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
                report = forecasts_import(lines=text, user=request.user)
            except UnicodeDecodeError:
                errors = ["The file is not UTF-8 text; save the CSV as UTF-8. Nothing was imported."]
            except ImportRejected as exc:
                errors = ["Nothing was imported.", *exc.errors]
            else:
                self.message_user(request, f"Imported {upload.name}: {report}.")
                return redirect("admin:forecasts_prediction_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "errors": errors, "title": "Import CSV"}
        return TemplateResponse(request, "admin/forecasts/prediction/import.html", context)


@admin.register(ProbabilityPhrase)
class ProbabilityPhraseAdmin(SimpleHistoryAdmin):
    list_display = ["phrase", "probability", "low", "high", "prediction_count"]
    ordering = ["-probability", "phrase"]
    list_editable = ["probability", "low", "high"]
    search_fields = ["phrase", "reference"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prediction_count=Count("predictions"))

    @admin.display(ordering="prediction_count", description="predictions")
    def prediction_count(self, obj):
        return obj.prediction_count

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "probability" in form.changed_data:
            self.message_user(
                request, f"Re-derived the probability of every phrase-based prediction using “{obj.phrase}”."
            )


@admin.register(Resolution)
class ResolutionAdmin(SimpleHistoryAdmin):
    """Append-only: a new row judges (or reopens) its question; existing rows are never changed or deleted."""

    form = ResolutionForm
    list_display = ["question", "outcome", "resolved_at", "resolved_by", "evidence_link"]
    list_filter = ["outcome", "resolved_at"]
    search_fields = ["question__title", "evidence"]
    autocomplete_fields = ["question"]
    list_select_related = ["question", "resolved_by"]
    date_hierarchy = "resolved_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="evidence")
    def evidence_link(self, obj):
        return format_html('<a href="{}" rel="noopener">link</a>', obj.evidence_url) if obj.evidence_url else "—"

    def save_model(self, request, obj, form, change):
        # The service appends the row, moves the question's outcome and version on and completes its checks.
        if obj.outcome == Resolution.REOPENED:
            resolution = services.question_unresolve(
                question_id=obj.question_id, reason=obj.evidence, user=request.user
            )
        else:
            resolution = services.question_resolve(
                question_id=obj.question_id,
                outcome=obj.outcome,
                evidence=obj.evidence,
                evidence_url=obj.evidence_url,
                user=request.user,
            )
        form.instance = obj = resolution
        messages.info(request, f"{resolution.question} is now {resolution.question.status}.")

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(ResolutionCheck)
class ResolutionCheckAdmin(admin.ModelAdmin):
    list_display = ["question", "due_at", "status", "assigned_to", "notified_at", "completed_at"]
    list_filter = ["status", "due_at", "assigned_to"]
    search_fields = ["question__title", "assigned_to__username"]
    autocomplete_fields = ["question", "assigned_to"]
    list_select_related = ["question", "assigned_to"]
    date_hierarchy = "due_at"
