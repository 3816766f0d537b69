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
