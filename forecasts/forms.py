import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone

from django.core.exceptions import ValidationError

from forecasts.dates import require_supported
from forecasts.models import Analyst, IngestJob, Outcome, Prediction, ProbabilityPhrase, Resolution
from forecasts.services import drafts, jobs
from forecasts.services.predictions import probability_for
from forecasts.services.rules import RuleBroken


def refusal_errors(exc: Exception) -> dict[str | None, list[str]]:
    """A service's refusal as form errors: {field or None: messages}."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {(None if field == "__all__" else field): messages for field, messages in exc.message_dict.items()}
        return {None: exc.messages}
    if isinstance(exc, RuleBroken):
        return {exc.field: [str(exc)]}
    return {None: [str(exc)]}


def refusal_messages(exc: Exception) -> list[str]:
    return [message for messages in refusal_errors(exc).values() for message in messages]


def add_refusal(form: forms.BaseForm, exc: Exception) -> None:
    """Show a service's refusal on a form: on the field it names when the form has it, else above the form."""
    for field, messages in refusal_errors(exc).items():
        form.add_error(field if field in form.fields else None, messages)


class SupportedDateTimeField(forms.DateTimeField):
    """Django's, within the supported years (forecasts/dates.py), in UTC: outside them is a form error."""

    def to_python(self, value):
        return require_supported(super().to_python(value), given=value.strip() if isinstance(value, str) else None)


class ServiceModelForm(forms.ModelForm):
    """The admin's forms. `refusal` is set, per request, to what a service refused of this very input (the
    admin saves through the services, then shows the page again with it). The dates they are given are held to
    the supported years (forecasts/dates.py) like every door's."""

    refusal = None

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, dt.datetime) and name in self.changed_data:
                try:
                    cleaned[name] = require_supported(value)
                except ValidationError as exc:
                    self.add_error(name, exc)
        if self.refusal is not None:
            add_refusal(self, self.refusal)
        return cleaned


class PredictionForm(ServiceModelForm):
    class Meta:
        model = Prediction
        fields = ["analyst", "question", "source", "made_at", "quote", "hedge_phrase", "phrase", "basis", "probability", "note"]
        help_texts = {"probability": "Between 0 and 1. For a phrase-based prediction it is taken from the phrase table."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A phrase-based prediction takes its number from the phrase table, so the field may be left empty.
        # (The field is absent when the admin shows the form read-only.)
        if "probability" in self.fields:
            self.fields["probability"].required = False

    def clean(self):
        cleaned = super().clean()
        if "basis" in cleaned and "probability" not in self.errors:
            cleaned["probability"] = self.instance.probability = probability_for(
                basis=cleaned["basis"], phrase=cleaned.get("phrase"), probability=cleaned.get("probability")
            )
        return cleaned


class ResolutionForm(ServiceModelForm):
    class Meta:
        model = Resolution
        fields = ["question", "outcome", "evidence", "evidence_url"]


class CsvImportForm(forms.Form):
    file = forms.FileField(help_text="A UTF-8 CSV file.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CSV_IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {settings.CSV_IMPORT_MAX_BYTES // 1_000_000} MB.")
        return upload


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        help_text="What happened, and how you know it. Required: a judgement without evidence cannot be checked.",
    )
    evidence_url = forms.URLField(required=False, max_length=500, label="Evidence URL", assume_scheme="https")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class UnresolveForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000, help_text="Why it is reopened.")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SnoozeForm(forms.Form):
    until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Look again on",
        help_text="Not yet knowable: the check comes back on this date.",
    )

    def clean(self):
        cleaned = super().clean()
        if "until" in cleaned:
            cleaned["until_datetime"] = timezone.make_aware(dt.datetime.combine(cleaned["until"], dt.time(9, 0)))
        return cleaned


