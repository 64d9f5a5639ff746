from __future__ import annotations

import itertools
import random

import pytest
from scipy import stats as scipy_stats

from deployments.stats import ArmCounts, compare, msprt_p_value


@pytest.mark.parametrize(
    ("control", "variant", "level"),
    [
        (ArmCounts(1000, 100), ArmCounts(1000, 130), 0.95),
        (ArmCounts(5000, 250), ArmCounts(4800, 260), 0.9),
        (ArmCounts(200, 30), ArmCounts(250, 20), 0.99),
    ],
)
def test_z_test_and_interval_match_scipy(
    control: ArmCounts, variant: ArmCounts, level: float
) -> None:
    result = compare(control, variant, confidence_level=level)

    table = [
        [control.conversions, control.impressions - control.conversions],
        [variant.conversions, variant.impressions - variant.conversions],
    ]
    chi2, p_value, _, _ = scipy_stats.chi2_contingency(table, correction=False)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.z_score**2 == pytest.approx(chi2, rel=1e-9)

    se = (
        control.rate * (1 - control.rate) / control.impressions
        + variant.rate * (1 - variant.rate) / variant.impressions
    ) ** 0.5
    margin = scipy_stats.norm.ppf(0.5 + level / 2) * se
    low, high = result.confidence_interval
    assert low == pytest.approx(result.difference - margin, rel=1e-9)
    assert high == pytest.approx(result.difference + margin, rel=1e-9)
    assert result.lift == pytest.approx((variant.rate - control.rate) / control.rate)


def test_empty_arms_are_not_significant() -> None:
    result = compare(ArmCounts(0, 0), ArmCounts(10, 1), confidence_level=0.95)
    assert result.p_value == 1.0
    assert result.lift is None


def _simulate(rate_a: float, rate_b: float, peeks: int, per_peek: int, seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    control = variant = ArmCounts(0, 0)
    for _ in range(peeks):
        control = ArmCounts(
            control.impressions + per_peek,
            control.conversions + sum(rng.random() < rate_a for _ in range(per_peek)),
        )
        variant = ArmCounts(
            variant.impressions + per_peek,
            variant.conversions + sum(rng.random() < rate_b for _ in range(per_peek)),
        )
        yield control, variant


def test_sequential_p_value_keeps_false_positives_under_alpha_despite_peeking() -> None:
    """An A/A test looked at 50 times: the naive z-test 'finds' effects far more often
    than 5%, the always-valid p-value does not."""
    runs, alpha = 200, 0.05
    naive_hits = sequential_hits = 0
    for seed in range(runs):
        history = list(_simulate(0.1, 0.1, peeks=50, per_peek=100, seed=seed))
        naive_hits += any(compare(c, v, confidence_level=0.95).p_value < alpha for c, v in history)
        sequential_hits += msprt_p_value(history, mixing_sd=0.02) < alpha
    assert naive_hits / runs > 0.12
    assert sequential_hits / runs <= alpha


def test_sequential_p_value_detects_a_real_difference() -> None:
    history = list(_simulate(0.10, 0.15, peeks=20, per_peek=250, seed=7))
    assert msprt_p_value(history, mixing_sd=0.02) < 0.001


def test_sequential_p_value_never_increases() -> None:
    history = list(_simulate(0.10, 0.12, peeks=30, per_peek=100, seed=3))
    values = [msprt_p_value(history[: n + 1], mixing_sd=0.02) for n in range(len(history))]
    assert all(later <= earlier for earlier, later in itertools.pairwise(values))
