"""Printing a long run's report (a benchmark's or the stress suite's): lines flushed at
once, medians, plain tables."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence

__all__ = ["load_average", "log", "median", "print_table"]


def log(message: str = "") -> None:
    # Flushed at once: a run takes minutes and its progress should show as it goes.
    print(message, flush=True)


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values (a table cell then reads ``nan``, not a crash)."""
    return statistics.median(values) if values else float("nan")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Headers left-aligned, cells right-aligned (they are mostly numbers), ruled lines."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    rule = "  ".join("-" * w for w in widths)
    log(rule)
    log("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    log(rule)
    for row in rows:
        log("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    log(rule)
