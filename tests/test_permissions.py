"""Every API endpoint and method × anonymous, api-reader, analyst, admin, with the expected status."""

import datetime as dt

import pytest

from forecasts.models import Question, ResolutionCheck
from tests.factories import reader_user

pytestmark = pytest.mark.django_db
API = "/api/v1/"
ROLES = ["anonymous", "reader", "analyst", "admin"]


@pytest.fixture
def ids(seeded):
    question = Question.objects.get(key="nk-elite-pushback")
    check = ResolutionCheck.objects.create(question=question, due_at=question.resolve_by)
    prediction = question.predictions.get()
    # Jobs of someone else (none of the roles below): only an admin sees them; anyone else gets 404.
    from forecasts.services import jobs
    from tests.factories import analyst_user

    owner = analyst_user(username="job-owner")
    article = jobs.article_job_create(text="x " * 30_000, user=owner)
    csv = jobs.csv_job_create(text="analyst,question,probability,made_at,resolve_by,outcome\n", user=owner)
    return {"q": question.pk, "check": check.pk, "source": prediction.source_id, "p": prediction.pk,
            "job": article.pk, "csv_job": csv.pk}


def _bodies(ids):
    return {
        "question": {"title": "Will it rain?", "resolution_criteria": "YES if so.", "resolve_by": "2026-01-01T00:00:00Z"},
        "patch": {"title": "Renamed"},
        "resolve": {"outcome": "no", "evidence": "none", "version": 1},
        "unresolve": {"reason": "retracted"},
        "prediction": {
            "analyst": "andrew-yeo",
            "question": ids["q"],
            "probability": 0.3,
            "basis": "stated",
            "made_at": "2024-11-01T00:00:00Z",
        },
        "check": {"question": ids["q"], "due_at": "2027-01-01T00:00:00Z"},
        "snooze": {"until": "2027-01-01T00:00:00Z"},
        "patch_prediction": {"note": "checked against the source"},
    }


# (method, path, body key, expected status for anonymous, reader, analyst, admin)
MATRIX = [
    ("get", "analysts/", None, (401, 200, 200, 200)),
    ("get", "analysts/bruce-bennett/", None, (401, 200, 200, 200)),
    ("get", "analysts/bruce-bennett/calibration/", None, (401, 200, 200, 200)),
    ("post", "analysts/", None, (401, 405, 405, 405)),
    ("get", "calibration/", None, (401, 200, 200, 200)),
    ("get", "questions/", None, (401, 200, 200, 200)),
    ("post", "questions/", "question", (401, 403, 201, 201)),
    ("get", "questions/{q}/", None, (401, 200, 200, 200)),
    ("patch", "questions/{q}/", "patch", (401, 403, 200, 200)),
    ("put", "questions/{q}/", "patch", (401, 405, 405, 405)),
    ("delete", "questions/{q}/", None, (401, 405, 405, 405)),
    ("post", "questions/{q}/resolve/", "resolve", (401, 403, 200, 200)),
    ("post", "questions/{q}/unresolve/", "unresolve", (401, 403, 409, 409)),
    ("get", "predictions/", None, (401, 200, 200, 200)),
    ("post", "predictions/", "prediction", (401, 403, 201, 201)),
    ("get", "predictions/export/", None, (401, 200, 200, 200)),
    ("get", "predictions/{p}/", None, (401, 200, 200, 200)),
    ("patch", "predictions/{p}/", "patch_prediction", (401, 403, 200, 200)),
    ("delete", "predictions/{p}/", None, (401, 405, 405, 405)),
    ("get", "sources/", None, (401, 200, 200, 200)),
    ("get", "sources/{source}/", None, (401, 200, 200, 200)),
    ("post", "sources/", None, (401, 403, 400, 400)),  # no text: 400 for those allowed to ingest
    ("get", "ingest-jobs/{job}/", None, (401, 404, 404, 200)),  # someone else's job: only an admin sees it
    ("delete", "ingest-jobs/{job}/", None, (401, 405, 405, 405)),
    ("get", "phrases/calibration/", None, (401, 200, 200, 200)),
    ("get", "checks/", None, (401, 200, 200, 200)),
    ("post", "checks/", "check", (401, 403, 201, 201)),
    ("get", "checks/{check}/", None, (401, 200, 200, 200)),
    ("post", "checks/{check}/snooze/", "snooze", (401, 403, 200, 200)),
    ("get", "auth/tokens/", None, (401, 200, 200, 200)),  # your own tokens: every signed-in user, any role
    ("delete", "auth/tokens/0123456789abcde/", None, (401, 404, 404, 404)),  # not one of yours
    ("post", "auth/logout/", None, (401, 204, 204, 204)),
    ("get", "schema/", None, (200, 200, 200, 200)),  # the contract is public; the data is not
    ("get", "docs/", None, (200, 200, 200, 200)),
]