class LeaderboardForm(forms.Form):
    ORDERINGS = [
        ("brier", "Brier (best first)"),
        ("-brier", "Brier (worst first)"),
        ("log_loss", "Log loss (best first)"),
        ("-brier_skill", "Skill (best first)"),
        ("-n_resolved", "Most resolved"),
        ("name", "Name"),
    ]
    DEFAULTS = {"min_resolved": 1, "ordering": "brier", "phrase_bound": None}

    min_resolved = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1, required=False, label="At least resolved")
    ordering = forms.ChoiceField(choices=ORDERINGS, required=False, label="Sort by")
    phrase_bound = forms.ChoiceField(
        choices=[("", "the table's numbers"), ("low", "each phrase's low bound"), ("high", "each phrase's high bound")],
        required=False,
        label="Score hedge words at",
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["min_resolved"] = cleaned.get("min_resolved") or 1
        cleaned["ordering"] = cleaned.get("ordering") or "brier"
        cleaned["phrase_bound"] = cleaned.get("phrase_bound") or None
        return cleaned


class ArticleForm(forms.Form):
    """An article to read for forecasts: pasted or uploaded (UTF-8 text, 1 MB at most)."""

    title = forms.CharField(max_length=300, required=False, help_text="Defaults to the article's first line.")
    publisher = forms.CharField(max_length=200, required=False)
    url = forms.URLField(max_length=500, required=False)
    published_at = SupportedDateTimeField(required=False, help_text="YYYY-MM-DD; defaults to now.")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), required=False, strip=False)
    file = forms.FileField(required=False, help_text="Or a .txt file, UTF-8.")

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload and (data.get("text") or "").strip():
            raise forms.ValidationError("Paste the article or upload it, not both: which one should be read?")
        if upload:
            try:
                drafts.article_size_check(upload.size)
                data["text"] = drafts.article_from_bytes(upload.read())
            except drafts.IngestError as exc:
                raise forms.ValidationError({"file": str(exc)}) from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError({"text": "Paste the article's text or upload it as a file."})
        return data

    def ingest(self, *, user) -> drafts.IngestReport | IngestJob | None:
        """Read the article if the form is valid: at once within the synchronous budget (the report), else as a job
        (the job: show its progress); None (with the reason as a form error) if it cannot be read."""
        if not self.is_valid():
            return None
        data = {name: self.cleaned_data[name] for name in ("text", "title", "publisher", "url", "published_at")}
        try:
            return jobs.article_submit(**data, user=user)
        except drafts.IngestError as exc:
            self.add_error("text", str(exc))
            return None
        except ValidationError as exc:
            add_refusal(self, exc)
            return None


class DraftAcceptForm(forms.Form):
    analyst = forms.ModelChoiceField(Analyst.objects.order_by("name"), required=False, help_text="Or name a new one below.")
    new_analyst_name = forms.CharField(max_length=200, required=False)
    question_title = forms.CharField(max_length=300)
    resolution_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    resolve_by = SupportedDateTimeField()
    check_every_days = forms.IntegerField(min_value=1, max_value=3650, required=False)
    probability = forms.FloatField(
        min_value=0.0, max_value=1.0, required=False,
        help_text="Leave empty to use the speaker's stated number or the phrase table; a number here is your reading "
                  "(judged) and needs a note.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    phrase = forms.ModelChoiceField(
        ProbabilityPhrase.objects.all(), required=False, label="Phrase-table row",
        help_text="The row the hedge words map to; change it if the reader chose the wrong one.",
    )

    def __init__(self, *args, draft=None, **kwargs):
        self.draft = draft
        if draft is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "analyst": draft.analyst_id,
                "new_analyst_name": "" if draft.analyst_id else draft.speaker,
                "question_title": draft.question_title,
                "resolution_criteria": draft.resolution_criteria,
                "resolve_by": draft.resolve_by,
                "check_every_days": draft.check_every.days if draft.check_every else None,
                "phrase": draft.phrase_id,
            }
        super().__init__(*args, **kwargs)
        if draft is not None:
            self.prefix = f"draft-{draft.pk}"

    def clean(self):
        data = super().clean()
        if data.get("probability") is not None and not (data.get("note") or "").strip():
            self.add_error("note", "Say why: a probability you give is a judged reading and needs a note.")
        stated = self.draft is not None and self.draft.basis == "stated"
        if data.get("probability") is None and data.get("phrase") is None and not stated:
            self.add_error("probability", "No phrase-table row matches these hedge words: give a probability and a note.")
        if not data.get("analyst") and not (data.get("new_analyst_name") or "").strip():
            self.add_error("new_analyst_name", "Choose an analyst or name a new one: the quotation has no speaker.")
        return data
