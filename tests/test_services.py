import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from forecasts import dates
from forecasts.models import Resolution, ResolutionCheck
from forecasts.services import questions, rules
from forecasts.services.rules import SYSTEM
from tests.factories import QuestionFactory, analyst_user

pytestmark = pytest.mark.django_db


def test_resolve_appends_a_row_moves_the_version_and_completes_open_checks():
    question = QuestionFactory()
    check = ResolutionCheck.objects.create(question=question, due_at=timezone.now())
    user = analyst_user()

    resolution = questions.question_resolve(
        question_id=question.pk, outcome="yes", evidence="Reported by two outlets.", user=user, expected_version=1
    )

    question.refresh_from_db()
    check.refresh_from_db()
    assert (question.outcome, question.status, question.version) == ("yes", "resolved", 2)
    assert resolution.resolved_by == user
    assert check.status == ResolutionCheck.Status.DONE
    assert check.completed_at == resolution.resolved_at


def test_stale_version_is_refused_and_nothing_is_written():
    question = QuestionFactory()
    questions.question_resolve(question_id=question.pk, outcome="no", expected_version=1, user=SYSTEM, evidence="Seen in the news.")

    with pytest.raises(rules.StaleVersion) as excinfo:
        questions.question_resolve(question_id=question.pk, outcome="yes", expected_version=1, user=SYSTEM, evidence="Seen in the news.")

    assert excinfo.value.current_version == 2
    question.refresh_from_db()
    assert question.outcome == "no"
    assert Resolution.objects.filter(question=question).count() == 1


def test_unresolve_appends_a_reopening_row_and_keeps_the_history():
    question = QuestionFactory()
    questions.question_resolve(question_id=question.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    questions.question_unresolve(question_id=question.pk, reason="Evidence retracted.", user=SYSTEM)
    questions.question_resolve(question_id=question.pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")

    question.refresh_from_db()
    history = list(Resolution.objects.filter(question=question).order_by("id").values_list("outcome", flat=True))
    assert history == ["yes", "reopened", "no"]
    assert question.outcome == "no" and question.version == 4


def test_reopened_question_is_open():
    question = QuestionFactory()
    questions.question_resolve(question_id=question.pk, outcome="annulled", user=SYSTEM, evidence="Seen in the news.")
    questions.question_unresolve(question_id=question.pk, reason="Annulled by mistake.", user=SYSTEM)
    question.refresh_from_db()
    assert question.status == "open"


def test_unknown_outcome_is_refused():
    question = QuestionFactory()
    with pytest.raises(ValidationError, match="Unknown outcome"):
        questions.question_resolve(question_id=question.pk, outcome="reopened", user=SYSTEM, evidence="Seen in the news.")
    assert not Resolution.objects.exists()


def test_months_after_clamps_to_the_end_of_the_month():
    start = dt.datetime(2024, 8, 31, 9, 0, tzinfo=dt.timezone.utc)
    assert dates.months_after(start, 6) == dt.datetime(2025, 2, 28, 9, 0, tzinfo=dt.timezone.utc)
    assert dates.months_after(start, 12) == dt.datetime(2025, 8, 31, 9, 0, tzinfo=dt.timezone.utc)
