"""Tamper-proofing: the audit trail, object rules, frozen scores, throttling, headers and size limits."""

import hashlib
import io

import pytest
from django.core.cache import cache
from django.urls import reverse

from forecasts.services import phrases, questions
from forecasts.services.imports import forecasts_import
from forecasts.models import Analyst, Prediction, ProbabilityPhrase, Question, Resolution
from forecasts.services.rules import SYSTEM
from tests.factories import PredictionFactory, QuestionFactory, admin_user, analyst_user

pytestmark = pytest.mark.django_db
API = "/api/v1/"


# --- audit trail ----------------------------------------------------------------------------------------------


def test_resolving_through_the_api_leaves_who_when_what(api, seeded):
    client = api("analyst")
    question = Question.objects.get(key="nk-elite-pushback")

    client.post(f"{API}questions/{question.pk}/resolve/", {"outcome": "no", "evidence": "none seen", "version": 1}, format="json")

    latest = question.history.first()
    assert latest.history_user == client.user
    assert latest.history_change_reason == "resolved: no"
    assert (latest.outcome, latest.version) == ("no", 2)
    assert latest.history_type == "~"
    resolution = Resolution.history.get()
    assert resolution.history_user == client.user and resolution.outcome == "no"


def test_editing_a_prediction_records_the_change(api, seeded):
    client = api("analyst")
    prediction = Prediction.objects.get(question__key="nk-troop-numbers")

    response = client.patch(f"{API}predictions/{prediction.pk}/", {"probability": 0.8}, format="json")

    assert response.status_code == 200
    new, old = prediction.history.all()[:2]
    delta = new.diff_against(old)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("probability", 0.9, 0.8)]
    assert new.history_user == client.user


def test_phrase_edits_and_imports_are_in_the_trail(seeded):
    phrase = ProbabilityPhrase.objects.get(phrase="likely")
    phrases.phrase_update(phrase_id=phrase.pk, data={"probability": 0.72}, user=SYSTEM)
    elite = Prediction.objects.get(question__key="nk-elite-pushback")
    assert elite.history.first().probability == 0.72
    assert "re-derived" in elite.history.first().history_change_reason
    assert phrase.history.count() == 2

    # Rewritten on purpose (issue #18): an import is recorded once, and its forecasts link to that record instead
    # of each having a history row of its own; questions and judgements keep theirs, naming the import.
    importer = analyst_user()
    text = "analyst,question,probability,made_at,resolve_by,outcome\nA,Q?,0.5,2024-01-01,2025-01-01,yes\n"
    forecasts_import(lines=io.StringIO(text), user=importer, file_name="q.csv")
    imported = Prediction.objects.get(question__title="Q?")
    record = imported.csv_import
    assert (record.imported_by, record.file_name, record.rows, record.text) == (importer, "q.csv", 1, text)
    assert record.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert not imported.history.exists()
    assert imported.question.history.last().history_change_reason == f"CSV import #{record.pk}"
    assert imported.question.history.first().history_change_reason == f"CSV import #{record.pk}"


def test_history_is_visible_in_the_admin(client, seeded):
    question = Question.objects.get(key="nk-elite-pushback")
    questions.question_resolve(question_id=question.pk, outcome="no", user=analyst_user(username="judge"), evidence="Seen in the news.")
    client.force_login(admin_user())

    page = client.get(reverse("admin:forecasts_question_history", args=[question.pk]))

    assert page.status_code == 200
    assert "judge" in page.content.decode()
    assert "resolved: no" in page.content.decode()


@pytest.mark.parametrize(
    "path",
    ["questions/{q}/", "predictions/{p}/", "analysts/bruce-bennett/", "sources/{s}/", "checks/{c}/"],
)
def test_nothing_is_deleted_through_the_api(api, seeded, path):
    from forecasts.models import ResolutionCheck

    question = Question.objects.get(key="nk-elite-pushback")
    check = ResolutionCheck.objects.create(question=question, due_at=question.resolve_by)
    prediction = question.predictions.get()
    url = API + path.format(q=question.pk, p=prediction.pk, s=prediction.source_id, c=check.pk)

    assert api("admin").delete(url).status_code == 405
    assert Question.objects.filter(pk=question.pk).exists() and Prediction.objects.filter(pk=prediction.pk).exists()


# --- object rules and frozen scores ---------------------------------------------------------------------------


@pytest.fixture
def in_house(db):
    """Two in-house analysts, each with a login, and one forecast of the first."""
    ann, bob = analyst_user(username="ann"), analyst_user(username="bob")
    ann_analyst = Analyst.objects.create(name="Ann In-House", slug="ann", user=ann)
    Analyst.objects.create(name="Bob In-House", slug="bob", user=bob)
    prediction = PredictionFactory(analyst=ann_analyst, probability=0.3)
    return {"ann": ann, "bob": bob, "prediction": prediction}


