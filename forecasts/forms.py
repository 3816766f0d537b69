import datetime as dt

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from forecasts import drafting
from forecasts.drafting import MAX_ARTICLE_BYTES
from forecasts.models import STATUS_OUTCOMES, Analyst, Outcome, Prediction, ProbabilityPhrase, Question, Resolution, Topic
from forecasts.text import decode_article


class PredictionForm(forms.ModelForm):
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
        basis, phrase = cleaned.get("basis"), cleaned.get("phrase")
        if basis == Prediction.Basis.PHRASE and phrase is not None:
            cleaned["probability"] = phrase.probability
            self.instance.probability = phrase.probability
        elif "probability" in self.fields and cleaned.get("probability") is None and "probability" not in self.errors:
            self.add_error("probability", "Give a probability between 0 and 1 (or choose the phrase basis).")
        return cleaned


class ResolutionForm(forms.ModelForm):
    class Meta:
        model = Resolution
        fields = ["question", "outcome", "evidence", "evidence_url"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == Resolution.REOPENED and not (cleaned.get("evidence") or "").strip():
            self.add_error("evidence", "Say why the question is reopened.")
        return cleaned


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

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError("Choose a date after today.")
        if until > timezone.localdate() + dt.timedelta(days=3 * 366):
            raise forms.ValidationError("Choose a date within three years.")
        return until

    def clean(self):
        cleaned = super().clean()
        if "until" in cleaned:
            cleaned["until_datetime"] = timezone.make_aware(dt.datetime.combine(cleaned["until"], dt.time(9, 0)))
        return cleaned


class QuestionFilterForm(forms.Form):
    DUE_CHOICES = [("", "Any time"), ("overdue", "Past resolve-by, still open"), ("upcoming", "Not yet due")]

    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Question.Status.choices])
    topic = forms.ModelChoiceField(
        required=False, queryset=Topic.objects.order_by("name"), to_field_name="slug", empty_label="Any topic"
    )
    due = forms.ChoiceField(required=False, choices=DUE_CHOICES)

    def filter(self, questions, *, now):
        data = self.cleaned_data
        if data.get("q"):
            term = data["q"]
            questions = questions.filter(
                Q(title__icontains=term)
                | Q(resolution_criteria__icontains=term)
                | Q(pk__in=Prediction.objects.filter(Q(quote__icontains=term) | Q(analyst__name__icontains=term)).values("question_id"))
            )
        if data.get("status"):
            questions = questions.filter(outcome__in=STATUS_OUTCOMES[data["status"]])
        if data.get("topic"):
            questions = questions.filter(topics=data["topic"])
        if data.get("due") == "overdue":
            questions = questions.filter(outcome="", resolve_by__lte=now)
        elif data.get("due") == "upcoming":
            questions = questions.filter(resolve_by__gt=now)
        return questions


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
    published_at = forms.DateTimeField(required=False, help_text="YYYY-MM-DD; defaults to now.")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), required=False, strip=False)
    file = forms.FileField(required=False, help_text="Or a .txt file, UTF-8.")

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > MAX_ARTICLE_BYTES:
                raise forms.ValidationError({"file": f"The file is {upload.size:,} bytes; the limit is 1 MB."})
            try:
                data["text"] = decode_article(upload.read())
            except ValueError as exc:
                raise forms.ValidationError({"file": f"The file is {exc}."}) from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError({"text": "Paste the article's text or upload it as a file."})
        return data

    def ingest(self, *, user) -> "drafting.IngestReport | None":
        """Read the article if the form is valid; None (with the reason as a form error) if it cannot be."""
        if not self.is_valid():
            return None
        data = {name: self.cleaned_data[name] for name in ("text", "title", "publisher", "url", "published_at")}
        try:
            return drafting.article_ingest(**data, user=user)
        except drafting.IngestError as exc:
            self.add_error("text", str(exc))
            return None


class DraftAcceptForm(forms.Form):
    analyst = forms.ModelChoiceField(Analyst.objects.order_by("name"), required=False, help_text="Or name a new one below.")
    new_analyst_name = forms.CharField(max_length=200, required=False)
    question_title = forms.CharField(max_length=300)
    resolution_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    resolve_by = forms.DateTimeField()
    check_every_days = forms.IntegerField(min_value=1, max_value=3650, required=False)
    probability = forms.FloatField(
        min_value=0.0, max_value=1.0, required=False,
        help_text="Leave empty to use the phrase table; a number here is your reading (judged) and needs a note.",
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
        if data.get("probability") is None and data.get("phrase") is None:
            self.add_error("probability", "No phrase-table row matches these hedge words: give a probability and a note.")
        if not data.get("analyst") and not (data.get("new_analyst_name") or "").strip():
            self.add_error("new_analyst_name", "Choose an analyst or name a new one: the quotation has no speaker.")
        return data
