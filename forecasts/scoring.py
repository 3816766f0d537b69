"""Forecast scoring: pure maths on plain numbers, exactly as SPEC.md defines it. No ORM here.

Lower is better for every loss. The database path (selectors.py) computes per-bin sums in SQL and hands them
to `calibration_from_bin_sums`, so both paths share every formula after the sums.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WILSON_Z = 1.959964
LOG_LOSS_CLIP = (0.001, 0.999)
DEFAULT_BINS = 10
MIN_BINS, MAX_BINS = 2, 20
# p·B is rounded to this many places before flooring, so a forecast on an edge (0.7 → 7.000000000000001 or
# 0.57·100 → 56.99999999999999) lands in the upper bin whatever its float representation. selectors.BinIndex
# does the same in SQL.
EDGE_DECIMALS = 9


def bin_index(p: float, bins: int) -> int:
    """The bin of forecast p among `bins` equal-width bins; an edge belongs to the upper bin, 1.0 to the last."""
    return min(max(math.floor(round(p * bins, EDGE_DECIMALS)), 0), bins - 1)


def _clipped(p: float) -> float:
    return min(max(p, LOG_LOSS_CLIP[0]), LOG_LOSS_CLIP[1])


def log_loss_term(p: float, o: int) -> float:
    """−ln q for one forecast, q = p if o = 1 else 1 − p, p clipped to [0.001, 0.999]."""
    p = _clipped(p)
    return -math.log(p if o else 1.0 - p)


def brier(ps: Sequence[float], os: Sequence[int]) -> float | None:
    return sum((p - o) ** 2 for p, o in zip(ps, os, strict=True)) / len(ps) if ps else None


def log_loss(ps: Sequence[float], os: Sequence[int]) -> float | None:
    return sum(log_loss_term(p, o) for p, o in zip(ps, os, strict=True)) / len(ps) if ps else None


def base_rate(os: Sequence[int]) -> float | None:
    return sum(os) / len(os) if os else None


def brier_skill(brier_score: float | None, rate: float | None) -> float | None:
    """1 − brier / (ō(1 − ō)); undefined (None) when every outcome is the same."""
    if brier_score is None or rate is None or rate in (0.0, 1.0):
        return None
    return 1.0 - brier_score / (rate * (1.0 - rate))


def wilson_interval(successes: int, n: int, z: float = WILSON_Z) -> tuple[float | None, float | None]:
    """The Wilson score interval on successes/n; (None, None) for n = 0."""
    if n == 0:
        return None, None
    phat = successes / n
    denominator = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denominator
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denominator
    # The interval always contains phat; at 0/n and n/n rounding could otherwise leave it a hair outside.
    return max(0.0, min(centre - half, phat)), min(1.0, max(centre + half, phat))


@dataclass
class BinSums:
    """Sufficient statistics of one bin: everything the scores need, and what SQL can aggregate."""

    n: int = 0
    sum_f: float = 0.0
    sum_o: float = 0.0
    sum_ff: float = 0.0
    sum_fo: float = 0.0
    sum_log_loss: float = 0.0

    def add(self, p: float, o: int) -> None:
        self.n += 1
        self.sum_f += p
        self.sum_o += o
        self.sum_ff += p * p
        self.sum_fo += p * o
        self.sum_log_loss += log_loss_term(p, o)


@dataclass
class CalibrationBin:
    lower: float
    upper: float
    n: int
    mean_probability: float | None
    observed_frequency: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class Decomposition:
    reliability: float | None
    resolution: float | None
    uncertainty: float | None
    within_bin_variance: float | None
    within_bin_covariance: float | None


@dataclass
class Calibration:
    n_resolved: int
    brier: float | None
    log_loss: float | None
    base_rate: float | None
    brier_skill: float | None
    bins: list[CalibrationBin] = field(default_factory=list)
    decomposition: Decomposition | None = None


def bin_sums(ps: Sequence[float], os: Sequence[int], bins: int = DEFAULT_BINS) -> dict[int, BinSums]:
    sums: dict[int, BinSums] = {}
    for p, o in zip(ps, os, strict=True):
        sums.setdefault(bin_index(p, bins), BinSums()).add(p, o)
    return sums


def calibration_from_bin_sums(sums: dict[int, BinSums], bins: int = DEFAULT_BINS) -> Calibration:
    """Every score of SPEC.md from per-bin sums (Murphy 1973; Stephenson, Coelho & Jolliffe 2008)."""
    if not MIN_BINS <= bins <= MAX_BINS:
        raise ValueError(f"bins must be between {MIN_BINS} and {MAX_BINS}")
    filled = [s for s in sums.values() if s.n]
    n = sum(s.n for s in filled)
    table = []
    for k in range(bins):
        s = sums.get(k, BinSums())
        low, high = wilson_interval(round(s.sum_o), s.n)
        table.append(
            CalibrationBin(
                lower=k / bins,
                upper=(k + 1) / bins,
                n=s.n,
                mean_probability=s.sum_f / s.n if s.n else None,
                observed_frequency=s.sum_o / s.n if s.n else None,
                ci_low=low,
                ci_high=high,
            )
        )
    if n == 0:
        empty = Decomposition(None, None, None, None, None)
        return Calibration(0, None, None, None, None, table, empty)

    o_bar = sum(s.sum_o for s in filled) / n
    # Σ(f − o)² = Σf² − 2Σfo + Σo, since o² = o.
    brier_score = sum(s.sum_ff - 2 * s.sum_fo + s.sum_o for s in filled) / n
    reliability = resolution = variance = covariance = 0.0
    for s in filled:
        f_k, o_k = s.sum_f / s.n, s.sum_o / s.n
        reliability += s.n * (f_k - o_k) ** 2
        resolution += s.n * (o_k - o_bar) ** 2
        variance += s.sum_ff - s.n * f_k * f_k  # Σ(f − f̄ₖ)²
        covariance += s.sum_fo - s.n * f_k * o_k  # Σ(o − ōₖ)(f − f̄ₖ)
    decomposition = Decomposition(
        reliability=reliability / n,
        resolution=resolution / n,
        uncertainty=o_bar * (1 - o_bar),
        # The sums of squares can come out a hair below zero in floating point when every f in a bin is equal.
        within_bin_variance=max(variance / n, 0.0),
        within_bin_covariance=2 * covariance / n,
    )
    return Calibration(
        n_resolved=n,
        brier=brier_score,
        log_loss=sum(s.sum_log_loss for s in filled) / n,
        base_rate=o_bar,
        brier_skill=brier_skill(brier_score, o_bar),
        bins=table,
        decomposition=decomposition,
    )


def calibration(ps: Sequence[float], os: Sequence[int], bins: int = DEFAULT_BINS) -> Calibration:
    """The whole calibration report for forecasts ps with outcomes os (1 = yes, 0 = no)."""
    return calibration_from_bin_sums(bin_sums(ps, os, bins), bins)
