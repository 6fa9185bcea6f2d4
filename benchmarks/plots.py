"""The benchmarks' plots: SVG files drawn with matplotlib for the documentation.

Each function takes plain numbers (what the JSON result holds) and writes one SVG.
The files are made reproducible where matplotlib allows it (no date, a fixed hash
salt), so a rerun changes only what the numbers changed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report import log

__all__ = ["Bar", "Curve", "bars_with_floor", "cost_bars", "growth_panels"]

COLOURS = ("#1b6ca8", "#9a9a9a", "#c96d1a", "#3d8c40", "#7b4fa0", "#b03a48")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, median, and quartiles for the whisker."""

    label: str
    median: float
    q1: float
    q3: float


@dataclass(frozen=True)
class Curve:
    """One line of a growth panel, and the bound or reference it is drawn against."""

    title: str
    x_label: str
    y_label: str
    xs: Sequence[float]
    ys: Sequence[float]
    log_x: bool = True
    bounds: tuple[tuple[float, str], ...] = ()  # vertical lines: where limits start
    linear_reference: bool = True  # a dotted line through the first point, slope 1


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "h2push-benchmarks"
    matplotlib.rcParams["font.size"] = 9
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    _pyplot().close(figure)
    log(f"plot: {path}")


def _whiskers(bars: Sequence[Bar]) -> list[list[float]]:
    below = [max(0.0, b.median - b.q1) for b in bars]
    above = [max(0.0, b.q3 - b.median) for b in bars]
    return [below, above]


def bars_with_floor(
    panels: Mapping[str, Mapping[str, Sequence[Bar]]],
    floors: Mapping[str, Mapping[str, float]],
    path: Path,
    *,
    y_label: str,
    title: str,
    limits: Mapping[str, Mapping[str, float]] | None = None,
) -> None:
    """One panel per key of ``panels`` (an RTT), one group of bars per inner key (a
    view time), one bar per variant; the floor of each group drawn across it
    (dashed), and its limit, if ``limits`` gives one (dotted)."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.6), sharey=True)
    axes = list(axes) if len(panels) > 1 else [axes]
    for axis, (panel, groups) in zip(axes, panels.items(), strict=True):
        width = 0.8 / max(len(bars) for bars in groups.values())
        for group_index, (group, bars) in enumerate(groups.items()):
            for index, bar in enumerate(bars):
                x = group_index + (index - (len(bars) - 1) / 2) * width
                axis.bar(
                    x,
                    bar.median,
                    width * 0.92,
                    color=COLOURS[index % len(COLOURS)],
                    yerr=_whiskers([bar]),
                    ecolor="#333333",
                    capsize=1.5,
                    label=bar.label if group_index == 0 else None,
                )
            left, right = group_index - 0.45, group_index + 0.45
            floor = floors.get(panel, {}).get(group)
            if floor is not None and math.isfinite(floor):
                axis.hlines(floor, left, right, colors="black", linestyles="--", linewidth=1)
            limit = (limits or {}).get(panel, {}).get(group)
            if limit is not None and math.isfinite(limit):
                axis.hlines(limit, left, right, colors="#b03a48", linestyles=":", linewidth=1.5)
        axis.set_xticks(range(len(groups)), list(groups))
        axis.set_title(panel)
        axis.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel(y_label)
    axes[0].legend(loc="upper left", fontsize=7, frameon=False)
    figure.suptitle(title)
    _save(figure, path)


def cost_bars(
    panels: Mapping[str, Sequence[Bar]],
    units: Mapping[str, str],
    path: Path,
    limits: Mapping[str, tuple[float, str]] | None = None,
) -> None:
    """One panel per measurement (server CPU, in-process), one bar per variant; a
    panel's limit, if given, is a dashed line with its label."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4))
    axes = list(axes) if len(panels) > 1 else [axes]
    for axis, (title, bars) in zip(axes, panels.items(), strict=True):
        positions = range(len(bars))
        axis.bar(
            positions,
            [b.median for b in bars],
            0.6,
            color=[COLOURS[i % len(COLOURS)] for i in positions],
            yerr=_whiskers(bars),
            ecolor="#333333",
            capsize=3,
        )
        limit = (limits or {}).get(title)
        if limit is not None:
            axis.axhline(limit[0], color="black", linestyle="--", linewidth=1, label=limit[1])
            axis.legend(loc="lower right", fontsize=7, frameon=True)
        axis.set_xticks(list(positions), [b.label for b in bars], fontsize=7)
        axis.set_ylabel(units[title])
        axis.set_title(title)
        axis.grid(axis="y", alpha=0.3)
    _save(figure, path)


def growth_panels(curves: Sequence[Curve], path: Path) -> None:
    """One panel per curve, each with a slope-1 reference where asked for."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(curves), figsize=(3.8 * len(curves), 3.4))
    axes = list(axes) if len(curves) > 1 else [axes]
    for axis, curve in zip(axes, curves, strict=True):
        axis.plot(curve.xs, curve.ys, marker="o", color=COLOURS[0], label="measured")
        if curve.linear_reference and curve.xs and curve.ys[0] > 0:
            scale = curve.ys[0] / curve.xs[0]
            reference = [x * scale for x in curve.xs]
            axis.plot(curve.xs, reference, linestyle=":", color="#777777", label="linear")
        for index, (bound, label) in enumerate(curve.bounds):
            axis.axvline(bound, color=COLOURS[2 + index], linestyle="--", label=label)
        if curve.log_x:
            axis.set_xscale("log")
            if curve.linear_reference:
                axis.set_yscale("log")
        axis.set_title(curve.title)
        axis.set_xlabel(curve.x_label)
        axis.set_ylabel(curve.y_label)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, frameon=False)
    _save(figure, path)
