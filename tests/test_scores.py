"""The stored bin sums stay equal to a fresh aggregate of the predictions through every way of writing them."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from forecasts import selectors

from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasts.services import analysts, phrases, predictions, questions
from forecasts.services.imports import forecasts_import
from forecasts.models import Analyst, AnalystBinSums, Prediction, ProbabilityPhrase, Question
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


def test_judging_a_question_again_and_an_admin_correction_move_the_stored_scores(ledger):
    ann, bob, (q1, q2, _) = ledger
    questions.question_resolve(question_id=q1.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    questions.question_resolve(question_id=q2.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    # Judged again without a reopening in between: the old outcome's part comes out, the new one's goes in.
    questions.question_resolve(question_id=q2.pk, outcome="no", user=SYSTEM, evidence="Corrected report.")
    assert_stored_scores_are_current()
    # Ann: 0.2 on a yes, 0.5 on a no.
    assert selectors.leaderboard().get(analyst_slug=ann.slug)["brier"] == pytest.approx((0.64 + 0.25) / 2)

    corrected = Prediction.objects.get(analyst=ann, question=q1)
    predictions.prediction_update(prediction_id=corrected.pk, data={"probability": 0.6}, user=SYSTEM)
    assert_stored_scores_are_current()
    assert selectors.leaderboard().get(analyst_slug=ann.slug)["brier"] == pytest.approx((0.16 + 0.25) / 2)


def test_merging_analysts_moves_the_merged_ones_stored_scores_to_the_survivor(ledger):
    ann, bob, (q1, q2, q3) = ledger
    for question, outcome in ((q1, "yes"), (q2, "no")):
        questions.question_resolve(question_id=question.pk, outcome=outcome, user=SYSTEM, evidence="Seen in the news.")
    carol = AnalystFactory(name="Carol")
    PredictionFactory(analyst=carol, question=q3, probability=0.3)  # open: nothing scored moves with it

    analysts.analyst_merge(survivor_id=ann.pk, merged_id=bob.pk, user=SYSTEM)
    assert_stored_scores_are_current()
    assert not AnalystBinSums.objects.filter(analyst_id=bob.pk).exists()
    row = selectors.leaderboard().get(analyst_slug=ann.slug)
    # Ann 0.2 (yes), 0.5 (no); Bob 0.9 (yes), 0.6 (no).
    assert row["n_resolved"] == 4
    assert row["brier"] == pytest.approx((0.64 + 0.25 + 0.01 + 0.36) / 4)

    analysts.analyst_merge(survivor_id=carol.pk, merged_id=ann.pk, user=SYSTEM)
    assert_stored_scores_are_current()
    assert selectors.leaderboard().get()["analyst_slug"] == carol.slug


def test_resolving_a_question_with_many_analysts_moves_each_ones_sums(db):
    """Each analyst also has a judged forecast elsewhere: only the question's own forecasts move their sums."""
    crowd = [AnalystFactory() for _ in range(40)]
    busy, earlier = QuestionFactory(), QuestionFactory()
    for i, analyst in enumerate(crowd):
        PredictionFactory(analyst=analyst, question=earlier, probability=(i % 10) / 10)
        PredictionFactory(analyst=analyst, question=busy, probability=(i * 7 % 40) / 40)
    questions.question_resolve(question_id=earlier.pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")
    assert_stored_scores_are_current()

    questions.question_resolve(question_id=busy.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    assert_stored_scores_are_current()
    assert selectors.leaderboard().count() == 40
    assert {row["n_resolved"] for row in selectors.leaderboard()} == {2}

    questions.question_unresolve(question_id=busy.pk, reason="Premature.", user=SYSTEM)
    assert_stored_scores_are_current()
    questions.question_resolve(question_id=busy.pk, outcome="annulled", user=SYSTEM, evidence="Void.")
    assert_stored_scores_are_current()
    assert {row["n_resolved"] for row in selectors.leaderboard()} == {1}


def test_a_csv_import_backfilling_a_judged_question_and_judging_another(ledger):
    ann, bob, (q1, q2, _) = ledger
    questions.question_resolve(question_id=q1.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    questions.question_resolve(question_id=q2.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    text = (
        "analyst,question,probability,made_at,resolve_by,outcome,question_key\n"
        f"Dana,{q1.title},0.8,2024-01-01,2024-06-01,yes,{q1.key}\n"  # a backfill on a question judged before
        f"Dana,{q2.title},0.3,2024-01-01,2024-06-01,no,{q2.key}\n"  # and q2 judged otherwise: yes → no
        "Dana,Will it snow?,0.4,2024-01-01,2024-06-01,,\n"  # open: nothing scored
    )
    forecasts_import(lines=io.StringIO(text), user=SYSTEM)

    assert_stored_scores_are_current()
    assert Question.objects.get(pk=q2.pk).outcome == "no"
    board = {row["name"]: row for row in selectors.leaderboard()}
    assert board["Dana"]["brier"] == pytest.approx((0.04 + 0.09) / 2)
    assert board["Ann"]["brier"] == pytest.approx((0.64 + 0.25) / 2)


def test_resolving_costs_the_same_queries_for_2_forecasts_as_for_200(api, db):
    """The stored sums move by set-based statements: the resolve path's query count does not grow with the
    number of forecasts or analysts on the question (tests/benchmarks/bench_scoring.py times it at 2,000)."""
    client = api("analyst")

    def resolve_with(n: int) -> int:
        question = QuestionFactory()
        crowd = Analyst.objects.bulk_create([Analyst(name=f"Crowd {question.pk}-{i}", slug=f"c-{question.pk}-{i}") for i in range(n)])
        Prediction.objects.bulk_create(
            Prediction(analyst=analyst, question=question, probability=i / n, basis="stated", made_at=timezone.now())
            for i, analyst in enumerate(crowd)
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"/api/v1/questions/{question.pk}/resolve/",
                {"outcome": "yes", "evidence": "Seen in the news.", "version": question.version},
                format="json",
            )
        assert response.status_code == 200, response.content
        return len(queries)

    small, large = resolve_with(2), resolve_with(200)
    assert small == large
    assert large <= 30
    assert_stored_scores_are_current()
    assert selectors.leaderboard().count() == 202


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_merge_and_a_judgement_at_once_leave_the_stored_scores_current():
    """The merge locks the questions of the forecasts it moves: the judgement either reads them before the merge
    or after it, never half-way, and each one's sums land on the analyst who holds the forecasts then."""
    for round_ in range(4):
        ann, bob = AnalystFactory(name=f"Ann {round_}"), AnalystFactory(name=f"Bob {round_}")
        batch = [QuestionFactory() for _ in range(3)]
        for i, question in enumerate(batch):
            PredictionFactory(analyst=ann, question=question, probability=0.2 + 0.1 * i)
            PredictionFactory(analyst=bob, question=question, probability=0.7 - 0.1 * i)
        questions.question_resolve(question_id=batch[0].pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")
        results = run_together(
            lambda: analysts.analyst_merge(survivor_id=ann.pk, merged_id=bob.pk, user=SYSTEM),
            lambda q=batch[1]: questions.question_resolve(question_id=q.pk, outcome="yes", user=SYSTEM, evidence="Seen."),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert_stored_scores_are_current()
        assert selectors.leaderboard().get(analyst_slug=ann.slug)["n_resolved"] == 4
