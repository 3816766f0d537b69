"""Every date from a client falls in the supported years, 1900–2200 in UTC (forecasts/dates.py), on every door:
the API's fields, query parameters and filters (400 naming the field), the pages' forms (a form error), the admin,
the ingest_article command (one plain line) and article_ingest itself. The CSV import's dates: tests/test_csv_io.py.

Run these on PostgreSQL too (DATABASE_URL=postgres://…): it refuses offsets beyond ±15:59 that SQLite stores."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from forecasts.dates import FIRST_YEAR, LAST_YEAR, SUPPORTED_ISO_PATTERN, SUPPORTED_RANGE, require_supported
from forecasts.models import DraftPrediction, Prediction, Question, ResolutionCheck, Source
from forecasts.services import checks
from forecasts.services.drafts import article_ingest
from forecasts.services.rules import SYSTEM
from forecasts.services.seeds import SeedReport, phrases_load
from tests.conftest import SEEDS_DIR
from tests.factories import admin_user, analyst_user

UTC = dt.timezone.utc
OUTSIDE = "is outside 1900–2200"
RAW = (SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.txt").read_text(encoding="utf-8")
# Far out: in Python's range but not in UTC (9999…-05:00, 0001…+01:00 overflow converting); just out; out in UTC only.
FAR = [
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+01:00",
    "1899-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "2200-12-31T23:00:00-05:00",
    "1900-01-01T00:30:00+01:00",
]


# --- the rule -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1900, 1, 1, tzinfo=UTC),
        dt.datetime(2200, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        dt.datetime(1900, 1, 1, 0, 30, tzinfo=dt.timezone(-dt.timedelta(hours=1))),
        dt.datetime(2024, 1, 1),
        dt.date(2200, 12, 31),
    ],
)
def test_the_supported_range_holds_its_ends(value):
    back = require_supported(value, "when")
    assert back == value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        assert back.utcoffset() == dt.timedelta(0) and SUPPORTED_RANGE[0] <= back < SUPPORTED_RANGE[1]


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC),
        dt.datetime(2201, 1, 1, tzinfo=UTC),
        dt.datetime(2200, 12, 31, 23, tzinfo=dt.timezone(-dt.timedelta(hours=5))),  # 2201 in UTC
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),  # overflows converting to UTC
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=5))),
        dt.datetime(9999, 12, 31),
        dt.date(1, 1, 1),
    ],
)
def test_outside_the_range_is_a_validation_error_naming_the_field(value):
    with pytest.raises(ValidationError) as excinfo:
        require_supported(value, "made_at")
    assert excinfo.value.messages == [f"made_at {value.isoformat()!r} {OUTSIDE} (years, in UTC)"]


def test_an_aware_value_comes_back_in_utc_and_the_schema_pattern_is_the_same_years():
    far_offset = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(-dt.timedelta(hours=18, minutes=41)))
    back = require_supported(far_offset, "made_at")
    assert back == far_offset and back.utcoffset() == dt.timedelta(0)
    assert require_supported(None, "made_at") is None
    pattern = re.compile(SUPPORTED_ISO_PATTERN)
    assert [year for year in range(1, 10_000) if pattern.search(f"{year:04d}-01-01T00:00:00Z")] == list(
        range(FIRST_YEAR, LAST_YEAR + 1)
    )


# --- the API --------------------------------------------------------------------------------------------------


def _check(question) -> ResolutionCheck:
    return checks.check_create(question=question, due_at=dt.datetime(2030, 1, 1, tzinfo=UTC), user=SYSTEM)


WRITES = {
    "questions resolve_by": (
        "post", lambda q: "questions/",
        lambda q, when: {"key": "far-question", "title": "Far?", "resolution_criteria": "YES if.", "resolve_by": when},
        "resolve_by",
    ),
    "question PATCH resolve_by": (
        "patch", lambda q: f"questions/{q.pk}/", lambda q, when: {"resolve_by": when, "version": q.version}, "resolve_by",
    ),
    "predictions made_at": (
        "post", lambda q: "predictions/",
        lambda q, when: {"analyst": q.predictions.first().analyst.slug, "question": q.pk, "probability": 0.3,
                         "basis": "stated", "made_at": when},
        "made_at",
    ),
    "checks due_at": ("post", lambda q: "checks/", lambda q, when: {"question": q.pk, "due_at": when}, "due_at"),
    "snooze until": ("post", lambda q: f"checks/{_check(q).pk}/snooze/", lambda q, when: {"until": when}, "until"),
    "sources published_at": ("post", lambda q: "sources/", lambda q, when: {"text": RAW, "published_at": when}, "published_at"),
}


@pytest.mark.parametrize("when", FAR)
@pytest.mark.parametrize("door", list(WRITES))
def test_api_writes_refuse_a_date_outside_the_range_with_a_400_naming_the_field(api, seeded, door, when):
    method, path, body, field = WRITES[door]
    question = Question.objects.filter(outcome="").exclude(predictions=None).order_by("pk").first()
    client = api("admin")
    url = f"/api/v1/{path(question)}"
    before = {m: m.objects.count() for m in (Question, Prediction, ResolutionCheck, Source, DraftPrediction)}
    question.refresh_from_db()
    version, resolve_by = question.version, question.resolve_by
    snoozed = list(ResolutionCheck.objects.values_list("status", "snoozed_until"))

    response = getattr(client, method)(url, body(question, when), format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert response.json()[field] == [f"{field} {when!r} {OUTSIDE} (years, in UTC)"]
    assert {m: m.objects.count() for m in before} == before
    question.refresh_from_db()
    assert (question.version, question.resolve_by) == (version, resolve_by)
    assert list(ResolutionCheck.objects.values_list("status", "snoozed_until")) == snoozed


READS = [
    ("questions/", "resolve_by_before"),
    ("questions/", "resolve_by_after"),
    ("predictions/", "made_after"),
    ("predictions/", "made_before"),
    ("checks/", "due_before"),
    ("calibration/", "since"),
    ("calibration/", "until"),
    ("analysts/bruce-bennett/calibration/", "since"),
    ("analysts/bruce-bennett/calibration/", "until"),
]


@pytest.mark.parametrize("when", FAR)
@pytest.mark.parametrize("path, param", READS)
def test_api_query_dates_outside_the_range_are_a_400_naming_the_parameter(api, seeded, path, param, when):
    response = api("reader").get(f"/api/v1/{path}", {param: when})

    assert response.status_code == 400, response.content  # 0001-01-01T00:00:00+01:00 was an OverflowError: 500
    assert list(response.json()) == [param]
    assert OUTSIDE in response.json()[param][0]


@pytest.mark.parametrize("path, param", READS)
def test_api_query_dates_at_the_ends_of_the_range_are_answered(api, seeded, path, param):
    client = api("reader")
    for when in ("1900-01-01T00:00:00Z", "2200-12-31T23:59:59Z", "2024-10-21T10:00:00-18:41"):
        response = client.get(f"/api/v1/{path}", {param: when})
        assert response.status_code == 200, (when, response.content)


def test_the_schema_describes_the_supported_years_on_every_date_a_client_sends(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    sent = {}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("format") == "date-time":
                    sent[f"{path} ?{parameter['name']}"] = parameter["schema"]
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            for field, spec in component.get("properties", {}).items():
                if spec.get("format") == "date-time":
                    sent[f"{name}.{field}"] = spec
    assert {"QuestionRequest.resolve_by", "PredictionRequest.made_at", "ResolutionCheckRequest.due_at",
            "SnoozeRequest.until", "SourceIngestRequest.published_at"} <= set(sent)
    assert len([key for key in sent if "?" in key]) >= 9
    assert {spec.get("pattern") for spec in sent.values()} == {SUPPORTED_ISO_PATTERN}


# --- the pages, the admin, the command, the service -------------------------------------------------------------


@pytest.fixture
def phrases(db):
    phrases_load(path=SEEDS_DIR / "phrases.yaml", report=SeedReport())


@pytest.mark.parametrize("when", ["9999-12-31 23:59", "0001-01-01T00:00:00+01:00", "1899-12-31"])
def test_the_article_form_refuses_a_published_at_outside_the_range(client, phrases, when):
    client.force_login(analyst_user())
    response = client.post(reverse("draft-sources"), {"text": RAW, "published_at": when})

    assert response.status_code == 400
    assert OUTSIDE in response.content.decode()
    assert not Source.objects.exists() and not DraftPrediction.objects.exists()


def test_the_article_form_stores_a_far_offset_in_utc(client, phrases):
    """PostgreSQL refuses a -18:41 offset that Python parses: the moment is stored in UTC."""
    client.force_login(analyst_user())
    response = client.post(reverse("draft-sources"), {"text": RAW, "published_at": "2024-10-21T10:00:00-18:41"})

    assert response.status_code == 302
    assert Source.objects.get().published_at == dt.datetime(2024, 10, 22, 4, 41, tzinfo=UTC)


def test_accepting_a_draft_refuses_a_resolve_by_outside_the_range(client, phrases):
    report = article_ingest(text=RAW, publisher="Yonhap News Agency", user=SYSTEM)
    draft = report.drafts[0]
    client.force_login(analyst_user())
    prefix = f"draft-{draft.pk}"
    body = {
        f"{prefix}-new_analyst_name": "Some Analyst",
        f"{prefix}-question_title": "Will it happen by 2025?",
        f"{prefix}-resolution_criteria": "YES if it happens.",
        f"{prefix}-resolve_by": "9999-12-31 23:59",
        f"{prefix}-probability": "0.6",
        f"{prefix}-note": "My reading.",
    }

    refused = client.post(reverse("draft-accept", args=[draft.pk]), body)

    assert refused.status_code == 400
    assert f"&#x27;9999-12-31 23:59&#x27; {OUTSIDE}" in refused.content.decode()
    assert not Prediction.objects.exists()
    draft.refresh_from_db()
    assert draft.status == DraftPrediction.Status.PENDING

    accepted = client.post(reverse("draft-accept", args=[draft.pk]), {**body, f"{prefix}-resolve_by": "2200-12-31 00:00"})
    assert accepted.status_code == 302
    assert Prediction.objects.get().question.resolve_by == dt.datetime(2200, 12, 31, tzinfo=UTC)


def test_the_questions_page_answers_a_filter_outside_the_range(client, seeded):
    client.force_login(analyst_user())
    response = client.get(reverse("question-list"), {"resolve_by_before": "0001-01-01T00:00:00+01:00"})
    assert response.status_code == 200  # was an OverflowError: 500


def test_the_admin_refuses_a_date_outside_the_range(client, seeded):
    client.force_login(admin_user())
    question = Question.objects.get(key="nk-elite-pushback")
    analyst = question.predictions.get().analyst

    response = client.post(
        reverse("admin:forecasts_prediction_add"),
        {"analyst": analyst.pk, "question": question.pk, "made_at_0": "1850-01-01", "made_at_1": "09:00",
         "basis": "stated", "probability": "0.4"},
    )

    assert response.status_code == 200
    assert OUTSIDE in response.content.decode()
    assert question.predictions.count() == 1


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-05:00", "1899-12-31", "2200-12-31T23:00:00-05:00"])
def test_the_ingest_command_refuses_a_published_at_outside_the_range_in_one_line(phrases, tmp_path, when):
    path = tmp_path / "article.txt"
    path.write_text(RAW, encoding="utf-8")

    with pytest.raises(CommandError) as excinfo:
        call_command("ingest_article", str(path), "--published-at", when)

    assert str(excinfo.value) == f"--published-at {when!r} {OUTSIDE} (years, in UTC)"
    assert not Source.objects.exists()


def test_the_ingest_command_stores_a_far_offset_in_utc(phrases, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(RAW, encoding="utf-8")
    call_command("ingest_article", str(path), "--published-at", "2024-10-21T10:00:00-18:41")
    assert Source.objects.get().published_at == dt.datetime(2024, 10, 22, 4, 41, tzinfo=UTC)


def test_article_ingest_itself_refuses_a_published_at_outside_the_range(phrases):
    with pytest.raises(ValidationError) as excinfo:
        article_ingest(text=RAW, published_at=dt.datetime(1899, 12, 31, tzinfo=UTC), user=SYSTEM)

    assert excinfo.value.message_dict == {"published_at": [f"published_at '1899-12-31T00:00:00+00:00' {OUTSIDE} (years, in UTC)"]}
    assert not Source.objects.exists()
