"""Calibration by hedge word, and the leaderboard with every phrase at its bound."""

import pytest
from django.urls import reverse

from forecasts import selectors

from forecasts.services import questions
from forecasts.models import ProbabilityPhrase
from forecasts.services.rules import SYSTEM
from tests.factories import AnalystFactory, PredictionFactory, QuestionFactory, analyst_user

API = "/api/v1/"


@pytest.fixture
def ledger(db):
    """'likely' (0.7, 0.55–0.8): Ann 7 claims, 5 true; Bob 3 claims, 2 true. 'could' (0.4): Bob 2 claims, 0 true."""
    likely = ProbabilityPhrase.objects.create(phrase="likely", probability=0.7, low=0.55, high=0.8, reference="t")
    could = ProbabilityPhrase.objects.create(phrase="could", probability=0.4, low=0.2, high=0.5, reference="t")
    ProbabilityPhrase.objects.create(phrase="unused", probability=0.1, low=0.05, high=0.2, reference="t")
    ann, bob = AnalystFactory(name="Ann", slug="ann"), AnalystFactory(name="Bob", slug="bob")
    for analyst, phrase, outcomes in ((ann, likely, "yyyyynn"), (bob, likely, "yyn"), (bob, could, "nn")):
        for outcome in outcomes:
            question = QuestionFactory()
            PredictionFactory(analyst=analyst, question=question, basis="phrase", phrase=phrase)
            questions.question_resolve(question_id=question.pk, outcome="yes" if outcome == "y" else "no", user=SYSTEM, evidence="Seen in the news.")
    # Open and stated forecasts do not count.
    PredictionFactory(analyst=ann, basis="phrase", phrase=likely)
    resolved = QuestionFactory()
    PredictionFactory(analyst=ann, question=resolved, probability=0.9)
    questions.question_resolve(question_id=resolved.pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    return ann, bob


def test_phrase_calibration_api_counts_and_wilson_intervals(api, ledger, django_assert_max_num_queries):
    client = api("reader")
    with django_assert_max_num_queries(6):
        body = client.get(f"{API}phrases/calibration/").json()
    rows = {row["phrase"]: row for row in body["results"]}
    assert [row["phrase"] for row in body["results"]] == ["likely", "could", "unused"]
    likely = rows["likely"]
    assert (likely["n"], likely["n_true"], likely["probability"]) == (10, 7, 0.7)
    assert likely["observed_frequency"] == pytest.approx(0.7)
    assert (likely["ci_low"], likely["ci_high"]) == (pytest.approx(0.3968, abs=1e-4), pytest.approx(0.8922, abs=1e-4))
    assert [(a["analyst"], a["n"], a["n_true"]) for a in likely["analysts"]] == [("ann", 7, 5), ("bob", 3, 2)]
    assert (rows["could"]["n"], rows["could"]["n_true"], rows["could"]["ci_high"]) == (2, 0, pytest.approx(0.6576, abs=1e-4))
    assert rows["unused"]["n"] == 0 and rows["unused"]["observed_frequency"] is None

    bob = client.get(f"{API}phrases/calibration/", {"analyst": "bob"}).json()
    assert {r["phrase"]: r["n"] for r in bob["results"]} == {"likely": 3, "could": 2, "unused": 0}
    assert client.get(f"{API}phrases/calibration/", {"analyst": "nobody"}).status_code == 404
    assert api().get(f"{API}phrases/calibration/").status_code == 401


def test_leaderboard_at_the_phrase_bounds(api, ledger):
    client = api("reader")
    plain = {r["analyst"]: r for r in client.get(f"{API}calibration/").json()["results"]}
    low = {r["analyst"]: r for r in client.get(f"{API}calibration/", {"phrase_bound": "low"}).json()["results"]}
    high = {r["analyst"]: r for r in client.get(f"{API}calibration/", {"phrase_bound": "high"}).json()["results"]}
    # Ann: 7 'likely' claims (5 true, 2 false) and one stated 0.9 that came true.
    def ann_brier(p):
        return (5 * (1 - p) ** 2 + 2 * p**2 + 0.1**2) / 8

    assert plain["ann"]["brier"] == pytest.approx(ann_brier(0.7))
    assert low["ann"]["brier"] == pytest.approx(ann_brier(0.55))
    assert high["ann"]["brier"] == pytest.approx(ann_brier(0.8))
    # Bob: 3 'likely' (2 true) and 2 'could' (false).
    assert low["bob"]["brier"] == pytest.approx((2 * 0.45**2 + 0.55**2 + 2 * 0.2**2) / 5)
    assert [r["analyst"] for r in client.get(f"{API}calibration/", {"phrase_bound": "high"}).json()["results"]] == sorted(
        high, key=lambda slug: high[slug]["brier"]
    )
    bad = client.get(f"{API}calibration/", {"phrase_bound": "middle"})
    assert bad.status_code == 400 and "phrase_bound" in bad.json()
    assert selectors.leaderboard(phrase_bound="low").count() == 2


def test_hedge_word_page_draws_a_chart(client, ledger):
    client.force_login(analyst_user())
    page = client.get(reverse("phrase-calibration"))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg' in html and 'id="phrase-chart"' in html
    assert html.count('class="point"') == 2  # likely and could; the unused phrase has no point
    assert "likely, n=10" in html and "12 judged claims over 2 phrases" in html
    ann = client.get(reverse("phrase-calibration"), {"analyst": "ann"}).content.decode()
    assert "likely, n=7" in ann and "Hedge words: Ann" in ann


def test_leaderboard_page_scores_hedge_words_at_their_bounds(client, ledger):
    client.force_login(analyst_user())
    plain = client.get(reverse("analyst-list")).content.decode()
    high = client.get(reverse("analyst-list"), {"phrase_bound": "high"}).content.decode()
    # Bob at the table's numbers: (2·0.3² + 0.7² + 2·0.4²)/5 = 0.198; at the high bounds: (2·0.2² + 0.8² + 2·0.5²)/5 = 0.244.
    assert "0.198" in plain and "0.244" not in plain
    assert "0.244" in high
    assert 'value="high" selected' in high
    refused = client.get(reverse("analyst-list"), {"phrase_bound": "middle"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
