"""The admin: a door like the others. Every save, inline, list edit, action and delete calls a service; a refusal
comes back as a form error (the input kept, nothing written) or, on a list, as an error message."""

import io

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from forecasts import selectors
from forecasts.guard import unlock_login
from forecasts.forms import ArticleForm, CsvImportForm, PredictionForm, ResolutionForm, ServiceModelForm, refusal_messages
from forecasts.models import (
    Analyst,
    AnalystAlias,
    DraftPrediction,
    Import,
    IngestJob,
    Prediction,
    ProbabilityPhrase,
    Question,
    Resolution,
    ResolutionCheck,
    Source,
    Topic,
)
from forecasts.services import analysts, checks, jobs, phrases, predictions, questions, rules
from forecasts.services.imports import ImportRejected, forecasts_import
from forecasts.services.rules import RuleBroken

admin.site.site_header = "Hindsight administration"
admin.site.site_title = "Hindsight"
admin.site.index_title = "Data entry"

REFUSALS = (RuleBroken, ValidationError)


class ServiceAdmin(admin.ModelAdmin):
    """Writes through the services. A refusal raised while saving rolls the whole request back (the admin's
    views are atomic); the page is then shown again with the refusal as a form error on the same input."""

    form = ServiceModelForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.refusal = getattr(request, "hindsight_refusal", None)  # a fresh class per request
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except REFUSALS as exc:
            if request.method != "POST" or getattr(request, "hindsight_refusal", None) is not None:
                raise
            request.hindsight_refusal = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except REFUSALS as exc:
            self.message_user(request, "Nothing was saved: " + " ".join(refusal_messages(exc)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except REFUSALS as exc:
            self.message_user(request, "Nothing was deleted: " + " ".join(refusal_messages(exc)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @staticmethod
    def changes(form, *, exclude=()) -> dict:
        """The model fields the form changed, as a service's `data`."""
        return {name: value for name, value in ServiceAdmin.fields_of(form, exclude=exclude).items() if name in form.changed_data}

    @staticmethod
    def fields_of(form, *, exclude=()) -> dict:
        """The form's model fields, as a service's `data`."""
        names = {f.name for f in form._meta.model._meta.get_fields() if not getattr(f, "primary_key", False)}
        return {name: value for name, value in form.cleaned_data.items() if name in names and name not in exclude}


class HistoryServiceAdmin(ServiceAdmin, SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # "Revert to this version" would write an old state past the services' checks of the present one (and
        # SIMPLE_HISTORY_REVERT_DISABLED only hides the button): the audit trail is for reading, in the list.
        raise PermissionDenied("Reverting from the history is switched off; edit the object instead.")


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
        result = form.ingest(user=request.user) if request.method == "POST" else None
        if isinstance(result, IngestJob):  # above the synchronous budget: a worker reads it; follow its progress
            return redirect("job-detail", job_id=result.pk)
        if result is not None:
            self.message_user(request, f"{result}. Review them on the drafts page.")
            return redirect("source-drafts", source_id=result.source.pk)
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


def save_inline_forms(request, formset, *, create, update, delete) -> None:
    """An inline formset's rows through the services: create(form), update(form), delete(obj). Records what
    was done as formset.save() would, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if form in formset.deleted_forms:
            if form.instance.pk is not None:
                delete(form.instance)
                formset.deleted_objects.append(form.instance)
        elif form.instance.pk is None:
            if form.has_changed():
                formset.new_objects.append(create(form))
        elif form.has_changed():
            formset.changed_objects.append((update(form), form.changed_data))


@admin.register(Analyst)
class AnalystAdmin(HistoryServiceAdmin):
    list_display = ["name", "slug", "kind", "affiliation", "title", "user", "prediction_count"]
    ordering = ["name"]
    list_filter = ["kind", "affiliation"]
    search_fields = ["name", "slug", "affiliation", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]
    inlines = [AliasInline]
    actions = ["merge_analysts"]

    @admin.action(description="Merge the selected analysts into one (admins only)")
    def merge_analysts(self, request, queryset):
        """One person, one analyst: pick the survivor; the others' forecasts, drafts and aliases move to it, their
        names become aliases, their slugs redirect. Refusals (both linked to users, twin forecasts) are shown."""
        candidates = analysts.merge_candidates(list(queryset.values_list("pk", flat=True)))
        if len(candidates) < 2:
            self.message_user(request, "Select at least two analysts to merge.", messages.WARNING)
            return None
        if request.POST.get("survivor"):
            survivor_id = int(request.POST["survivor"])
            merged = [a for a in candidates if a.pk != survivor_id]
            try:
                with transaction.atomic():
                    for analyst in merged:
                        analysts.analyst_merge(survivor_id=survivor_id, merged_id=analyst.pk, user=request.user)
            except REFUSALS as exc:
                self.message_user(request, "Nothing was merged: " + " ".join(refusal_messages(exc)), messages.ERROR)
                return None
            names = ", ".join(a.name for a in merged)
            self.message_user(request, f"Merged {names} into {Analyst.objects.get(pk=survivor_id).name}.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge analysts",
            "candidates": candidates,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/forecasts/analyst/merge.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prediction_count=Count("predictions"))

    @admin.display(ordering="prediction_count", description="predictions")
    def prediction_count(self, obj):
        return obj.prediction_count

    def save_model(self, request, obj, form, change):
        if change:
            form.instance = analysts.analyst_update(analyst_id=obj.pk, data=self.changes(form), user=request.user)
        else:
            form.instance = analysts.analyst_create(data=self.fields_of(form), user=request.user)

    def save_related(self, request, form, formsets, change):
        analyst = form.instance
        for formset in formsets:
            formset.instance = analyst
            save_inline_forms(
                request, formset,
                create=lambda f: analysts.alias_create(analyst=analyst, name=f.cleaned_data["name"], user=request.user),
                update=lambda f: analysts.alias_update(alias_id=f.instance.pk, data=self.changes(f), user=request.user),
                delete=lambda alias: analysts.alias_delete(alias_id=alias.pk, user=request.user),
            )


@admin.register(AnalystAlias)
class AnalystAliasAdmin(HistoryServiceAdmin):
    list_display = ["name", "analyst"]
    search_fields = ["name", "analyst__name"]
    autocomplete_fields = ["analyst"]

    def save_model(self, request, obj, form, change):
        if change:
            form.instance = analysts.alias_update(alias_id=obj.pk, data=self.changes(form), user=request.user)
        else:
            form.instance = analysts.alias_create(analyst=obj.analyst, name=obj.name, user=request.user)

    def delete_model(self, request, obj):
        analysts.alias_delete(alias_id=obj.pk, user=request.user)


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
class QuestionAdmin(HistoryServiceAdmin):
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
        # The service moves the version on with every edit, so a resolve that read the old version through the
        # API gets a 409 instead of judging a question it has not seen.
        topics = form.cleaned_data.get("topics") if "topics" in form.changed_data or not change else None
        if change:
            form.instance = questions.question_update(
                question_id=obj.pk, data=self.changes(form, exclude={"topics"}), topics=topics, user=request.user
            )
        else:
            form.instance = questions.question_create(
                data=self.fields_of(form, exclude={"topics"}), topics=topics, user=request.user
            )

    def save_related(self, request, form, formsets, change):
        question = form.instance
        for formset in formsets:
            if formset.model is not Prediction:
                # Read-only inlines (judgements, checks): nothing to save, nothing for the change message.
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
                continue
            formset.instance = question
            save_inline_forms(
                request, formset,
                create=lambda f: predictions.prediction_create(
                    data={**self.fields_of(f), "question": question}, user=request.user
                ),
                update=lambda f: predictions.prediction_update(
                    prediction_id=f.instance.pk, data=self.changes(f), user=request.user
                ),
                delete=lambda p: predictions.prediction_delete(prediction_id=p.pk, user=request.user),
            )

    def delete_model(self, request, obj):
        questions.question_delete(question_id=obj.pk, user=request.user)


@admin.register(Prediction)
class PredictionAdmin(HistoryServiceAdmin):
    form = PredictionForm
    # An imported forecast's history starts with its Import (who, when, which file), shown above its changes.
    object_history_template = "admin/forecasts/prediction/object_history.html"
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
        # Shown read-only to whom the object rule refuses (the service refuses them whatever is posted).
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return rules.may_write_forecasts_of(user=request.user, analyst=obj.analyst)
        return allowed

    def save_model(self, request, obj, form, change):
        if change:
            form.instance = predictions.prediction_update(
                prediction_id=obj.pk, data=self.changes(form), user=request.user
            )
        else:
            form.instance = predictions.prediction_create(data=self.fields_of(form), user=request.user)

    def delete_model(self, request, obj):
        predictions.prediction_delete(prediction_id=obj.pk, user=request.user)

    def history_view(self, request, object_id, extra_context=None):
        record = Import.objects.select_related("imported_by").defer("text").filter(predictions__pk=object_id).first()
        context = {**(extra_context or {}), "csv_import": record,
                   "may_view_import": record is not None and request.user.has_perm("forecasts.view_import")}
        return super().history_view(request, object_id, extra_context=context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_csv)
        job_view = self.admin_site.admin_view(self.import_job)
        return [
            path("import/", view, name="forecasts_prediction_import"),
            path("import/jobs/<int:job_id>/", job_view, name="forecasts_prediction_import_job"),
            *super().get_urls(),
        ]

    def import_csv(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CsvImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > settings.CSV_SYNC_MAX_BYTES:
                    # Too large to import while the request waits: a worker imports it; its page shows the progress.
                    text = upload.read().decode("utf-8-sig")
                    job = jobs.csv_job_create(text=text, file_name=upload.name, user=request.user)
                    return redirect("admin:forecasts_prediction_import_job", job_id=job.pk)
                text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
                report = forecasts_import(lines=text, user=request.user, file_name=upload.name)
            except UnicodeDecodeError:
                errors = ["The file is not UTF-8 text; save the CSV as UTF-8. Nothing was imported."]
            except ImportRejected as exc:
                errors = ["Nothing was imported.", *exc.errors]
            else:
                self.message_user(request, f"Imported {upload.name}: {report}.")
                return redirect("admin:forecasts_prediction_changelist")
        context = {
            **self.admin_site.each_context(request), "form": form, "errors": errors, "title": "Import CSV",
            "sync_max_mb": f"{settings.CSV_SYNC_MAX_BYTES / 1_000_000:g}",
        }
        return TemplateResponse(request, "admin/forecasts/prediction/import.html", context)

    def import_job(self, request, job_id: int):
        """A CSV file being imported by a worker: progress (the page refreshes itself), then the report or the
        errors. Only its user or an admin sees it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        job = get_object_or_404(selectors.jobs_visible_to(user=request.user, kind=IngestJob.Kind.CSV), pk=job_id)
        context = {
            **self.admin_site.each_context(request), "job": job, "title": f"Importing {job.file_name or 'a CSV file'}",
            "refresh_seconds": None if job.finished else 2,
        }
        return TemplateResponse(request, "admin/forecasts/prediction/import_job.html", context)


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    """CSV imports, each recorded once: the audit record of the forecasts it wrote. Read-only (the database
    refuses changing or deleting a row); the file as imported can be downloaded."""

    list_display = ["__str__", "imported_by", "sha256"]
    list_select_related = ["imported_by"]
    date_hierarchy = "imported_at"
    fields = ["imported_at", "imported_by", "file_name", "rows", "sha256", "file"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text")

    def has_add_permission(self, request):
        return self.admin_site._registry[Prediction].has_add_permission(request)

    def add_view(self, request, form_url="", extra_context=None):
        # Adding an import is importing a file: the same page as Predictions → Import CSV.
        return self.admin_site._registry[Prediction].import_csv(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="file")
    def file(self, obj):
        url = reverse("admin:forecasts_import_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.file_name or f"import-{obj.pk}.csv")

    def get_urls(self):
        view = self.admin_site.admin_view(self.download)
        return [path("<int:import_id>/file/", view, name="forecasts_import_file"), *super().get_urls()]

    def download(self, request, import_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = get_object_or_404(Import, pk=import_id)
        response = HttpResponse(record.text, content_type="text/csv; charset=utf-8")
        name = (record.file_name or f"import-{record.pk}.csv").replace('"', "")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(ProbabilityPhrase)
class ProbabilityPhraseAdmin(HistoryServiceAdmin):
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
        # The change page and the changelist's inline editing both save here.
        if change:
            form.instance = phrases.phrase_update(phrase_id=obj.pk, data=self.changes(form), user=request.user)
            if "probability" in form.changed_data:
                self.message_user(
                    request,
                    f"Re-derived the probability of every phrase-based prediction on an open question using "
                    f"“{obj.phrase}”; forecasts on judged questions keep theirs.",
                )
        else:
            form.instance = phrases.phrase_create(data=self.fields_of(form), user=request.user)


@admin.register(Resolution)
class ResolutionAdmin(HistoryServiceAdmin):
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
            resolution = questions.question_unresolve(question_id=obj.question_id, reason=obj.evidence, user=request.user)
        else:
            resolution = questions.question_resolve(
                question_id=obj.question_id,
                outcome=obj.outcome,
                evidence=obj.evidence,
                evidence_url=obj.evidence_url,
                user=request.user,
            )
        form.instance = resolution
        messages.info(request, f"{resolution.question} is now {resolution.question.status}.")

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(ResolutionCheck)
class ResolutionCheckAdmin(ServiceAdmin):
    list_display = ["question", "due_at", "status", "assigned_to", "notified_at", "completed_at"]
    list_filter = ["status", "due_at", "assigned_to"]
    search_fields = ["question__title", "assigned_to__username"]
    autocomplete_fields = ["question", "assigned_to"]
    list_select_related = ["question", "assigned_to"]
    date_hierarchy = "due_at"
    fields = ["question", "due_at", "assigned_to", "status", "notified_at", "completed_at", "snoozed_until"]

    def get_readonly_fields(self, request, obj=None):
        # A check's state is moved by the sweep, resolving and snoozing; here it is made or reassigned.
        status = ["status", "notified_at", "completed_at", "snoozed_until"]
        return status if obj is None else ["question", "due_at", *status]

    def save_model(self, request, obj, form, change):
        if change:
            form.instance = checks.check_assign(
                check_id=obj.pk, assigned_to=form.cleaned_data.get("assigned_to"), user=request.user
            )
        else:
            form.instance = checks.check_create(
                question=obj.question, due_at=obj.due_at, assigned_to=obj.assigned_to, user=request.user
            )


User = get_user_model()


class UserAdmin(DjangoUserAdmin):
    actions = ["unlock_logins"]

    @admin.action(description="Unlock login (clear waits after failed logins and lock-outs)")
    def unlock_logins(self, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        for user in queryset:
            unlock_login(user.get_username())
        self.message_user(request, f"Unlocked {queryset.count()} login(s).")


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
