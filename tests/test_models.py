import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from forecasts.forms import PredictionForm
from forecasts.models import Analyst, AnalystAlias, Prediction, ProbabilityPhrase, Resolution, ResolutionCheck, Source
from tests.factories import AnalystFactory, PhraseFactory, QuestionFactory


def raw_prediction(**fields) -> Prediction:
    """A row written past the services and the model's validation: what the database alone refuses."""
    defaults = {"analyst": AnalystFactory(), "question": QuestionFactory(), "probability": 0.6, "basis": "stated",
                "made_at": timezone.now()}
    return Prediction.objects.create(**{**defaults, **fields})

pytestmark = pytest.mark.django_db


def _form_data(**overrides):
    data = {
        "analyst": AnalystFactory().pk,
        "question": QuestionFactory().pk,
        "made_at": "2024-10-22 09:00",
        "basis": "stated",
        "probability": "0.6",
        "quote": "",
        "hedge_phrase": "",
        "note": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("probability", ["1.5", "-0.1"])
def test_form_rejects_probability_outside_unit_interval(probability):
    form = PredictionForm(data=_form_data(probability=probability))

    assert not form.is_valid()
    assert "probability" in form.errors
    assert Prediction.objects.count() == 0


def test_form_accepts_probability_at_the_bounds():
    for probability in ("0", "1"):
        form = PredictionForm(data=_form_data(probability=probability))
        assert form.is_valid(), form.errors
        assert form.save().probability == float(probability)


@pytest.mark.parametrize("probability", [1.5, -0.1])
def test_database_rejects_probability_outside_unit_interval(probability):
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_prediction(probability=probability)
    assert Prediction.objects.count() == 0


def test_phrase_form_takes_probability_from_the_table():
    phrase = PhraseFactory(phrase="likely", probability=0.7, low=0.55, high=0.8)
    form = PredictionForm(data=_form_data(basis="phrase", phrase=phrase.pk, probability="", hedge_phrase="likely"))

    assert form.is_valid(), form.errors
    assert form.save().probability == 0.7


def test_phrase_basis_without_a_phrase_is_rejected_by_form_and_database():
    form = PredictionForm(data=_form_data(basis="phrase"))
    assert not form.is_valid()
    assert "phrase" in form.errors

    with pytest.raises(IntegrityError), transaction.atomic():
        raw_prediction(basis=Prediction.Basis.PHRASE, phrase=None)


def test_judged_basis_needs_a_note():
    form = PredictionForm(data=_form_data(basis="judged", note="  "))
    assert not form.is_valid()
    assert "note" in form.errors

    with pytest.raises(IntegrityError), transaction.atomic():
        raw_prediction(basis=Prediction.Basis.JUDGED, note="")


def test_quote_must_occur_in_the_source_text():
    source = Source.objects.create(title="S", text='He said: "Prices will rise."')
    form = PredictionForm(data=_form_data(source=source.pk, quote="Prices will fall"))
    assert not form.is_valid()
    assert "quote" in form.errors

    form = PredictionForm(data=_form_data(source=source.pk, quote="Prices will rise."))
    assert form.is_valid(), form.errors


def test_phrase_table_ranges_are_checked_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProbabilityPhrase.objects.create(phrase="odd", probability=0.9, low=0.2, high=0.5, reference="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProbabilityPhrase.objects.create(phrase="odd", probability=1.2, low=0.2, high=1.5, reference="x")


def test_slugs_and_aliases_are_unique():
    analyst = AnalystFactory(slug="bruce-bennett")
    with pytest.raises(IntegrityError), transaction.atomic():
        Analyst.objects.create(name="Another", slug="bruce-bennett")  # past the service: the database refuses

    AnalystAlias.objects.create(analyst=analyst, name="Bruce Bennet")
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalystAlias.objects.create(analyst=AnalystFactory(), name="Bruce Bennet")


def test_source_url_unique_only_when_set():
    Source.objects.create(title="a", url="")
    Source.objects.create(title="b", url="")
    Source.objects.create(title="c", url="https://example.com/x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(title="d", url="https://example.com/x")
    assert Source.objects.count() == 3


def test_one_check_per_question_and_due_time():
    question = QuestionFactory()
    due = timezone.now().replace(microsecond=0)
    ResolutionCheck.objects.create(question=question, due_at=due)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResolutionCheck.objects.create(question=question, due_at=due)
    ResolutionCheck.objects.create(question=question, due_at=due + dt.timedelta(days=90))
    assert question.checks.count() == 2


def test_resolution_outcome_choices_enforced_by_database():
    question = QuestionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Resolution.objects.create(question=question, outcome="maybe")


def test_resolution_rows_are_never_updated_in_place():
    resolution = Resolution.objects.create(question=QuestionFactory(), outcome="yes", evidence="report")

    resolution.evidence = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        resolution.save()
    # Below the ORM, the database trigger refuses too.
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Resolution.objects.filter(pk=resolution.pk).update(evidence="rewritten")

    resolution.refresh_from_db()
    assert resolution.evidence == "report"


def test_question_with_history_cannot_be_deleted():
    question = QuestionFactory()
    Resolution.objects.create(question=question, outcome="no")
    with pytest.raises(Exception), transaction.atomic():
        question.delete()
    assert Resolution.objects.filter(question=question).exists()


def test_question_status_follows_current_outcome():
    question = QuestionFactory()
    assert question.status == "open"
    for outcome, status in [("yes", "resolved"), ("no", "resolved"), ("ambiguous", "ambiguous"), ("annulled", "annulled")]:
        question.outcome = outcome
        assert question.status == status
