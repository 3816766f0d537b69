import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from forecasts.services import seeds_load

# CI sets this so that a test which would skip for want of PostgreSQL, Redis, a worker or a browser fails instead.
REQUIRE_SERVICES = os.environ.get("HINDSIGHT_REQUIRE_SERVICES") == "1"
SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (HINDSIGHT_REQUIRE_SERVICES=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _required_services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/hindsight")


@pytest.fixture
def seeded(db):
    return seeds_load(directory=SEEDS_DIR)


@pytest.fixture
def api():
    """api(role) → an APIClient authenticated by token as a new user of that role (None: anonymous)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.factories import admin_user, analyst_user, reader_user

    makers = {"reader": reader_user, "analyst": analyst_user, "admin": admin_user}

    def make(role: str | None = None) -> APIClient:
        client = APIClient()
        if role is not None:
            user = makers[role]()
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
            client.user = user
        return client

    return make
