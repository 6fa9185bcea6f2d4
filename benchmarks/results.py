"""Where a benchmark's machine-readable result and plot go, and writing the JSON.

A full run writes ``benchmarks/results/<name>.json`` and ``docs/_static/bench-<name>.svg``,
the files the documentation shows. A ``--quick`` run's numbers mean nothing, so it
writes into a temporary folder instead (printed at the end), unless ``--out`` names
one.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.constants import REPO
from harness.machine import machine_info
from harness.report import load_average, log

__all__ = ["Outputs", "add_output_arguments", "outputs", "write_json"]

RESULTS = REPO / "benchmarks" / "results"
PLOTS = REPO / "docs" / "_static"


@dataclass(frozen=True)
class Outputs:
    json_path: Path
    svg_path: Path


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for the JSON result and the SVG plot (default: benchmarks/results/ "
        "and docs/_static/; a temporary folder with --quick)",
    )


def outputs(name: str, options: argparse.Namespace) -> Outputs:
    folder: Path | None = options.out
    if folder is None and getattr(options, "quick", False):
        folder = Path(tempfile.mkdtemp(prefix=f"h2push-bench-{name}-"))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        return Outputs(folder / f"{name}.json", folder / f"bench-{name}.svg")
    RESULTS.mkdir(parents=True, exist_ok=True)
    return Outputs(RESULTS / f"{name}.json", PLOTS / f"bench-{name}.svg")


def _clean(value: Any) -> Any:
    """JSON has no NaN: write null for a number that was not measured."""
    if isinstance(value, float):
        # Six significant digits: plenty for timings, short enough to read.
        return float(f"{value:.6g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _revision() -> str:
    """The commit measured, and whether h2push's files differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "?"
    return commit + (" (h2push/ modified)" if git("status", "--porcelain", "h2push") else "")


def write_json(path: Path, name: str, options: argparse.Namespace, body: dict[str, Any]) -> None:
    """The result with what it ran on, its options and when."""
    document = {
        "benchmark": name,
        # UTC: Django, once set up in this process, changes its local time zone.
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "revision": _revision(),
        "machine": dict(machine_info()),
        "load_average_at_end": load_average(),
        "options": {k: str(v) for k, v in vars(options).items() if k != "run"},
        **body,
    }
    path.write_text(json.dumps(_clean(document), indent=1, sort_keys=False) + "\n")
    log(f"JSON: {path}")
