import pytest
from django.contrib import admin
from django.urls import reverse

from forecasts.models import Prediction, ProbabilityPhrase, Question, Resolution
from tests.factories import admin_user, analyst_user, reader_user

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label == "forecasts"]


def _urls():
    for model in MODELS:
        opts = model._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")


def test_every_forecasts_model_is_in_the_admin():
    names = {model.__name__ for model in MODELS}
    assert {
        "Source",
        "Analyst",
        "AnalystAlias",
        "Topic",
        "Question",
        "Prediction",
        "ProbabilityPhrase",
        "Resolution",
        "ResolutionCheck",
    } <= names


@pytest.mark.parametrize("url", list(_urls()))
def test_changelist_and_add_pages_for_superuser_and_anonymous(client, seeded, url):
    assert client.get(url).status_code == 302  # anonymous: to the login page

    client.force_login(admin_user())
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", list(_urls()))
def test_changelist_search_and_filters_answer(client, seeded, url):
    if not url.endswith("/add/"):
        client.force_login(admin_user())
        assert client.get(url, {"q": "Bennett"}).status_code == 200


def test_question_page_shows_predictions_and_read_only_history(client, seeded):
    question = Question.objects.get(key="nk-troops-cannon-fodder")
    Resolution.objects.create(question=question, outcome="yes", evidence="Kursk reports.")
    client.force_login(admin_user())

    page = client.get(reverse("admin:forecasts_question_change", args=[question.pk])).content.decode()

    assert "The Russians are going to tend to use them as cannon fodder" in page
    assert "Kursk reports." in page
    # The history is shown, not editable: no form fields for resolution rows.
    assert 'name="resolutions-0-evidence"' not in page
    assert 'name="predictions-0-quote"' in page


def test_autocomplete_for_analysts_and_sources(client, seeded):
    client.force_login(admin_user())
    url = reverse("admin:autocomplete")
    for model, term, expected in [("analyst", "Benn", "Bruce Bennett"), ("source", "troop", "N.K. troop dispatch")]:
        response = client.get(
            url, {"term": term, "app_label": "forecasts", "model_name": "prediction", "field_name": model}
        )
        assert response.status_code == 200
        assert expected in response.content.decode()


def test_analyst_sees_questions_but_api_reader_is_refused(client, seeded):
    url = reverse("admin:forecasts_question_changelist")
    client.force_login(analyst_user())
    page = client.get(url)
    assert page.status_code == 200
    assert "Will Russia use North Korean troops" in page.content.decode()

    reader = reader_user()
    client.force_login(reader)
    # api-readers are not staff: the admin sends them to log in as someone who is.
    assert client.get(url).status_code == 302


def test_analyst_can_edit_questions_but_not_the_phrase_table(client, seeded):
    client.force_login(analyst_user())
    phrase = ProbabilityPhrase.objects.get(phrase="likely")

    response = client.post(
        reverse("admin:forecasts_probabilityphrase_change", args=[phrase.pk]),
        {"phrase": "likely", "probability": "0.99", "low": "0.5", "high": "1", "reference": "x"},
    )

    assert response.status_code == 403
    phrase.refresh_from_db()
    assert phrase.probability == 0.7


def test_editing_a_phrase_in_the_admin_rederives_predictions(client, seeded):
    client.force_login(admin_user())
    phrase = ProbabilityPhrase.objects.get(phrase="could")

    response = client.post(
        reverse("admin:forecasts_probabilityphrase_change", args=[phrase.pk]),
        {"phrase": "could", "probability": "0.45", "low": "0.2", "high": "0.55", "reference": phrase.reference},
    )

    assert response.status_code == 302
    assert Prediction.objects.get(question__key="nk-russian-military-technology").probability == 0.45


def test_adding_a_resolution_in_the_admin_resolves_through_the_service(client, seeded):
    user = analyst_user()
    client.force_login(user)
    question = Question.objects.get(key="nk-elite-pushback")

    response = client.post(
        reverse("admin:forecasts_resolution_add"),
        {"question": question.pk, "outcome": "no", "evidence": "No reports of elite unrest.", "evidence_url": ""},
    )

    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.outcome, question.version) == ("no", 2)
    assert question.resolutions.get().resolved_by == user


def test_resolutions_cannot_be_changed_or_deleted_in_the_admin(client, seeded):
    question = Question.objects.get(key="nk-elite-pushback")
    resolution = Resolution.objects.create(question=question, outcome="no", evidence="original")
    client.force_login(admin_user())

    client.post(
        reverse("admin:forecasts_resolution_change", args=[resolution.pk]),
        {"question": question.pk, "outcome": "yes", "evidence": "rewritten", "evidence_url": ""},
    )
    response = client.post(reverse("admin:forecasts_resolution_delete", args=[resolution.pk]), {"post": "yes"})

    assert response.status_code == 403
    resolution.refresh_from_db()
    assert (resolution.outcome, resolution.evidence) == ("no", "original")


def test_probability_out_of_range_in_admin_is_a_form_error(client, seeded):
    client.force_login(admin_user())
    question = Question.objects.get(key="nk-elite-pushback")
    analyst = question.predictions.get().analyst

    response = client.post(
        reverse("admin:forecasts_prediction_add"),
        {
            "analyst": analyst.pk,
            "question": question.pk,
            "made_at_0": "2024-10-22",
            "made_at_1": "09:00",
            "basis": "stated",
            "probability": "1.5",
        },
    )

    assert response.status_code == 200
    assert "less than or equal to 1.0" in response.content.decode()
    assert question.predictions.count() == 1
