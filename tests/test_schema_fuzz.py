"""API fuzzing with schemathesis against our own OpenAPI schema, in process, a bounded number of examples per
operation: no 5xx, every response conforms to the schema, and authentication is never ignored. A stateful phase
chains operations through the schema's OpenAPI links (create a question, then read, edit, resolve it …)."""

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import admin_user

# The operations that revoke tokens are left out: fuzzing them would revoke the fuzzer's own token half way through
# (tests/test_tokens.py covers them). The stateful phase is built from the same schema, so it never calls them.
REVOKING = ["auth_logout", "auth_tokens_revoke"]
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application).exclude(operation_id=REVOKING)
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
def token(seeded, in_test_transaction, settings):
    # Fuzzing sends thousands of requests from one token: the production rates would answer 429 to most.
    settings.API_THROTTLE_USER = "1000000/minute"
    user = admin_user(username="fuzzer")
    return AuthToken.objects.create(user)[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_survives_fuzzing(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


STATEFUL_STEPS = 150  # at least this many chained calls must run, or the links are not being followed


@pytest.mark.django_db
def test_api_survives_stateful_fuzzing(token):
    steps: list[tuple[str, int]] = []
    linked = sum(len(response.get("links", {})) for ops in schema.raw_schema["paths"].values()
                 for op in ops.values() if isinstance(op, dict) for response in op.get("responses", {}).values())
    assert linked >= 20  # the schema describes how operations chain

    class Workflow(schema.as_state_machine()):
        # Every scenario starts from the same database: what one scenario made is rolled back before the next.
        # Otherwise the objects piling up change what the API answers to the same choices, and Hypothesis, which
        # replays choices across scenarios, stops with FlakyStrategyDefinition (it did once the clock moved past
        # the seeded claims' deadlines).
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def before_call(self, case):
            case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}

        def after_call(self, response, case):
            super().after_call(response, case)
            steps.append((f"{case.method} {case.path}", response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # ignored_auth takes the token this harness adds for "generated" (invalid) auth; the stateless test
            # above runs it with the token given explicitly.
            case.validate_response(response, checks=[check for check in CHECKS if check is not ignored_auth])

    Workflow.run(settings=settings(
        max_examples=40, stateful_step_count=8, deadline=None, suppress_health_check=list(HealthCheck),
        derandomize=True,
    ))

    assert len(steps) >= STATEFUL_STEPS, len(steps)
    revoking = ("POST /api/v1/auth/logout/", "DELETE /api/v1/auth/tokens/")
    assert not [call for call, _ in steps if call.startswith(revoking)]
    # The chains reach objects made earlier in the same scenario (a real id, not a guess).
    reached = {call for call, code in steps if code == 200 and "{" in call}
    assert {"GET /api/v1/questions/{id}/", "GET /api/v1/analysts/{slug}/"} <= reached, sorted(reached)
    print(f"stateful: {len(steps)} calls, {len(reached)} operations on linked objects answered 200: {sorted(reached)}")