def _client_for(api, user):
    from knox.models import AuthToken

    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")
    return client


def test_an_analyst_cannot_edit_another_analysts_own_forecasts(api, in_house):
    prediction = in_house["prediction"]
    bob = _client_for(api, in_house["bob"])

    response = bob.patch(f"{API}predictions/{prediction.pk}/", {"probability": 0.99}, format="json")

    assert response.status_code == 403
    assert "logs their own forecasts" in response.json()["detail"]
    prediction.refresh_from_db()
    assert prediction.probability == 0.3

    ann = _client_for(api, in_house["ann"])
    assert ann.patch(f"{API}predictions/{prediction.pk}/", {"probability": 0.35}, format="json").status_code == 200
    assert api("admin").patch(f"{API}predictions/{prediction.pk}/", {"note": "checked"}, format="json").status_code == 200


def test_an_analyst_cannot_forecast_in_another_in_house_analysts_name(api, in_house):
    body = {"analyst": "ann", "question": QuestionFactory().pk, "probability": 0.5, "basis": "stated", "made_at": "2026-01-01T00:00:00Z"}
    assert _client_for(api, in_house["bob"]).post(f"{API}predictions/", body, format="json").status_code == 403
    assert _client_for(api, in_house["ann"]).post(f"{API}predictions/", body, format="json").status_code == 201
    # Nor move one's own forecast onto someone else.
    mine = Prediction.objects.filter(analyst__slug="ann").last()
    assert _client_for(api, in_house["ann"]).patch(f"{API}predictions/{mine.pk}/", {"analyst": "bob"}, format="json").status_code == 403


def test_the_admin_enforces_the_same_object_rule(client, in_house):
    prediction = in_house["prediction"]
    client.force_login(in_house["bob"])
    url = reverse("admin:forecasts_prediction_change", args=[prediction.pk])

    page = client.get(url)
    assert page.status_code == 200 and 'name="probability"' not in page.content.decode()  # read-only for bob
    response = client.post(url, {"analyst": prediction.analyst_id, "question": prediction.question_id, "probability": "0.99", "basis": "stated", "made_at_0": "2026-01-01", "made_at_1": "00:00"})
    assert response.status_code == 403
    prediction.refresh_from_db()
    assert prediction.probability == 0.3


def test_a_judged_questions_forecasts_are_frozen(api, seeded):
    client = api("analyst")
    prediction = Prediction.objects.get(question__key="nk-elite-pushback")
    questions.question_resolve(question_id=prediction.question_id, outcome="no", user=SYSTEM, evidence="Seen in the news.")

    frozen = client.patch(f"{API}predictions/{prediction.pk}/", {"probability": 0.1}, format="json")
    assert frozen.status_code == 409
    assert "frozen" in frozen.json()["detail"]
    assert client.patch(f"{API}predictions/{prediction.pk}/", {"note": "typo fixed"}, format="json").status_code == 200
    prediction.refresh_from_db()
    assert prediction.probability == 0.7 and prediction.note == "typo fixed"


# --- abuse ----------------------------------------------------------------------------------------------------


def test_tokens_and_anonymous_clients_are_throttled(api, seeded, settings):
    cache.clear()
    settings.API_THROTTLE_USER = "3/minute"
    settings.API_THROTTLE_ANON = "2/minute"
    reader = api("reader")
    assert [reader.get(f"{API}analysts/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Retry-After" in reader.get(f"{API}analysts/")
    # Another token has its own budget.
    assert api("reader").get(f"{API}analysts/").status_code == 200
    # Anonymous clients reach only the public endpoints (schema, token); those are throttled per address.
    anonymous = api()
    assert [anonymous.get(f"{API}schema/").status_code for _ in range(3)] == [200, 200, 429]
    cache.clear()


def test_security_headers_on_pages_and_api(client, seeded):
    client.force_login(analyst_user())
    for url in (reverse("dashboard"), f"{API}analysts/", "/healthz"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_oversized_bodies_get_a_clear_413(api, db, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api("analyst").post(f"{API}questions/", {"title": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert "limit here is 1,000 bytes" in response.json()["detail"]
    page = client.post(reverse("login"), {"username": "x" * 5000, "password": "y"})
    assert page.status_code == 413


def test_an_oversized_csv_upload_is_a_form_error(client, seeded, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.CSV_IMPORT_MAX_BYTES = 1_000_000
    client.force_login(admin_user())
    big = SimpleUploadedFile("big.csv", b"analyst,question\n" + b"a,b\n" * 300_000)
    response = client.post(reverse("admin:forecasts_prediction_import"), {"file": big})
    assert response.status_code == 413
    assert Prediction.objects.count() == 6
