"""Pure statistics and verdicts for the benchmarks' reports: no I/O, no clocks.

Medians and quartiles describe a cell; a bootstrap interval says how far a ratio of
two medians can be trusted; :func:`growth_exponent` and :func:`grows_at_most_linearly`
judge a curve. Everything takes plain sequences of floats and is unit-tested in
``tests/benchmarks/``.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Spread",
    "Verdict",
    "at_most",
    "bootstrap_median",
    "bootstrap_ratio",
    "grows_at_most_linearly",
    "growth_exponent",
    "paired_ratios",
    "spread",
]


@dataclass(frozen=True)
class Spread:
    """A sample's median and quartiles (NaN for an empty sample)."""

    median: float
    q1: float
    q3: float
    n: int

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def text(self, digits: int = 0) -> str:
        """``median [q1-q3]``, e.g. ``412 [398-431]``."""
        if self.n == 0:
            return "-"
        return f"{self.median:.{digits}f} [{self.q1:.{digits}f}-{self.q3:.{digits}f}]"


def spread(values: Sequence[float]) -> Spread:
    """Median and quartiles; with fewer than two values the quartiles are the value."""
    numbers = sorted(v for v in values if not math.isnan(v))
    if not numbers:
        nan = float("nan")
        return Spread(nan, nan, nan, 0)
    if len(numbers) == 1:
        return Spread(numbers[0], numbers[0], numbers[0], 1)
    q1, median, q3 = statistics.quantiles(numbers, n=4, method="inclusive")
    return Spread(median, q1, q3, len(numbers))


def bootstrap_ratio(
    top: Sequence[float],
    bottom: Sequence[float],
    *,
    resamples: int = 2000,
    confidence: float = 0.90,
    seed: int = 12,
) -> tuple[float, float, float]:
    """``median(top) / median(bottom)`` and a bootstrap interval around it.

    Both samples are resampled independently (they come from separate loads); the
    interval holds ``confidence`` of the resampled ratios. The seed is fixed, so a
    report reads the same twice.
    """
    if not top or not bottom:
        nan = float("nan")
        return nan, nan, nan
    ratio = statistics.median(top) / statistics.median(bottom)
    generator = random.Random(seed)
    ratios = sorted(
        statistics.median(generator.choices(top, k=len(top)))
        / statistics.median(generator.choices(bottom, k=len(bottom)))
        for _ in range(resamples)
    )
    tail = (1 - confidence) / 2
    low = ratios[int(tail * (resamples - 1))]
    high = ratios[int((1 - tail) * (resamples - 1))]
    return ratio, low, high


def bootstrap_median(
    values: Sequence[float], *, resamples: int = 2000, confidence: float = 0.90, seed: int = 12
) -> tuple[float, float, float]:
    """The median of ``values`` and a bootstrap interval around it (fixed seed)."""
    if not values:
        nan = float("nan")
        return nan, nan, nan
    generator = random.Random(seed)
    medians = sorted(
        statistics.median(generator.choices(values, k=len(values))) for _ in range(resamples)
    )
    tail = (1 - confidence) / 2
    low = medians[int(tail * (resamples - 1))]
    high = medians[int((1 - tail) * (resamples - 1))]
    return statistics.median(values), low, high


def paired_ratios(top: Sequence[float], bottom: Sequence[float]) -> list[float]:
    """``top[i] / bottom[i]`` for each round both measured (rounds of paired runs)."""
    return [t / b for t, b in zip(top, bottom, strict=False) if b]


@dataclass(frozen=True)
class Verdict:
    """One target's outcome: met or not, and the numbers that decided it."""

    target: str
    met: bool
    measured: str
    applies: bool = True

    @property
    def word(self) -> str:
        if not self.applies:
            return "n/a"
        return "met" if self.met else "NOT met"

    def line(self) -> str:
        return f"{self.word:>7}  {self.target}: {self.measured}"


def at_most(target: str, value: float, limit: float, unit: str = "", digits: int = 3) -> Verdict:
    """The verdict of ``value <= limit``."""
    measured = f"{value:.{digits}f}{unit} (limit {limit:.{digits}f}{unit})"
    return Verdict(target, value <= limit, measured)


def growth_exponent(sizes: Sequence[float], costs: Sequence[float]) -> float:
    """The least-squares slope of ``log(cost)`` against ``log(size)``: 1 for a cost
    proportional to the size, below 1 for one with a fixed part, 2 for a quadratic.
    NaN with fewer than two usable points (a size and a cost must be positive) or
    when all sizes are equal."""
    points = [
        (math.log(s), math.log(c)) for s, c in zip(sizes, costs, strict=True) if s > 0 and c > 0
    ]
    if len(points) < 2:
        return float("nan")
    log_sizes, log_costs = zip(*points, strict=True)
    try:
        return statistics.linear_regression(log_sizes, log_costs).slope
    except statistics.StatisticsError:  # every size the same: no slope to fit
        return float("nan")


def grows_at_most_linearly(
    sizes: Sequence[float], costs: Sequence[float], tolerance: float = 0.15
) -> tuple[bool, float]:
    """Whether no step of the curve grows faster than the size does.

    Each step's exponent, ``log(c2 / c1) / log(s2 / s1)``, must stay at or below
    ``1 + tolerance`` (measurements are noisy; a quadratic step has 2). Returns the
    verdict and the steepest step's exponent; a curve with a non-positive cost
    fails (it was not measured).
    """
    pairs = sorted(zip(sizes, costs, strict=True))
    if len(pairs) < 2 or any(c <= 0 or s <= 0 for s, c in pairs):
        return False, float("nan")
    steepest = max(
        math.log(c2 / c1) / math.log(s2 / s1)
        for (s1, c1), (s2, c2) in itertools.pairwise(pairs)
        if s2 > s1
    )
    return steepest <= 1 + tolerance, steepest
