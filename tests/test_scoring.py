"""scoring.py against SPEC.md's worked examples, and properties that must hold for any input."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts import scoring

TOL = 1e-6
EXAMPLE_A = ([0.9, 0.2, 0.6, 0.7, 0.4], [1, 0, 1, 1, 0])
EXAMPLE_B = ([0.2] * 5 + [0.8] * 5, [0, 0, 0, 0, 1, 1, 1, 1, 0, 0])
EXAMPLE_C = ([0.05, 0.15, 0.62, 0.68, 0.71, 0.91], [0, 1, 0, 1, 1, 1])


def _identity_gap(report: scoring.Calibration) -> float:
    d = report.decomposition
    rebuilt = d.reliability - d.resolution + d.uncertainty + d.within_bin_variance - d.within_bin_covariance
    return abs(rebuilt - report.brier)


def test_example_a():
    ps, os = EXAMPLE_A
    assert scoring.brier(ps, os) == pytest.approx(0.092, abs=TOL)
    assert scoring.log_loss(ps, os) == pytest.approx(0.341366, abs=TOL)
    assert scoring.base_rate(os) == pytest.approx(0.6, abs=TOL)
    assert scoring.brier_skill(scoring.brier(ps, os), scoring.base_rate(os)) == pytest.approx(0.616667, abs=TOL)

    report = scoring.calibration(ps, os)
    assert (report.n_resolved, report.brier, report.log_loss, report.base_rate, report.brier_skill) == pytest.approx(
        (5, 0.092, 0.341366, 0.6, 0.616667), abs=TOL
    )


def test_example_b():
    report = scoring.calibration(*EXAMPLE_B, bins=10)
    d = report.decomposition
    assert d.reliability == pytest.approx(0.02, abs=TOL)
    assert d.resolution == pytest.approx(0.04, abs=TOL)
    assert d.uncertainty == pytest.approx(0.24, abs=TOL)
    assert report.brier == pytest.approx(0.22, abs=TOL)
    assert d.within_bin_variance == pytest.approx(0.0, abs=TOL)
    assert d.within_bin_covariance == pytest.approx(0.0, abs=TOL)


def test_example_c():
    report = scoring.calibration(*EXAMPLE_C, bins=5)
    d = report.decomposition
    assert d.reliability == pytest.approx(0.054689, abs=TOL)
    assert d.resolution == pytest.approx(0.027778, abs=TOL)
    assert d.uncertainty == pytest.approx(0.222222, abs=TOL)
    assert d.within_bin_variance == pytest.approx(0.001533, abs=TOL)
    assert d.within_bin_covariance == pytest.approx(0.033333, abs=TOL)
    assert report.brier == pytest.approx(0.217333, abs=TOL)
    assert _identity_gap(report) < 1e-9


@pytest.mark.parametrize(
    "k, n, low, high", [(7, 10, 0.3968, 0.8922), (0, 5, 0.0, 0.4345), (10, 10, 0.7225, 1.0)]
)
def test_wilson_interval(k, n, low, high):
    ci_low, ci_high = scoring.wilson_interval(k, n)
    assert ci_low == pytest.approx(low, abs=1e-4)
    assert ci_high == pytest.approx(high, abs=1e-4)


def test_wilson_interval_of_nothing_is_null():
    assert scoring.wilson_interval(0, 0) == (None, None)


@pytest.mark.parametrize(
    "p, bins, expected",
    [
        (0.7, 10, 7),  # 0.7·10 = 7.000000000000001
        (0.3, 10, 3),  # 3.0000000000000004
        (0.6, 10, 6),  # 0.6·10 = 6.000000000000001? either way: the upper bin
        (0.1, 10, 1),
        (0.9, 10, 9),
        (1.0, 10, 9),  # 1.0 belongs to the last bin
        (0.0, 10, 0),
        (0.69999999, 10, 6),
        (0.2, 5, 1),
        (0.6, 5, 3),
        (0.15, 20, 3),
        (0.35, 20, 7),  # 0.35·20 = 6.999999999999999
        (0.55, 20, 11),
        (1 / 3, 3, 1),
        (2 / 3, 3, 2),
    ],
)
def test_edge_forecasts_belong_to_the_upper_bin(p, bins, expected):
    assert scoring.bin_index(p, bins) == expected


def test_every_bin_is_listed_and_empty_ones_are_null():
    report = scoring.calibration([0.72, 0.75, 0.05], [1, 0, 0], bins=10)

    assert [b.n for b in report.bins] == [1, 0, 0, 0, 0, 0, 0, 2, 0, 0]
    assert report.bins[7].lower == pytest.approx(0.7) and report.bins[7].upper == pytest.approx(0.8)
    assert report.bins[7].mean_probability == pytest.approx(0.735)
    assert report.bins[7].observed_frequency == pytest.approx(0.5)
    empty = report.bins[3]
    assert (empty.mean_probability, empty.observed_frequency, empty.ci_low, empty.ci_high) == (None, None, None, None)


def test_no_resolved_forecasts_gives_nulls_and_all_bins():
    report = scoring.calibration([], [], bins=4)
    assert report.n_resolved == 0
    assert report.brier is None and report.log_loss is None and report.brier_skill is None
    assert len(report.bins) == 4 and all(b.n == 0 for b in report.bins)


def test_brier_skill_is_null_when_every_outcome_is_the_same():
    assert scoring.calibration([0.8, 0.9], [1, 1]).brier_skill is None
    assert scoring.calibration([0.2, 0.1], [0, 0]).brier_skill is None


def test_log_loss_clips_certain_forecasts():
    assert scoring.log_loss([1.0], [0]) == pytest.approx(-math.log(0.001))
    assert scoring.log_loss([0.0], [0]) == pytest.approx(-math.log(0.999))


def test_bins_out_of_range_are_refused():
    for bins in (1, 21):
        with pytest.raises(ValueError):
            scoring.calibration([0.5], [1], bins=bins)


EDGES = [0.0, 0.1, 0.3, 0.7, 0.9, 1.0, 0.05, 0.35, 0.55, 0.2, 0.6, 0.8]
forecasts = st.lists(
    st.tuples(st.one_of(st.sampled_from(EDGES), st.floats(0.0, 1.0)), st.integers(0, 1)), min_size=1, max_size=200
)


@settings(max_examples=300, deadline=None)
@given(forecasts, st.integers(scoring.MIN_BINS, scoring.MAX_BINS))
def test_decomposition_identity_and_bin_counts(pairs, bins):
    ps, os = [p for p, _ in pairs], [o for _, o in pairs]
    report = scoring.calibration(ps, os, bins=bins)

    assert _identity_gap(report) < 1e-9
    assert sum(b.n for b in report.bins) == len(ps)
    assert len(report.bins) == bins
    assert report.brier == pytest.approx(scoring.brier(ps, os), abs=1e-12)
    assert report.log_loss == pytest.approx(scoring.log_loss(ps, os), abs=1e-12)
    for k, b in enumerate(report.bins):
        if b.n:
            assert b.lower - 1e-9 <= b.mean_probability <= b.upper + 1e-9 or (k == bins - 1 and b.mean_probability <= 1)
            assert 0.0 <= b.ci_low <= b.observed_frequency <= b.ci_high <= 1.0
