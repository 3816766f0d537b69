"""The database path computes the same numbers as the pure-Python path, in a constant number of queries."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forecasts import scoring, selectors

from forecasts.services import scores
from forecasts.models import Analyst, Prediction, Question
from tests.factories import AnalystFactory

EDGES = [0.0, 0.1, 0.3, 0.7, 0.9, 1.0, 0.2, 0.4, 0.6, 0.8, 0.05, 0.35, 0.55, 0.15, 0.45, 0.65, 0.85, 0.95]
OUTCOMES = ["yes", "no", "yes", "no", "", "ambiguous", "annulled"]


def _ledger(n_predictions: int, n_analysts: int, n_questions: int, seed: int = 7, prefix: str = "a") -> None:
    rng = random.Random(seed)
    now = timezone.now()
    Analyst.objects.bulk_create(
        [Analyst(name=f"Analyst {prefix}{i:03d}", slug=f"{prefix}-{i:03d}") for i in range(n_analysts)]
    )
    Question.objects.bulk_create(
        [
            Question(key=f"{prefix}-q-{i}", title=f"Q{i}", resolution_criteria="c", resolve_by=now, outcome=rng.choice(OUTCOMES))
            for i in range(n_questions)
        ]
    )
    analyst_ids = list(Analyst.objects.filter(slug__startswith=f"{prefix}-").values_list("id", flat=True))
    question_ids = list(Question.objects.filter(key__startswith=f"{prefix}-").values_list("id", flat=True))
    predictions = []
    for _ in range(n_predictions):
        p = rng.choice(EDGES) if rng.random() < 0.3 else rng.random()
        predictions.append(
            Prediction(
                analyst_id=rng.choice(analyst_ids),
                question_id=rng.choice(question_ids),
                probability=p,
                basis="stated",
                made_at=now,
            )
        )
    Prediction.objects.bulk_create(predictions, batch_size=2000)
    # Loaded in bulk, behind the app's back (as the benchmark's COPY): rewrite the stored scores, as refresh_scores does.
    scores.analyst_scores_refresh()


def _python_reports(bins: int) -> dict[str, scoring.Calibration]:
    """The naive path: load every scored row into Python and apply scoring.py."""
    per_analyst: dict[str, tuple[list, list]] = {}
    rows = Prediction.objects.filter(question__outcome__in=["yes", "no"]).values_list(
        "analyst__slug", "probability", "question__outcome"
    )
    for slug, p, outcome in rows:
        ps, os = per_analyst.setdefault(slug, ([], []))
        ps.append(p)
        os.append(1 if outcome == "yes" else 0)
    return {slug: scoring.calibration(ps, os, bins=bins) for slug, (ps, os) in per_analyst.items()}


def _assert_same(db_value, py_value):
    if py_value is None:
        assert db_value is None
    else:
        assert db_value == pytest.approx(py_value, abs=1e-9)


def _assert_database_equals_python():
    # Ten bins twice: from the stored bin sums and aggregated from the predictions.
    for bins, stored in ((10, True), (10, False), (7, True), (20, True)):
        expected = _python_reports(bins)
        assert len(expected) > 10
        for slug, py in expected.items():
            analyst = Analyst.objects.get(slug=slug)
            db = selectors.calibration_for_analyst(analyst=analyst, bins=bins, stored=stored)
            assert db.n_resolved == py.n_resolved
            for name in ("brier", "log_loss", "base_rate", "brier_skill"):
                _assert_same(getattr(db, name), getattr(py, name))
            for db_bin, py_bin in zip(db.bins, py.bins, strict=True):
                assert db_bin.n == py_bin.n, (slug, bins, db_bin, py_bin)
                for name in ("mean_probability", "observed_frequency", "ci_low", "ci_high"):
                    _assert_same(getattr(db_bin, name), getattr(py_bin, name))
            for name, value in vars(py.decomposition).items():
                _assert_same(getattr(db.decomposition, name), value)

    expected = _python_reports(10)
    for stored in (True, False):
        board = {row["analyst_slug"]: row for row in selectors.leaderboard(stored=stored)}
        assert set(board) == set(expected)
        for slug, py in expected.items():
            assert board[slug]["n_resolved"] == py.n_resolved
            for name in ("brier", "log_loss", "brier_skill"):
                _assert_same(board[slug][name], getattr(py, name))


@pytest.mark.django_db
def test_database_path_equals_python_path_on_10000_predictions():
    _ledger(10_000, 40, 2_000)
    assert Prediction.objects.count() == 10_000
    _assert_database_equals_python()


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_path_equals_python_path_on_postgresql():
    assert connection.vendor == "postgresql"
    _ledger(10_000, 40, 2_000, seed=11)
    _assert_database_equals_python()


@pytest.mark.django_db
def test_edge_forecasts_fall_in_the_upper_bin_in_sql():
    analyst = AnalystFactory(slug="edges")
    question = Question.objects.create(key="e", title="E", resolution_criteria="c", resolve_by=timezone.now(), outcome="yes")
    for p in (0.0, 0.1, 0.3, 0.7, 0.9, 1.0, 0.35):
        Prediction.objects.create(analyst=analyst, question=question, probability=p, basis="stated", made_at=timezone.now())
    scores.analyst_scores_refresh(analyst_ids=[analyst.pk])  # rows written raw, as after a bulk load

    ten = selectors.calibration_for_analyst(analyst=analyst, bins=10)
    assert [b.n for b in ten.bins] == [1, 1, 0, 2, 0, 0, 0, 1, 0, 2]
    twenty = selectors.calibration_for_analyst(analyst=analyst, bins=20)
    assert twenty.bins[7].n == 1 and twenty.bins[6].n == 1  # 0.35 → [0.35, 0.40); 0.3 → [0.30, 0.35)


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_data(api, django_assert_max_num_queries):
    client = api("reader")
    _ledger(60, 3, 20, seed=1)
    small = {
        "leaderboard": _count_queries(client, "/api/v1/calibration/"),
        "calibration": _count_queries(client, "/api/v1/analysts/a-000/calibration/"),
    }
    _ledger(3_000, 60, 500, seed=2, prefix="b")

    with django_assert_max_num_queries(small["leaderboard"]):
        assert client.get("/api/v1/calibration/", {"page_size": 100}).json()["count"] >= 60
    with django_assert_max_num_queries(small["calibration"]):
        assert client.get("/api/v1/analysts/a-000/calibration/").json()["n_resolved"] > 10
    # Token lookup, the role's permissions (user and group), then the report: count + page for the
    # leaderboard; the analyst + one GROUP BY bin query for a calibration.
    assert small["leaderboard"] <= 5 and small["calibration"] <= 5
