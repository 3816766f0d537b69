import os
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from forecasts.services.seeds import seeds_load

# CI sets this so that a test which would skip for want of PostgreSQL, Redis, a worker or a browser fails instead.
REQUIRE_SERVICES = os.environ.get("HINDSIGHT_REQUIRE_SERVICES") == "1"
SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"
CHROMIUM = os.environ.get("HINDSIGHT_CHROMIUM", "/usr/bin/chromium")


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (HINDSIGHT_REQUIRE_SERVICES=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


# Tests that need Redis use this server (a database number of its own, flushed by the tests).
TEST_REDIS_URL = os.environ.get("HINDSIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture(autouse=True)
def _required_services(request):
    needs_postgres = request.node.get_closest_marker("postgres") or request.node.get_closest_marker("worker")
    if needs_postgres and connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/hindsight")
    needs_redis = request.node.get_closest_marker("redis") or request.node.get_closest_marker("worker")
    if needs_redis and not redis_reachable(TEST_REDIS_URL):
        skip_or_fail(f"needs Redis at {TEST_REDIS_URL} (set HINDSIGHT_TEST_REDIS_URL)")
    if request.node.get_closest_marker("browser") and not Path(CHROMIUM).exists():
        skip_or_fail(f"needs Chromium at {CHROMIUM} (apt-get install chromium, or set HINDSIGHT_CHROMIUM)")


@pytest.fixture
def seeded(db):
    return seeds_load(directory=SEEDS_DIR)


@pytest.fixture
def api():
    """api(role) → an APIClient authenticated by token as a new user of that role (None: anonymous)."""
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from tests.factories import admin_user, analyst_user, reader_user

    makers = {"reader": reader_user, "analyst": analyst_user, "admin": admin_user}

    def make(role: str | None = None) -> APIClient:
        client = APIClient()
        if role is not None:
            user = makers[role]()
            client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")
            client.user = user
        return client

    return make


def restore_migration_data() -> None:
    """Put back the rows the data migrations made (roles, schedules) after a transactional test's flush.

    Transactional tests (a worker process or a live server must see committed rows) end with a flush, which
    empties every table; Django re-creates content types and permissions, not the data migrations' rows.
    """
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    roles = importlib.import_module("forecasts.migrations.0002_roles_and_append_only_resolutions")
    for name, grants in (("analysts", roles.ANALYST_PERMISSIONS), ("api-readers", roles.READER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        group.permissions.set(Permission.objects.filter(content_type__app_label="forecasts", codename__in=codenames))
    importlib.import_module("forecasts.migrations.0003_periodic_tasks").create_jobs(apps, None)


@pytest.fixture
def committed_seeds(transactional_db):
    """The seeds, committed, for tests whose other process (worker, live server) reads the database."""
    restore_migration_data()
    seeds_load(directory=SEEDS_DIR)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache, keyed by user id: ids repeat between tests, counters must not."""
    from django.core.cache import cache

    cache.clear()
    yield


def run_together(*functions, timeout=60):
    """Run the functions in threads released at the same instant; return their results (or exceptions)."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
