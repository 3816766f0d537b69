"""Races settled by PostgreSQL: threads with their own connections, committed data."""

import io

import pytest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from forecasts.services import checks, questions, rules
from forecasts.services.imports import forecasts_import
from forecasts.models import Prediction, Question, Resolution, ResolutionCheck
from forecasts.services.rules import SYSTEM
from tests.conftest import run_together
from tests.factories import QuestionFactory, analyst_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")
    return client


def test_two_analysts_resolve_the_same_question_at_once_through_the_api(committed_seeds):
    question = Question.objects.get(key="nk-elite-pushback")
    ann, bob = _api_client(analyst_user(username="ann")), _api_client(analyst_user(username="bob"))
    url = f"/api/v1/questions/{question.pk}/resolve/"

    results = run_together(
        lambda: ann.post(url, {"outcome": "yes", "evidence": "ann", "version": 1}, format="json").status_code,
        lambda: bob.post(url, {"outcome": "no", "evidence": "bob", "version": 1}, format="json").status_code,
    )

    assert sorted(results) == [200, 409]
    assert Resolution.objects.filter(question=question).count() == 1
    question.refresh_from_db()
    assert question.version == 2
    assert question.outcome == Resolution.objects.get(question=question).outcome


def test_two_analysts_resolve_at_once_through_the_pages(committed_seeds):
    question = Question.objects.get(key="nk-troop-numbers")
    clients = []
    for name in ("ann", "bob"):
        client = Client()
        client.force_login(analyst_user(username=name))
        clients.append(client)
    url = f"/questions/{question.pk}/resolve/"
    body = {"outcome": "yes", "evidence": "seen", "evidence_url": "", "version": 1}

    results = run_together(*(lambda c=c: c.post(url, body) for c in clients))

    assert sorted(r.status_code for r in results) == [302, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert "Someone resolved or edited this question meanwhile" in loser.content.decode()
    assert Resolution.objects.filter(question=question).count() == 1


def test_a_sweep_racing_resolves_leaves_no_pending_check_on_a_judged_question(committed_seeds):
    analyst_user(username="ann")
    for round_ in range(5):
        batch = [QuestionFactory(resolve_by=Question.objects.first().resolve_by) for _ in range(6)]
        resolvers = [
            (lambda q=q: questions.question_resolve(question_id=q.pk, outcome="no", evidence=f"round {round_}", user=SYSTEM))
            for q in batch
        ]
        results = run_together(checks.checks_sweep, *resolvers)
        assert not [r for r in results if isinstance(r, Exception)], results

    stranded = ResolutionCheck.objects.filter(status="pending").exclude(question__outcome="")
    assert stranded.count() == 0
    for question in Question.objects.exclude(outcome=""):
        assert question.checks.exclude(status="done").count() == 0


def test_twenty_concurrent_unresolves_reopen_once(committed_seeds):
    # The "already open" check is part of the conditional UPDATE that takes the row lock: of 20 un-resolves
    # without a version, one reopens and 19 are told the question is open already (before: 12 reopened rows).
    question = Question.objects.get(key="nk-elite-pushback")
    questions.question_resolve(question_id=question.pk, outcome="no", evidence="Not seen.", user=SYSTEM)

    results = run_together(
        *(lambda: questions.question_unresolve(question_id=question.pk, reason="Premature.", user=SYSTEM) for _ in range(20))
    )

    assert Resolution.objects.filter(question=question, outcome="reopened").count() == 1
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(refusals) == 19 and all(isinstance(r, rules.Conflict) and "open already" in str(r) for r in refusals)


def test_two_imports_of_the_same_file_at_once_add_it_once(committed_seeds):
    lines = ["analyst,question,probability,made_at,resolve_by,outcome"]
    lines += [f"Expert {i % 5},Question {i % 40}?,0.{i % 9 + 1},2024-01-{i % 28 + 1:02d},2025-06-01,{'yes' if i % 40 < 20 else 'no'}" for i in range(400)]
    text = "\n".join(lines) + "\n"
    before = Prediction.objects.count()

    results = run_together(lambda: forecasts_import(lines=io.StringIO(text), user=SYSTEM), lambda: forecasts_import(lines=io.StringIO(text), user=SYSTEM))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Prediction.objects.count() - before == 400
    assert sorted(r.created["predictions"] for r in results) == [0, 400]
    assert Resolution.objects.filter(evidence="Imported from CSV.").count() == 40
