"""The stored bin sums stay equal to a fresh aggregate of the predictions through every way of writing them."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from forecasts import selectors

from forecasts.services import phrases, predictions, questions
from forecasts.services.imports import forecasts_import
from forecasts.models import AnalystBinSums, Prediction, ProbabilityPhrase, Question
from forecasts.services.rules import SYSTEM
from tests.conftest import run_together
from tests.factories import AnalystFactory, PredictionFactory, QuestionFactory, admin_user

FIELDS = ("n", "sum_f", "sum_o", "sum_ff", "sum_fo", "sum_log_loss")


def _stored() -> dict:
    return {(row["analyst_id"], row["bin"]): row for row in AnalystBinSums.objects.values("analyst_id", "bin", *FIELDS)}


def _fresh() -> dict:
    rows = selectors.bin_sums_by_analyst(selectors.scored_predictions(), bins=AnalystBinSums.BINS)
    return {(row["analyst_id"], row["bin"]): row for row in rows}


def assert_stored_scores_are_current() -> None:
    stored, fresh = _stored(), _fresh()
    assert stored.keys() == fresh.keys()
    for key, row in fresh.items():
        assert stored[key]["n"] == row["n"], key
        for name in FIELDS[1:]:
            assert stored[key][name] == pytest.approx(row[name], abs=1e-9), (key, name)


@pytest.fixture
def ledger(db):
    """Two analysts on three open questions."""
    ann, bob = AnalystFactory(name="Ann"), AnalystFactory(name="Bob")
    questions = [QuestionFactory() for _ in range(3)]
    for i, question in enumerate(questions):
        PredictionFactory(analyst=ann, question=question, probability=0.2 + 0.3 * i)
        PredictionFactory(analyst=bob, question=question, probability=0.9 - 0.3 * i)
    return ann, bob, questions


def test_resolving_and_unresolving_moves_the_stored_scores(ledger):
    ann, bob, (q1, q2, _) = ledger
    assert not AnalystBinSums.objects.exists()  # nothing is judged yet

    questions.question_resolve(question_id=q1.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    questions.question_resolve(question_id=q2.pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")
    assert_stored_scores_are_current()
    board = {row["analyst_slug"]: row for row in selectors.leaderboard()}
    # Ann: 0.2 on a yes, 0.5 on a no → ((0.8)² + (0.5)²)/2; Bob: 0.9 on a yes, 0.6 on a no → ((0.1)² + (0.6)²)/2.
    assert board[ann.slug]["brier"] == pytest.approx(0.445)
    assert board[bob.slug]["brier"] == pytest.approx(0.185)
    assert board[ann.slug]["n_resolved"] == board[bob.slug]["n_resolved"] == 2

    questions.question_unresolve(question_id=q1.pk, reason="premature", user=SYSTEM)
    assert_stored_scores_are_current()
    assert selectors.leaderboard().get(analyst_slug=ann.slug)["brier"] == pytest.approx(0.25)

    questions.question_resolve(question_id=q2.pk, outcome="annulled", user=SYSTEM, evidence="Seen in the news.")
    assert_stored_scores_are_current()
    assert not AnalystBinSums.objects.exists()
    assert list(selectors.leaderboard()) == []


def test_forecasts_added_moved_and_deleted_on_a_judged_question(ledger):
    ann, bob, (q1, q2, _) = ledger
    questions.question_resolve(question_id=q1.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    carol = AnalystFactory(name="Carol")

    predictions.prediction_create(
        data={"analyst": carol, "question": q1, "probability": 0.7, "basis": "stated", "made_at": timezone.now()}, user=SYSTEM
    )
    assert_stored_scores_are_current()
    assert selectors.leaderboard().get(analyst_slug=carol.slug)["brier"] == pytest.approx(0.09)

    # Rewritten on purpose (one door for every write): moving a forecast off a judged question, or deleting one,
    # is an admin's correction through the service, recorded; the old analyst's stored scores follow too.
    moved = Prediction.objects.get(analyst=ann, question=q1)
    predictions.prediction_update(prediction_id=moved.pk, data={"analyst": carol, "question": q2}, user=SYSTEM)
    assert_stored_scores_are_current()
    assert not selectors.leaderboard().filter(analyst_slug=ann.slug).exists()
    assert moved.history.first().history_change_reason.startswith("admin correction on a judged question")

    predictions.prediction_delete(prediction_id=Prediction.objects.get(analyst=bob, question=q1).pk, user=SYSTEM)
    assert_stored_scores_are_current()
    assert not selectors.leaderboard().filter(analyst_slug=bob.slug).exists()


def test_editing_the_phrase_table_keeps_judged_scores_and_rederives_open_forecasts(db):
    # Rewritten on purpose (one door for every write): a phrase edit no longer re-scores a judged forecast.
    phrase = ProbabilityPhrase.objects.create(phrase="odds-on", probability=0.6, low=0.5, high=0.8, reference="test")
    question, later = QuestionFactory(), QuestionFactory()
    analyst = AnalystFactory()
    judged = PredictionFactory(analyst=analyst, question=question, basis="phrase", phrase=phrase)
    still_open = PredictionFactory(analyst=analyst, question=later, basis="phrase", phrase=phrase)
    questions.question_resolve(question_id=question.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    assert selectors.leaderboard().get()["brier"] == pytest.approx(0.16)

    phrases.phrase_update(phrase_id=phrase.pk, data={"probability": 0.8}, user=SYSTEM)

    assert_stored_scores_are_current()
    assert selectors.leaderboard().get()["brier"] == pytest.approx(0.16)
    judged.refresh_from_db()
    still_open.refresh_from_db()
    assert (judged.probability, still_open.probability) == (0.6, 0.8)

    # Reopened, the judged forecast keeps its number until the table changes again while it is open.
    questions.question_unresolve(question_id=question.pk, reason="Reports retracted.", user=SYSTEM)
    judged.refresh_from_db()
    assert judged.probability == 0.6
    phrases.phrase_update(phrase_id=phrase.pk, data={"probability": 0.75}, user=SYSTEM)
    judged.refresh_from_db()
    assert judged.probability == 0.75


def test_a_csv_import_refreshes_the_analysts_it_touches(ledger):
    ann, *_ = ledger
    text = (
        "analyst,question,probability,made_at,resolve_by,outcome\n"
        f"{ann.name},Will it rain?,0.9,2024-01-01,2024-06-01,yes\n"
        "Dana,Will it rain?,0.3,2024-01-01,2024-06-01,yes\n"
    )
    forecasts_import(lines=io.StringIO(text), user=SYSTEM)

    assert_stored_scores_are_current()
    board = {row["name"]: row for row in selectors.leaderboard()}
    assert board["Ann"]["brier"] == pytest.approx(0.01)
    assert board["Dana"]["brier"] == pytest.approx(0.49)


def test_resolving_in_the_admin_and_deleting_a_forecast_there(client, ledger):
    ann, bob, (q1, *_) = ledger
    client.force_login(admin_user())
    response = client.post(
        reverse("admin:forecasts_resolution_add"),
        {"question": q1.pk, "outcome": "no", "evidence": "none", "evidence_url": ""},
    )
    assert response.status_code == 302
    assert_stored_scores_are_current()
    assert selectors.leaderboard().count() == 2

    doomed = Prediction.objects.get(analyst=bob, question=q1)
    response = client.post(reverse("admin:forecasts_prediction_delete", args=[doomed.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert_stored_scores_are_current()
    assert [row["name"] for row in selectors.leaderboard()] == ["Ann"]


def test_refresh_scores_command_repairs_rows_written_behind_the_apps_back(ledger, capsys):
    ann, bob, (q1, *_) = ledger
    Question.objects.filter(pk=q1.pk).update(outcome="yes")  # raw, as a COPY or a restored dump would be
    assert not AnalystBinSums.objects.exists()

    call_command("refresh_scores")

    assert_stored_scores_are_current()
    assert selectors.leaderboard().count() == 2
    assert "stored scores rewritten: 2 analyst-bin rows" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_judgements_at_once_on_questions_of_the_same_analysts():
    """Each transaction refreshes Ann and Bob; without the row lock the later one would miss the other's change."""
    ann, bob = AnalystFactory(name="Ann"), AnalystFactory(name="Bob")
    batch = [QuestionFactory() for _ in range(8)]
    for question in batch:
        PredictionFactory(analyst=ann, question=question, probability=0.3)
        PredictionFactory(analyst=bob, question=question, probability=0.8)

    for round_ in range(4):
        q_a, q_b = batch[2 * round_], batch[2 * round_ + 1]
        results = run_together(
            lambda q=q_a: questions.question_resolve(question_id=q.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news."),
            lambda q=q_b: questions.question_resolve(question_id=q.pk, outcome="no", user=SYSTEM, evidence="Seen in the news."),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert_stored_scores_are_current()
    assert selectors.leaderboard().get(analyst_slug=ann.slug)["n_resolved"] == 8