@pytest.mark.parametrize("method, path, body, expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_permission_matrix(api, ids, method, path, body, expected, role_index):
    role = ROLES[role_index]
    client = api(None if role == "anonymous" else role)
    kwargs = {"format": "json", "data": _bodies(ids)[body]} if body else {}

    response = getattr(client, method)(API + path.format(**ids), **kwargs)

    assert response.status_code == expected[role_index], getattr(response, "data", response)


def test_token_endpoint_is_open_to_anonymous(api, db):
    reader_user(username="someone")
    response = api().post(f"{API}auth/token/", {"username": "someone", "password": "pass-word-123"}, format="json")
    assert response.status_code == 200


def test_user_without_a_role_can_read_nothing(api, db):
    from knox.models import AuthToken

    from tests.factories import UserFactory

    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(UserFactory())[1]}")
    assert client.get(f"{API}analysts/").status_code == 403


def test_session_auth_needs_csrf_for_writes(db, seeded):
    from django.test import Client

    from tests.factories import analyst_user

    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst_user())
    assert client.get(f"{API}questions/").status_code == 200
    response = client.post(
        f"{API}questions/", {"title": "t", "resolution_criteria": "c", "resolve_by": "2026-01-01T00:00:00Z"}
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# Pages: (method, path, body key, expected for anonymous, reader, analyst, admin). Anonymous → the login page.
PAGE_MATRIX = [
    ("get", "/", None, (302, 200, 200, 200)),
    ("get", "/questions/", None, (302, 200, 200, 200)),
    ("get", "/questions/{q}/", None, (302, 200, 200, 200)),
    ("post", "/questions/{q}/resolve/", "page_resolve", (302, 403, 302, 302)),
    ("post", "/questions/{q}/unresolve/", "page_unresolve", (302, 403, 302, 302)),
    ("post", "/checks/{check}/snooze/", "page_snooze", (302, 403, 302, 302)),
    ("get", "/analysts/", None, (302, 200, 200, 200)),
    ("get", "/analysts/bruce-bennett/", None, (302, 200, 200, 200)),
    ("get", "/analysts/bruce-bennett/calibration.svg", None, (302, 200, 200, 200)),
    ("get", "/sources/", None, (302, 200, 200, 200)),
    ("get", "/sources/{source}/", None, (302, 200, 200, 200)),
    ("get", "/sources/{source}/drafts/", None, (302, 200, 200, 200)),
    ("get", "/drafts/", None, (302, 200, 200, 200)),
    ("get", "/drafts/jobs/{job}/", None, (302, 404, 404, 200)),
    ("get", "/admin/forecasts/prediction/import/jobs/{csv_job}/", None, (302, 302, 404, 200)),
    ("post", "/drafts/", None, (302, 403, 400, 400)),  # an empty article: a form error for those who may ingest
    ("get", "/phrases/", None, (302, 200, 200, 200)),
    ("get", "/admin/forecasts/source/ingest/", None, (302, 302, 200, 200)),
    ("get", "/accounts/password/", None, (302, 200, 200, 200)),
    ("get", "/accounts/tokens/", None, (302, 200, 200, 200)),
    ("post", "/accounts/tokens/0123456789abcde/revoke/", None, (302, 404, 404, 404)),
    ("get", "/accounts/login/", None, (200, 302, 302, 302)),
    ("get", "/admin/", None, (302, 302, 200, 200)),
    ("get", "/admin/forecasts/question/", None, (302, 302, 200, 200)),
    ("get", "/admin/forecasts/probabilityphrase/add/", None, (302, 302, 403, 200)),
    ("get", "/admin/forecasts/prediction/import/", None, (302, 302, 200, 200)),
    ("get", "/admin/auth/user/", None, (302, 302, 403, 200)),
    ("get", "/healthz", None, (200, 200, 200, 200)),
]
PAGE_BODIES = {
    "page_resolve": {"outcome": "no", "evidence": "none", "evidence_url": "", "version": 1},
    "page_unresolve": {"reason": "retracted", "version": 1},
    "page_snooze": {"until": (dt.date.today() + dt.timedelta(days=30)).isoformat()},
}


@pytest.mark.parametrize("method, path, body, expected", PAGE_MATRIX, ids=[f"{m} {p}" for m, p, _, _ in PAGE_MATRIX])
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_page_permission_matrix(client, ids, method, path, body, expected, role_index):
    from tests.factories import admin_user, analyst_user

    role = ROLES[role_index]
    makers = {"reader": reader_user, "analyst": analyst_user, "admin": admin_user}
    if role != "anonymous":
        client.force_login(makers[role]())
    data = PAGE_BODIES[body] if body else None

    response = getattr(client, method)(path.format(**ids), data) if data else getattr(client, method)(path.format(**ids))

    assert response.status_code == expected[role_index], response.content[:300]
    if role == "anonymous" and expected[role_index] == 302:
        assert "login" in response["Location"]
