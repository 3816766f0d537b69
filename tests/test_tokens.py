"""API tokens (django-rest-knox): they expire after API_TOKEN_TTL, are stored only as digests, are revoked by a
logout and by a password change through every door, and each user lists and revokes their own (API and pages)."""

import datetime as dt
import os
import subprocess
import sys
from unittest import mock

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from config.env import env_duration
from tests.factories import admin_user, analyst_user, reader_user

pytestmark = pytest.mark.django_db
API = "/api/v1/"
PASSWORD = "pass-word-123"  # the factories' password
NEW_PASSWORD = "a-much-longer-secret-42"


def _obtain(username: str, password: str = PASSWORD) -> dict:
    response = APIClient().post(f"{API}auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _status(token: str, path: str = "analysts/") -> int:
    return APIClient().get(f"{API}{path}", HTTP_AUTHORIZATION=f"Token {token}").status_code


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# --- the finding ------------------------------------------------------------------------------------------------


def test_tokens_expire_and_do_not_survive_a_password_change_or_a_logout():
    """Before: a token from POST auth/token/ worked for ever, after its owner changed the password, and after a
    logout (there was none to call). Now each of the three ends it."""
    user = reader_user(username="holder")
    outcome = {}

    token = _obtain("holder")["token"]
    assert _status(token) == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=30, minutes=1)):
        outcome["30 days later"] = _status(token)

    token = _obtain("holder")["token"]
    outcome["logout"] = APIClient().post(f"{API}auth/logout/", HTTP_AUTHORIZATION=f"Token {token}").status_code
    outcome["after the logout"] = _status(token)

    token = _obtain("holder")["token"]
    user.set_password(NEW_PASSWORD)
    user.save()
    outcome["after a password change"] = _status(token)

    assert outcome == {"30 days later": 401, "logout": 204, "after the logout": 401, "after a password change": 401}


# --- getting a token --------------------------------------------------------------------------------------------


def test_the_token_endpoint_keeps_its_contract_and_adds_the_expiry():
    reader_user(username="consumer")
    before = timezone.now()
    body = _obtain("consumer")

    assert body.keys() == {"token", "expiry"}
    expiry = dt.datetime.fromisoformat(body["expiry"].replace("Z", "+00:00"))
    assert before + dt.timedelta(days=30) <= expiry <= timezone.now() + dt.timedelta(days=30)
    assert _status(body["token"]) == 200
    # Form data as well as JSON, as before; wrong credentials are a 400 with the same message.
    form = APIClient().post(f"{API}auth/token/", {"username": "consumer", "password": PASSWORD})
    assert form.status_code == 200 and form.json()["token"] != body["token"]  # one token per client
    wrong = APIClient().post(f"{API}auth/token/", {"username": "consumer", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_a_password_with_spaces_round_it_is_taken_as_typed():
    user = reader_user(username="spacey")
    user.set_password("  spaced secret 1  ")
    user.save()
    assert _status(_obtain("spacey", "  spaced secret 1  ")["token"]) == 200


def test_tokens_are_stored_as_digests_only():
    reader_user(username="stored")
    token = _obtain("stored")["token"]
    row = AuthToken.objects.get(user__username="stored")
    stored = [str(getattr(row, field.attname)) for field in AuthToken._meta.concrete_fields]
    assert not any(token in value for value in stored)
    assert row.token_key == token[: len(row.token_key)] and 8 <= len(row.token_key) <= 15


def test_the_ttl_comes_from_the_settings(settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(hours=2)}
    reader_user(username="short")
    token = _obtain("short")["token"]
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=59)):
        assert _status(token) == 200
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2, minutes=1)):
        assert _status(token) == 401


