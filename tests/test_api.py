"""The API contract of SPEC.md: every endpoint and field, and bad input answered with 400, never 500."""

import datetime as dt

import pytest
from django.utils import timezone

from forecasts.services import questions
from forecasts.models import Prediction, Question, Resolution, ResolutionCheck
from forecasts.services.rules import SYSTEM
from tests.factories import AnalystFactory, PredictionFactory, QuestionFactory, TopicFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/"
EXAMPLE_A = ([0.9, 0.2, 0.6, 0.7, 0.4], ["yes", "no", "yes", "yes", "no"])


def _resolved_predictions(analyst, ps, outcomes, **kwargs):
    for p, outcome in zip(ps, outcomes, strict=True):
        question = QuestionFactory()
        PredictionFactory(analyst=analyst, question=question, probability=p, **kwargs)
        questions.question_resolve(question_id=question.pk, outcome=outcome, user=SYSTEM, evidence="Seen in the news.")


# --- auth -----------------------------------------------------------------------------------------------------


def test_token_for_username_and_password(client, db):
    from tests.factories import reader_user

    reader_user(username="consumer")
    response = client.post(f"{API}auth/token/", {"username": "consumer", "password": "pass-word-123"})
    assert response.status_code == 200
    assert response.json().keys() == {"token", "expiry"}
    token = response.json()["token"]
    assert len(token) == 64  # knox: 32 random bytes, hex

    listing = client.get(f"{API}analysts/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listing.status_code == 200


def test_token_with_wrong_password_is_400(client, db):
    response = client.post(f"{API}auth/token/", {"username": "nobody", "password": "x"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert client.post(f"{API}auth/token/", {}).json().keys() == {"username", "password"}


def test_no_credentials_is_401(api):
    response = api().get(f"{API}analysts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- analysts and calibration --------------------------------------------------------------------------------


def test_analysts_list_and_detail(api, seeded):
    client = api("reader")
    listing = client.get(f"{API}analysts/").json()
    assert listing["count"] == 4
    bennett = next(a for a in listing["results"] if a["slug"] == "bruce-bennett")
    assert bennett == {
        "slug": "bruce-bennett",
        "name": "Bruce Bennett",
        "kind": "person",
        "affiliation": "RAND Corp.",
        "title": "Senior defense analyst",
        "aliases": ["Bruce Bennet"],
    }
    assert client.get(f"{API}analysts/bruce-bennett/").json() == bennett
    assert client.get(f"{API}analysts/nobody/").status_code == 404
    assert client.get(f"{API}analysts/", {"search": "Bennet"}).json()["count"] == 1


def test_calibration_has_the_documented_shape_and_spec_numbers(api, db):
    analyst = AnalystFactory(slug="a")
    _resolved_predictions(analyst, *EXAMPLE_A)

    body = api("reader").get(f"{API}analysts/a/calibration/").json()

    assert set(body) == {"analyst", "n_resolved", "brier", "log_loss", "base_rate", "brier_skill", "bins", "decomposition"}
    assert body["analyst"] == "a"
    assert body["n_resolved"] == 5
    assert body["brier"] == pytest.approx(0.092, abs=1e-6)
    assert body["log_loss"] == pytest.approx(0.341366, abs=1e-6)
    assert body["base_rate"] == pytest.approx(0.6, abs=1e-6)
    assert body["brier_skill"] == pytest.approx(0.616667, abs=1e-6)
    assert len(body["bins"]) == 10
    assert set(body["bins"][0]) == {"lower", "upper", "n", "mean_probability", "observed_frequency", "ci_low", "ci_high"}
    assert [b["n"] for b in body["bins"]] == [0, 0, 1, 0, 1, 0, 1, 1, 0, 1]
    assert body["bins"][0]["mean_probability"] is None and body["bins"][0]["ci_low"] is None
    assert body["bins"][7] == pytest.approx(
        {"lower": 0.7, "upper": 0.8, "n": 1, "mean_probability": 0.7, "observed_frequency": 1.0, "ci_low": 1 / (1 + 1.959964**2), "ci_high": 1.0},
        abs=1e-6,
    )
    d = body["decomposition"]
    assert set(d) == {"reliability", "resolution", "uncertainty", "within_bin_variance", "within_bin_covariance"}
    rebuilt = d["reliability"] - d["resolution"] + d["uncertainty"] + d["within_bin_variance"] - d["within_bin_covariance"]
    assert rebuilt == pytest.approx(body["brier"], abs=1e-9)


def test_calibration_example_c_with_five_bins(api, db):
    analyst = AnalystFactory(slug="c")
    _resolved_predictions(analyst, [0.05, 0.15, 0.62, 0.68, 0.71, 0.91], ["no", "yes", "no", "yes", "yes", "yes"])

    body = api("reader").get(f"{API}analysts/c/calibration/", {"bins": 5}).json()

    assert len(body["bins"]) == 5
    assert body["brier"] == pytest.approx(0.217333, abs=1e-6)
    assert body["decomposition"] == pytest.approx(
        {
            "reliability": 0.054689,
            "resolution": 0.027778,
            "uncertainty": 0.222222,
            "within_bin_variance": 0.001533,
            "within_bin_covariance": 0.033333,
        },
        abs=1e-6,
    )


def test_calibration_leaves_out_open_ambiguous_and_annulled(api, db):
    analyst = AnalystFactory(slug="a")
    _resolved_predictions(analyst, [0.8, 0.3], ["yes", "no"])
    _resolved_predictions(analyst, [0.9, 0.1], ["ambiguous", "annulled"])
    PredictionFactory(analyst=analyst, probability=0.5)  # open

    body = api("reader").get(f"{API}analysts/a/calibration/").json()
    assert body["n_resolved"] == 2
    assert body["brier"] == pytest.approx((0.04 + 0.09) / 2)


def test_calibration_with_nothing_resolved_lists_empty_bins(api, db):
    AnalystFactory(slug="new")
    body = api("reader").get(f"{API}analysts/new/calibration/", {"bins": 4}).json()
    assert body["n_resolved"] == 0
    assert body["brier"] is None and body["brier_skill"] is None
    assert [b["n"] for b in body["bins"]] == [0, 0, 0, 0]
    assert all(value is None for value in body["decomposition"].values())


def test_calibration_filters_since_until_topic_basis(api, db):
    analyst = AnalystFactory(slug="a")
    topic = TopicFactory(slug="war")
    old = dt.datetime(2023, 6, 1, tzinfo=dt.timezone.utc)
    new = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
    _resolved_predictions(analyst, [0.9], ["yes"], made_at=old)
    _resolved_predictions(analyst, [0.6], ["no"], made_at=new, basis=Prediction.Basis.JUDGED, note="reading")
    Question.objects.get(predictions__probability=0.6).topics.add(topic)
    client = api("reader")
    url = f"{API}analysts/a/calibration/"

    assert client.get(url).json()["n_resolved"] == 2
    assert client.get(url, {"since": "2024-01-01T00:00:00Z"}).json()["brier"] == pytest.approx(0.36)
    assert client.get(url, {"until": "2024-01-01T00:00:00Z"}).json()["brier"] == pytest.approx(0.01)
    assert client.get(url, {"topic": "war"}).json()["n_resolved"] == 1
    assert client.get(url, {"basis": "stated"}).json()["brier"] == pytest.approx(0.01)
    assert client.get(url, {"topic": "none"}).json()["n_resolved"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ({"bins": 0}, "bins"),
        ({"bins": 21}, "bins"),
        ({"bins": "x"}, "bins"),
        ({"bins": 1}, "bins"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2024-13-45"}, "until"),
        ({"basis": "gut"}, "basis"),
        ({"since": "2024-02-01T00:00Z", "until": "2024-01-01T00:00Z"}, "until"),
    ],
)
def test_calibration_bad_query_is_400_with_field_errors(api, db, query, field):
    AnalystFactory(slug="a")
    response = api("reader").get(f"{API}analysts/a/calibration/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_calibration_of_unknown_analyst_is_404(api, db):
    assert api("reader").get(f"{API}analysts/nobody/calibration/").status_code == 404


# --- leaderboard ---------------------------------------------------------------------------------------------


def test_leaderboard_shape_ordering_and_min_resolved(api, db):
    good, bad, thin = AnalystFactory(slug="good", name="Good"), AnalystFactory(slug="bad", name="Bad"), AnalystFactory(slug="thin", name="Thin")
    _resolved_predictions(good, [0.9, 0.1, 0.8], ["yes", "no", "yes"])
    _resolved_predictions(bad, [0.2, 0.9, 0.4], ["yes", "no", "yes"])
    _resolved_predictions(thin, [0.5], ["yes"])
    client = api("reader")

    body = client.get(f"{API}calibration/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [row["analyst"] for row in body["results"]] == ["good", "thin", "bad"]
    first = body["results"][0]
    assert set(first) == {"analyst", "name", "n_resolved", "brier", "log_loss", "brier_skill"}
    assert first["n_resolved"] == 3
    assert first["brier"] == pytest.approx((0.01 + 0.01 + 0.04) / 3)
    assert first["brier_skill"] == pytest.approx(1 - 0.02 / (2 / 3 * 1 / 3))
    assert body["results"][1]["brier_skill"] is None  # one outcome only: skill undefined

    assert [r["analyst"] for r in client.get(f"{API}calibration/", {"min_resolved": 2}).json()["results"]] == ["good", "bad"]
    assert [r["analyst"] for r in client.get(f"{API}calibration/", {"ordering": "-brier"}).json()["results"]] == ["bad", "thin", "good"]
    by_skill = client.get(f"{API}calibration/", {"ordering": "-brier_skill"}).json()["results"]
    assert [r["analyst"] for r in by_skill] == ["good", "bad", "thin"]  # null skill last


def test_leaderboard_paginates(api, db):
    for n in range(3):
        _resolved_predictions(AnalystFactory(slug=f"a{n}"), [0.1 * (n + 1)], ["no"])
    client = api("reader")
    body = client.get(f"{API}calibration/", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and "page=2" in body["next"]
    last = client.get(body["next"]).json()
    assert [r["analyst"] for r in last["results"]] == ["a2"] and last["next"] is None
    # Each page is read with the number of all rows beside it (one aggregate); past the end is a 404, as elsewhere.
    assert client.get(f"{API}calibration/", {"page_size": 2, "page": "last"}).json()["results"] == last["results"]
    assert client.get(f"{API}calibration/", {"page_size": 2, "page": 3}).status_code == 404
    assert client.get(f"{API}calibration/", {"page": "x"}).status_code == 404
    # A page whose first row is past what OFFSET can hold is empty too (it was a 500, found by the stateful fuzzer).
    huge = {"page_size": 16152684344476, "page": 381624453010188150056681472}
    assert client.get(f"{API}calibration/", huge).status_code == 404
    empty = client.get(f"{API}calibration/", {"min_resolved": 5}).json()
    assert (empty["count"], empty["results"], empty["next"]) == (0, [], None)
    filtered = client.get(f"{API}calibration/", {"page_size": 2, "since": "2000-01-01T00:00:00Z"}).json()
    assert filtered["count"] == 3 and len(filtered["results"]) == 2


@pytest.mark.parametrize(
    "query, field",
    [({"min_resolved": 0}, "min_resolved"), ({"min_resolved": "x"}, "min_resolved"), ({"ordering": "drop"}, "ordering"), ({"since": "x"}, "since")],
)
def test_leaderboard_bad_query_is_400(api, db, query, field):
    response = api("reader").get(f"{API}calibration/", query)
    assert response.status_code == 400
    assert field in response.json()


# --- questions and resolving ---------------------------------------------------------------------------------


def test_questions_list_filters_and_detail(api, seeded):
    client = api("reader")
    listing = client.get(f"{API}questions/").json()
    assert listing["count"] == 6
    question = listing["results"][0]
    assert set(question) == {
        "id", "key", "title", "resolution_criteria", "topics", "resolve_by", "check_every", "owner", "status", "outcome", "version", "created_at"
    }
    cannon = Question.objects.get(key="nk-troops-cannon-fodder")
    questions.question_resolve(question_id=cannon.pk, outcome="yes", evidence="Kursk", user=SYSTEM)

    assert client.get(f"{API}questions/", {"status": "resolved"}).json()["count"] == 1
    assert client.get(f"{API}questions/", {"status": "open"}).json()["count"] == 5
    assert client.get(f"{API}questions/", {"topic": "european-security"}).json()["count"] == 1
    assert client.get(f"{API}questions/", {"analyst": "bruce-bennett"}).json()["count"] == 3
    assert client.get(f"{API}questions/", {"search": "elites"}).json()["count"] == 1
    detail = client.get(f"{API}questions/{cannon.pk}/").json()
    assert detail["status"] == "resolved" and detail["version"] == 2
    assert detail["resolutions"][0]["outcome"] == "yes" and detail["resolutions"][0]["evidence"] == "Kursk"
    assert client.get(f"{API}questions/", {"status": "maybe"}).status_code == 400


def test_analyst_creates_and_edits_a_question(api, seeded):
    client = api("analyst")
    response = client.post(
        f"{API}questions/",
        {
            "title": "Will it rain?",
            "resolution_criteria": "YES if it rains.",
            "resolve_by": "2026-01-01T00:00:00Z",
            "check_every": "P30D",
            "topics": ["ukraine-war"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "open" and created["version"] == 1 and created["topics"] == ["ukraine-war"]
    assert created["key"].startswith("will-it-rain-")
    assert created["check_every"] == "30 00:00:00"

    patched = client.patch(f"{API}questions/{created['id']}/", {"title": "Will it pour?", "version": 1}, format="json")
    assert patched.status_code == 200 and patched.json()["version"] == 2

    stale = client.patch(f"{API}questions/{created['id']}/", {"title": "Will it drizzle?", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Question.objects.get(pk=created["id"]).title == "Will it pour?"


def test_question_create_bad_input_is_400(api, db):
    client = api("analyst")
    response = client.post(f"{API}questions/", {"title": "", "resolve_by": "soon", "topics": ["nope"]}, format="json")
    assert response.status_code == 400
    assert {"title", "resolution_criteria", "resolve_by", "topics"} <= set(response.json())


def test_resolve_with_version_appends_history_and_completes_the_check(api, seeded):
    question = Question.objects.get(key="nk-troops-cannon-fodder")
    check = ResolutionCheck.objects.create(question=question, due_at=question.resolve_by)
    client = api("analyst")

    response = client.post(
        f"{API}questions/{question.pk}/resolve/",
        {"outcome": "yes", "evidence": "NK troops fought in Kursk.", "evidence_url": "https://example.org/kursk", "version": 1},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["outcome"], body["version"]) == ("resolved", "yes", 2)
    assert body["resolutions"][0]["resolved_by"] == client.user.username
    check.refresh_from_db()
    assert check.status == "done"

    stale = client.post(
        f"{API}questions/{question.pk}/resolve/", {"outcome": "no", "evidence": "Denied.", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    assert Resolution.objects.filter(question=question).count() == 1

    reopened = client.post(f"{API}questions/{question.pk}/unresolve/", {"reason": "Reports retracted.", "version": 2}, format="json")
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"
    assert [r["outcome"] for r in reopened.json()["resolutions"]] == ["reopened", "yes"]
    again = client.post(f"{API}questions/{question.pk}/unresolve/", {"reason": "twice"}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"outcome": "maybe", "version": 1}, "outcome"),
        ({"outcome": "reopened", "version": 1}, "outcome"),
        ({"version": 1}, "outcome"),
        ({"outcome": "yes"}, "version"),
        ({"outcome": "yes", "version": "one"}, "version"),
        ({"outcome": "yes", "version": 1, "evidence_url": "not a url"}, "evidence_url"),
    ],
)
def test_resolve_bad_input_is_400_and_writes_nothing(api, seeded, body, field):
    question = Question.objects.get(key="nk-elite-pushback")
    response = api("analyst").post(f"{API}questions/{question.pk}/resolve/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Resolution.objects.exists()


def test_resolve_unknown_question_is_404(api, db):
    assert api("analyst").post(f"{API}questions/999/resolve/", {"outcome": "yes", "version": 1}, format="json").status_code == 404


def test_questions_cannot_be_deleted_or_replaced(api, seeded):
    question = Question.objects.first()
    client = api("admin")
    assert client.delete(f"{API}questions/{question.pk}/").status_code == 405
    assert client.put(f"{API}questions/{question.pk}/", {}, format="json").status_code == 405


# --- predictions ---------------------------------------------------------------------------------------------


def test_predictions_list_and_filters(api, seeded):
    client = api("reader")
    listing = client.get(f"{API}predictions/").json()
    assert listing["count"] == 6
    assert set(listing["results"][0]) == {
        "id", "analyst", "question", "source", "quote", "hedge_phrase", "phrase", "probability", "basis", "note", "made_at", "question_status", "outcome"
    }
    assert client.get(f"{API}predictions/", {"analyst": "bruce-bennett"}).json()["count"] == 3
    assert client.get(f"{API}predictions/", {"basis": "judged"}).json()["count"] == 1
    assert client.get(f"{API}predictions/", {"status": "open"}).json()["count"] == 6
    assert client.get(f"{API}predictions/", {"search": "cannon fodder"}).json()["count"] == 1


def test_analyst_records_predictions(api, seeded):
    question = Question.objects.get(key="nk-elite-pushback")
    client = api("analyst")

    stated = client.post(
        f"{API}predictions/",
        {"analyst": "andrew-yeo", "question": question.pk, "probability": 0.25, "basis": "stated", "made_at": "2024-11-01T00:00:00Z"},
        format="json",
    )
    assert stated.status_code == 201, stated.json()
    assert stated.json()["probability"] == 0.25

    phrased = client.post(
        f"{API}predictions/",
        {
            "analyst": "andrew-yeo",
            "question": question.pk,
            "basis": "phrase",
            "phrase": "unlikely",
            "hedge_phrase": "is unlikely to",
            "made_at": "2024-11-02T00:00:00Z",
        },
        format="json",
    )
    assert phrased.status_code == 201, phrased.json()
    assert phrased.json()["probability"] == 0.2
    assert Prediction.objects.get(pk=phrased.json()["id"]).created_by == client.user


@pytest.mark.parametrize(
    "override, field",
    [
        ({"probability": 1.5}, "probability"),
        ({"probability": -0.1}, "probability"),
        ({"probability": "abc"}, "probability"),
        ({"analyst": "nobody"}, "analyst"),
        ({"question": 99999}, "question"),
        ({"made_at": "22/10/2024"}, "made_at"),
        ({"basis": "gut"}, "basis"),
        ({"basis": "phrase", "probability": None}, "phrase"),
        ({"basis": "phrase", "phrase": "perhaps"}, "phrase"),
        ({"basis": "judged"}, "note"),
        ({"probability": None}, "probability"),
        ({"analyst": None}, "analyst"),
    ],
)
def test_prediction_bad_input_is_400_with_field_errors(api, seeded, override, field):
    body = {"analyst": "andrew-yeo", "question": Question.objects.first().pk, "probability": 0.3, "basis": "stated", "made_at": "2024-11-01T00:00:00Z"}
    body.update(override)
    body = {k: v for k, v in body.items() if v is not None}

    response = api("analyst").post(f"{API}predictions/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Prediction.objects.count() == 6


def test_prediction_missing_everything_is_400(api, db):
    response = api("analyst").post(f"{API}predictions/", {}, format="json")
    assert response.status_code == 400
    assert {"analyst", "question", "basis", "made_at"} <= set(response.json())


def test_prediction_quote_must_be_in_the_source(api, seeded):
    from forecasts.models import Source

    body = {
        "analyst": "andrew-yeo",
        "question": Question.objects.first().pk,
        "probability": 0.3,
        "basis": "stated",
        "made_at": "2024-11-01T00:00:00Z",
        "source": Source.objects.get().pk,
        "quote": "words never said",
    }
    response = api("analyst").post(f"{API}predictions/", body, format="json")
    assert response.status_code == 400 and "quote" in response.json()


def test_malformed_json_is_400(api, db):
    response = api("analyst").post(f"{API}predictions/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_predictions_export_is_csv_in_the_import_format(api, seeded):
    questions.question_resolve(question_id=Question.objects.get(key="nk-elite-pushback").pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")
    response = api("reader").get(f"{API}predictions/export/", {"analyst": "bruce-bennett"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "analyst,question,probability,made_at,resolve_by,outcome,question_key,quote,source_url,hedge_phrase"
    assert len(lines) == 4
    assert any(",no,nk-elite-pushback," in line for line in lines)


# --- sources, checks, schema, health -------------------------------------------------------------------------


def test_sources_list(api, seeded):
    body = api("reader").get(f"{API}sources/").json()
    assert body["count"] == 1
    source = body["results"][0]
    assert set(source) == {"id", "title", "publisher", "url", "published_at", "text"}
    assert "cannon fodder" in source["text"]


def test_checks_list_create_and_snooze(api, seeded):
    question = Question.objects.get(key="nk-troop-numbers")
    client = api("analyst")

    created = client.post(
        f"{API}checks/", {"question": question.pk, "due_at": "2025-10-21T15:00:00Z", "assigned_to": client.user.username}, format="json"
    )
    assert created.status_code == 201, created.json()
    check = created.json()
    assert check["status"] == "pending" and check["assigned_to"] == client.user.username
    # The same question and due time is the same check.
    again = client.post(f"{API}checks/", {"question": question.pk, "due_at": "2025-10-21T15:00:00Z"}, format="json")
    assert again.json()["id"] == check["id"]
    assert ResolutionCheck.objects.count() == 1

    listing = client.get(f"{API}checks/", {"status": "pending", "assigned_to": client.user.username}).json()
    assert [c["id"] for c in listing["results"]] == [check["id"]]

    until = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0).astimezone(dt.timezone.utc)
    snoozed = client.post(f"{API}checks/{check['id']}/snooze/", {"until": until.isoformat()}, format="json")
    assert snoozed.status_code == 200
    assert snoozed.json()["status"] == "snoozed"
    assert snoozed.json()["snoozed_until"] == until.isoformat().replace("+00:00", "Z")

    assert client.post(f"{API}checks/{check['id']}/snooze/", {"until": "next week"}, format="json").status_code == 400
    questions.question_resolve(question_id=question.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    done = client.post(f"{API}checks/{check['id']}/snooze/", {"until": until.isoformat()}, format="json")
    assert done.status_code == 409


def test_schema_and_docs(api, db):
    client = api("reader")
    schema = client.get(f"{API}schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/tokens/",
        "/api/v1/auth/tokens/{token_key}/",
        "/api/v1/analysts/",
        "/api/v1/analysts/{slug}/",
        "/api/v1/analysts/{slug}/calibration/",
        "/api/v1/calibration/",
        "/api/v1/questions/",
        "/api/v1/questions/{id}/",
        "/api/v1/questions/{id}/resolve/",
        "/api/v1/questions/{id}/unresolve/",
        "/api/v1/predictions/",
        "/api/v1/sources/",
        "/api/v1/checks/",
        "/api/v1/checks/{id}/snooze/",
    ]:
        assert path in paths, path
    docs = client.get(f"{API}docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content.lower()


def test_healthz(client, db, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_DIR = tmp_path
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_nul_characters_are_bad_input_not_a_server_error(api, seeded):
    client = api("analyst")
    question = Question.objects.first()
    body = {"analyst": "yeo\x00", "question": question.pk, "probability": 0.3, "basis": "stated", "made_at": "2024-11-01T00:00:00Z"}
    response = client.post(f"{API}predictions/", body, format="json")
    assert response.status_code == 400 and "analyst" in response.json()
    assert client.get(f"{API}predictions/", {"analyst": "yeo\x00"}).status_code == 400
    assert client.get(f"{API}questions/", {"search": "a\x00b"}).status_code in (200, 400)


@pytest.mark.django_db
def test_a_date_filter_with_an_offset_postgresql_cannot_store_is_compared_in_utc(api, seeded):
    """Found by fuzzing: Python parses offsets up to ±23:59, PostgreSQL refuses beyond ±15:59 (a DataError)."""
    client = api("reader")
    far = client.get("/api/v1/predictions/", {"made_before": "2000-07-30T12:34:11-18:41"})
    assert far.status_code == 200 and far.json()["count"] == 0
    late = client.get("/api/v1/predictions/", {"made_after": "2024-10-21T10:00:00-18:41"})
    assert late.json()["count"] == 0  # 2024-10-22T04:41Z is after the seeded claims (2024-10-22T00:00Z)
    early = client.get("/api/v1/predictions/", {"made_after": "2024-10-21T05:00:00-18:41"})
    assert early.json()["count"] == 6
