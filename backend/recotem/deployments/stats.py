"""Statistics for comparing the conversion rates of two arms.

Pure functions over counts, so the numbers can be checked against SciPy in tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist

STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True)
class ArmCounts:
    impressions: int
    conversions: int

    @property
    def rate(self) -> float:
        return self.conversions / self.impressions if self.impressions else 0.0


@dataclass(frozen=True)
class Comparison:
    z_score: float
    p_value: float
    lift: float | None
    difference: float
    confidence_interval: tuple[float, float]


def compare(control: ArmCounts, variant: ArmCounts, *, confidence_level: float) -> Comparison:
    """Two-proportion z-test (pooled standard error) with a Wald interval for the
    difference of rates (unpooled standard error)."""
    difference = variant.rate - control.rate
    lift = difference / control.rate if control.rate > 0 else None
    if control.impressions == 0 or variant.impressions == 0:
        return Comparison(0.0, 1.0, lift, difference, (0.0, 0.0))
    pooled = (control.conversions + variant.conversions) / (
        control.impressions + variant.impressions
    )
    pooled_se = math.sqrt(
        pooled * (1 - pooled) * (1 / control.impressions + 1 / variant.impressions)
    )
    z = difference / pooled_se if pooled_se > 0 else 0.0
    p_value = 2 * (1 - STANDARD_NORMAL.cdf(abs(z)))
    unpooled_se = math.sqrt(
        control.rate * (1 - control.rate) / control.impressions
        + variant.rate * (1 - variant.rate) / variant.impressions
    )
    margin = STANDARD_NORMAL.inv_cdf(0.5 + confidence_level / 2) * unpooled_se
    return Comparison(z, p_value, lift, difference, (difference - margin, difference + margin))


def msprt_p_value(checkpoints: Iterable[tuple[ArmCounts, ArmCounts]], *, mixing_sd: float) -> float:
    """Always-valid p-value of the mixture sequential probability ratio test.

    ``checkpoints`` are cumulative (control, variant) counts in time order. With a normal
    mixture N(0, mixing_sd²) over the difference of rates, the likelihood ratio at each
    checkpoint is sqrt(V / (V + τ²)) · exp(θ̂² τ² / (2V (V + τ²))), where θ̂ is the observed
    difference and V its variance; the p-value is the running minimum of 1/Λ. Because it
    never increases, looking at it as often as one likes keeps the false-positive rate at
    the nominal level (Johari et al., "Peeking at A/B tests", KDD 2017).
    """
    tau2 = mixing_sd**2
    p_value = 1.0
    for control, variant in checkpoints:
        if control.impressions == 0 or variant.impressions == 0:
            continue
        variance = (
            control.rate * (1 - control.rate) / control.impressions
            + variant.rate * (1 - variant.rate) / variant.impressions
        )
        if variance <= 0:
            continue
        theta = variant.rate - control.rate
        log_lambda = 0.5 * math.log(variance / (variance + tau2)) + (
            theta * theta * tau2 / (2 * variance * (variance + tau2))
        )
        p_value = min(p_value, math.exp(-log_lambda) if log_lambda > 0 else 1.0)
    return p_value
