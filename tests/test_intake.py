"""Faithful intake: inputs that used to be a 500 are a clear 400, and the schema tells the truth about nulls."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import admin_user, analyst_user, reader_user

pytestmark = pytest.mark.django_db
API = "/api/v1/"


@pytest.mark.parametrize("make_user", [reader_user, analyst_user, admin_user])
def test_the_api_root_answers_every_signed_in_user(make_user):
    client = APIClient()
    client.force_authenticate(make_user())
    response = client.get(API)
    assert response.status_code == 200
    assert set(response.json()) >= {"analysts", "questions", "predictions", "sources", "checks"}
    assert APIClient().get(API).status_code == 401


@pytest.mark.parametrize("url", ["/phrases/?analyst=%00", "/questions/?q=a%00b", f"{API}predictions/?analyst=%00",
                                 f"{API}questions/?topic=x%00", f"{API}phrases/calibration/?analyst=%00"])
def test_a_nul_in_the_query_string_is_a_400(client, url):
    client.force_login(analyst_user())
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_deeply_nested_json_body_is_a_400():
    client = APIClient()
    client.force_authenticate(analyst_user())
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(f"{API}questions/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_the_schema_says_a_drafts_analyst_and_phrase_may_be_null(client):
    client.force_login(analyst_user())
    schema = client.get(reverse("api:schema") + "?format=json")
    draft = json.loads(schema.content)["components"]["schemas"]["DraftPrediction"]["properties"]
    assert draft["analyst"]["nullable"] is True and draft["phrase"]["nullable"] is True