def test_an_expired_token_is_401_and_deleted():
    user = reader_user()
    _, token = AuthToken.objects.create(user, expiry=dt.timedelta(seconds=-1))
    response = APIClient().get(f"{API}analysts/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert not AuthToken.objects.filter(user=user).exists()


@pytest.mark.parametrize("header", ["Token caf\xe9", "Token abc\x00def", "Token " + "é" * 64, "Token"])
def test_a_malformed_token_is_401_not_an_error(header):
    assert APIClient().get(f"{API}analysts/", HTTP_AUTHORIZATION=header).status_code == 401


@pytest.mark.parametrize(
    "raw, expected",
    [("30", dt.timedelta(days=30)), ("30 00:00:00", dt.timedelta(days=30)), ("P30D", dt.timedelta(days=30)),
     ("12:00:00", dt.timedelta(hours=12)), ("P1DT2H", dt.timedelta(days=1, hours=2)), ("", dt.timedelta(days=30))],
)
def test_api_token_ttl_is_a_django_duration(monkeypatch, raw, expected):
    monkeypatch.setenv("API_TOKEN_TTL", raw)
    assert env_duration("API_TOKEN_TTL", dt.timedelta(days=30)) == expected


@pytest.mark.parametrize("raw", ["soon", "0", "-1 00:00:00", "99999999999"])
def test_a_bad_api_token_ttl_is_improperly_configured(monkeypatch, raw):
    monkeypatch.setenv("API_TOKEN_TTL", raw)
    with pytest.raises(ImproperlyConfigured, match="API_TOKEN_TTL="):
        env_duration("API_TOKEN_TTL", dt.timedelta(days=30))


def test_a_bad_api_token_ttl_stops_start_up_with_one_line():
    environ = {**os.environ, "API_TOKEN_TTL": "a month"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=django_settings.BASE_DIR, env=environ,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: API_TOKEN_TTL='a month' is not a duration")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_default_ttl_is_thirty_days():
    assert django_settings.REST_KNOX["TOKEN_TTL"] == dt.timedelta(days=30)
    assert django_settings.REST_KNOX["AUTO_REFRESH"] is False


# --- a password change revokes every token, by every door -------------------------------------------------------


def _by_the_pages(user):
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content[:500]


def _by_the_admin_form(user):
    client = Client()
    client.force_login(admin_user(username="the-admin"))
    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"].endswith("/change/"), response.content[:500]


def _by_changepassword(user):
    with mock.patch("getpass.getpass", return_value=NEW_PASSWORD):
        call_command("changepassword", user.username, stdout=open(os.devnull, "w"))


def _by_demo_user_reset(user):
    with mock.patch.object(django_settings, "DEBUG", True):
        call_command("demo_user", username=user.username, reset=True, stdout=open(os.devnull, "w"))


DOORS = {"pages": _by_the_pages, "admin": _by_the_admin_form, "changepassword": _by_changepassword,
         "demo_user --reset": _by_demo_user_reset}


@pytest.mark.parametrize("door", DOORS.values(), ids=DOORS.keys())
def test_a_password_change_revokes_all_of_the_users_tokens(door):
    user = analyst_user(username="changer")
    laptop, script = _obtain("changer")["token"], _obtain("changer")["token"]
    reader_user(username="bystander")
    bystander = _obtain("bystander")["token"]
    old_hash = user.password

    door(user)

    user.refresh_from_db()
    assert user.password != old_hash
    assert (_status(laptop), _status(script)) == (401, 401)
    assert not AuthToken.objects.filter(user=user).exists()
    assert _status(bystander) == 200


def test_disabling_password_login_in_the_admin_revokes_the_tokens_too():
    user = analyst_user(username="disabled")
    token = _obtain("disabled")["token"]
    client = Client()
    client.force_login(admin_user(username="the-admin"))
    response = client.post(f"/admin/auth/user/{user.pk}/password/", {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302 and response["Location"].endswith("/change/"), response.content[:500]
    assert _status(token) == 401


def test_saving_a_user_without_changing_the_password_keeps_the_tokens():
    user = analyst_user(username="keeper")
    token = _obtain("keeper")["token"]

    user.email = "keeper@example.org"
    user.save()  # every field, the same password hash
    client = Client()
    assert client.post(reverse("login"), {"username": "keeper", "password": PASSWORD}).status_code == 302  # last_login
    admin = Client()
    admin.force_login(admin_user(username="the-admin"))
    user.refresh_from_db()
    admin.post(f"/admin/auth/user/{user.pk}/change/", {
        "username": "keeper", "email": "keeper@example.net", "is_active": "on", "is_staff": "on",
        "date_joined_0": "2024-01-01", "date_joined_1": "00:00:00",
        "last_login_0": "2024-01-01", "last_login_1": "00:00:00",
    })

    assert get_user_model().objects.get(pk=user.pk).email == "keeper@example.net"
    assert _status(token, "auth/tokens/") == 200  # the form dropped the user's groups: ask what needs no role


def test_a_password_hash_upgraded_at_login_is_not_a_password_change(settings):
    """Django re-hashes a password at login when its hasher is out of date: the same password, so the tokens stay."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    user = analyst_user(username="old-hash")
    get_user_model().objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="md5"))
    token = _obtain("old-hash")["token"]  # this login upgrades the hash

    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert _status(token) == 200


# --- logout, listing and revoking (API) -------------------------------------------------------------------------


def test_logout_revokes_only_the_token_it_is_called_with():
    reader_user(username="twice")
    phone, laptop = _obtain("twice")["token"], _obtain("twice")["token"]

    assert _client(phone).post(f"{API}auth/logout/").status_code == 204

    assert (_status(phone), _status(laptop)) == (401, 200)
    assert _client(phone).post(f"{API}auth/logout/").status_code == 401


def test_logout_needs_a_token_not_a_session():
    client = APIClient()
    client.force_login(reader_user())
    assert client.post(f"{API}auth/logout/").status_code == 401


def test_a_user_lists_their_own_live_tokens_and_which_one_is_current():
    user = reader_user(username="lister")
    first, second = _obtain("lister")["token"], _obtain("lister")["token"]
    AuthToken.objects.create(user, expiry=dt.timedelta(seconds=-1))  # expired: not listed
    reader_user(username="other")
    _obtain("other")

    listing = _client(second).get(f"{API}auth/tokens/")

    assert listing.status_code == 200
    rows = listing.json()["results"]
    assert [row["token_key"] for row in rows] == [second[:15], first[:15]]  # newest first
    assert [row["current"] for row in rows] == [True, False]
    assert rows[0].keys() == {"token_key", "created", "expiry", "current"}
    # Through a session (the browsable API), none is current.
    session = APIClient()
    session.force_login(user)
    assert [row["current"] for row in session.get(f"{API}auth/tokens/").json()["results"]] == [False, False]


def test_a_user_revokes_one_of_their_tokens_but_not_someone_elses():
    reader_user(username="owner")
    kept, dropped = _obtain("owner")["token"], _obtain("owner")["token"]
    reader_user(username="intruder")
    intruder = _client(_obtain("intruder")["token"])

    assert intruder.delete(f"{API}auth/tokens/{kept[:15]}/").status_code == 404
    assert _status(kept) == 200

    assert _client(kept).delete(f"{API}auth/tokens/{dropped[:15]}/").status_code == 204
    assert (_status(kept), _status(dropped)) == (200, 401)
    assert _client(kept).delete(f"{API}auth/tokens/{dropped[:15]}/").status_code == 404


def test_the_schema_documents_the_token_endpoints(client):
    schema = client.get(f"{API}schema/?format=json").json()
    operations = {op["operationId"]: (path, method) for path, ops in schema["paths"].items()
                  for method, op in ops.items() if isinstance(op, dict) and "operationId" in op}
    assert operations["auth_logout"] == ("/api/v1/auth/logout/", "post")
    assert operations["auth_tokens_list"] == ("/api/v1/auth/tokens/", "get")
    assert operations["auth_tokens_revoke"] == ("/api/v1/auth/tokens/{token_key}/", "delete")
    assert set(schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]["content"]["application/json"]
               ["schema"].values()) == {"#/components/schemas/TokenResponse"}
    assert schema["components"]["schemas"]["TokenResponse"]["required"] == ["expiry", "token"]


# --- the pages ------------------------------------------------------------------------------------------------


def test_the_tokens_page_lists_your_tokens_and_revokes_one(client):
    user = reader_user(username="pager")
    kept, dropped = _obtain("pager")["token"], _obtain("pager")["token"]
    reader_user(username="neighbour")
    neighbour = _obtain("neighbour")["token"]
    client.force_login(user)

    page = client.get(reverse("token-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert kept[:15] in html and dropped[:15] in html and neighbour[:15] not in html
    assert kept not in html  # never the token itself
    assert "<script" not in html
    assert f'href="{reverse("token-list")}"' in html  # the link in the header

    revoked = client.post(reverse("token-revoke", args=[dropped[:15]]), follow=True)
    assert revoked.status_code == 200 and "Revoked the token" in revoked.content.decode()
    assert (_status(kept), _status(dropped)) == (200, 401)
    assert client.post(reverse("token-revoke", args=[neighbour[:15]])).status_code == 404
    assert _status(neighbour) == 200
    assert client.get(reverse("token-revoke", args=[kept[:15]])).status_code == 405


def test_revoking_on_the_pages_needs_the_csrf_token():
    user = reader_user(username="csrf")
    token = _obtain("csrf")["token"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("token-revoke", args=[token[:15]])).status_code == 403
    assert _status(token) == 200


def test_the_tokens_page_needs_a_login(client):
    response = client.get(reverse("token-list"))
    assert response.status_code == 302 and "login" in response["Location"]
