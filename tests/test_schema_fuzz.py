"""API fuzzing with schemathesis against our own OpenAPI schema, in process, a bounded number of examples per
operation: no 5xx, every response conforms to the schema, and authentication is never ignored."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import admin_user

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, ignored_auth, status_code_conformance]


@pytest.fixture
def in_test_transaction():
    """Keep the WSGI handler from closing the test's connection at each request's end (as Django's test client
    does): the requests run inside the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(seeded, in_test_transaction):
    user = admin_user(username="fuzzer")
    return Token.objects.get_or_create(user=user)[0].key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_survives_fuzzing(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
