from django import forms
from django.conf import settings

from forecasts.models import Prediction, Resolution


class PredictionForm(forms.ModelForm):
    class Meta:
        model = Prediction
        fields = ["analyst", "question", "source", "made_at", "quote", "hedge_phrase", "phrase", "basis", "probability", "note"]
        help_texts = {"probability": "Between 0 and 1. For a phrase-based prediction it is taken from the phrase table."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A phrase-based prediction takes its number from the phrase table, so the field may be left empty.
        self.fields["probability"].required = False

    def clean(self):
        cleaned = super().clean()
        basis, phrase = cleaned.get("basis"), cleaned.get("phrase")
        if basis == Prediction.Basis.PHRASE and phrase is not None:
            cleaned["probability"] = phrase.probability
            self.instance.probability = phrase.probability
        elif cleaned.get("probability") is None and "probability" not in self.errors:
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
