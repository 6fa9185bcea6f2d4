"""The benchmarks' statistics and verdicts: pure functions, checked on made-up numbers."""

from __future__ import annotations

import math

import pytest

from benchmarks.growth import memory_verdict
from benchmarks.paint_report import cell_verdicts
from benchmarks.stats import (
    at_most,
    bootstrap_median,
    bootstrap_ratio,
    grows_at_most_linearly,
    growth_exponent,
    paired_ratios,
    spread,
)


def test_spread_gives_median_and_quartiles() -> None:
    cell = spread([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (cell.median, cell.q1, cell.q3, cell.n) == (3.0, 2.0, 4.0, 5)
    assert cell.text() == "3 [2-4]"


def test_spread_of_one_value_and_of_none() -> None:
    assert spread([7.0]).text(1) == "7.0 [7.0-7.0]"
    empty = spread([float("nan")])
    assert empty.n == 0 and math.isnan(empty.median) and empty.text() == "-"


def test_bootstrap_ratio_holds_the_ratio_of_medians_and_is_repeatable() -> None:
    top, bottom = [110.0, 100.0, 105.0, 120.0], [200.0, 210.0, 190.0, 205.0]
    ratio, low, high = bootstrap_ratio(top, bottom)
    assert ratio == pytest.approx(107.5 / 202.5)
    assert low <= ratio <= high
    assert bootstrap_ratio(top, bottom) == (ratio, low, high)


def test_bootstrap_median_interval_narrows_for_a_constant_sample() -> None:
    assert bootstrap_median([2.0] * 9) == (2.0, 2.0, 2.0)
    median, low, high = bootstrap_median([1.0, 2.0, 3.0, 4.0, 100.0])
    assert median == 3.0 and low <= 3.0 <= high
    assert all(math.isnan(x) for x in bootstrap_median([]))


def test_paired_ratios_skip_a_zero_baseline() -> None:
    assert paired_ratios([2.0, 3.0, 4.0], [1.0, 0.0, 2.0]) == [2.0, 2.0]


def test_at_most() -> None:
    assert at_most("cost", 1.02, 1.03).met
    missed = at_most("cost", 1.04, 1.03)
    assert not missed.met and missed.word == "NOT met"
    assert "1.040 (limit 1.030)" in missed.line()


def test_growth_exponent_of_linear_and_quadratic_curves() -> None:
    sizes = [1.0, 4.0, 16.0, 64.0]
    assert growth_exponent(sizes, [3 * s for s in sizes]) == pytest.approx(1.0)
    assert growth_exponent(sizes, [s * s for s in sizes]) == pytest.approx(2.0)
    assert math.isnan(growth_exponent([1.0], [1.0]))


def test_grows_at_most_linearly_judges_the_steepest_step() -> None:
    sizes = [1.0, 4.0, 16.0, 64.0]
    ok, steepest = grows_at_most_linearly(sizes, [100 + s for s in sizes])
    assert ok and steepest < 1.0
    ok, steepest = grows_at_most_linearly(sizes, [1.0, 4.0, 16.0, 64.0 * 16])
    assert not ok and steepest == pytest.approx(3.0)
    assert grows_at_most_linearly(sizes, [1.0, 0.0, 2.0, 3.0])[0] is False


def test_cell_verdicts_apply_the_floor_only_where_the_view_takes_an_rtt() -> None:
    fcp = {"a": [300.0, 310.0, 305.0], "b": [400.0, 390.0, 410.0], "e": [295.0, 300.0, 298.0]}
    short = cell_verdicts(fcp, rtt=100, view=50)
    assert [(v.applies, v.met) for v in short] == [(False, True), (True, True)]
    long = cell_verdicts({**fcp, "a": [330.0, 335.0, 340.0]}, rtt=50, view=100)
    assert [(v.applies, v.met) for v in long] == [(True, False), (True, True)]


def test_cell_verdicts_judge_h2push_against_plain_django() -> None:
    slower = cell_verdicts({"a": [420.0, 430.0], "b": [400.0, 405.0]}, rtt=20, view=0)
    assert len(slower) == 1 and not slower[0].met


def _point(routes: int, rss_kb: int, entries: int) -> dict[str, int]:
    return {
        "routes": routes,
        "rss_kb": rss_kb,
        "learned_store": entries,
        "view_times": entries,
        "discovery_routes": entries,
    }


def test_memory_verdict_wants_the_growth_to_slow_down_past_the_bound() -> None:
    flat = [_point(0, 1000, 0), _point(500, 2000, 500), _point(1000, 2100, 500)]
    assert memory_verdict(flat, 500).met
    steady = [_point(0, 1000, 0), _point(500, 2000, 500), _point(1000, 3000, 500)]
    assert not memory_verdict(steady, 500).met
    overfull = [_point(0, 1000, 0), _point(500, 2000, 500), _point(1000, 2000, 501)]
    assert not memory_verdict(overfull, 500).met
