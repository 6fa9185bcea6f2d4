"""The reliability run's report: one table, the notes and failures under it, a line on
the machine, and the same as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.machine import machine_info
from harness.report import log, print_table
from tests.stress.soak import Memory
from tests.stress.tally import Part

__all__ = ["machine_line", "print_report", "write_json"]

HEADERS = [
    "part",
    "requests",
    "OK",
    "5xx",
    "lost",
    "resets",
    "GOAWAYs",
    "pushes",
    "push !2xx",
    "RSS start MB",
    "RSS end MB",
    "threads",
    "fds",
    "tasks",
    "verdict",
]


def _mb(kb: int) -> str:
    return f"{kb / 1024:.1f}" if kb else "-"


def _held(part: Part, name: str) -> str:
    """``start -> end`` of one count the server held around the part."""
    if part.held_start is None or part.held_end is None:
        return "-"
    return f"{getattr(part.held_start, name)} -> {getattr(part.held_end, name)}"


def row(part: Part) -> list[str]:
    tally = part.tally
    errors = str(tally.server_errors)
    if tally.expected_errors:
        errors += f" (+{tally.expected_errors} expected)"
    return [
        part.name,
        str(tally.requests),
        str(tally.ok),
        errors,
        str(tally.lost),
        str(tally.resets),
        str(tally.goaways),
        str(tally.pushes),
        str(tally.bad_pushes),
        _mb(part.rss_start_kb),
        _mb(part.rss_end_kb),
        _held(part, "threads"),
        _held(part, "fds"),
        _held(part, "tasks"),
        "ok" if part.passed else "FAIL",
    ]


def machine_line() -> str:
    return "machine: " + "; ".join(f"{name} {value}" for name, value in machine_info())


def print_report(parts: Sequence[Part], memory: Memory | None, seconds: float) -> None:
    print_table(HEADERS, [row(part) for part in parts])
    for part in parts:
        log(f"{part.name} ({part.title}), {part.seconds:.1f} s:")
        for note in part.notes:
            log(f"    {note}")
        for check in part.checks:
            mark = "ok" if check.passed else ("FAIL" if check.required else "no (informational)")
            log(f"    [{mark}] {check.name}: {check.detail}")
        if part.logged_errors or part.logged_warnings:
            log(
                f"    server log: {part.logged_errors} error record(s) "
                f"({part.expected_logged_errors} expected), "
                f"{part.logged_warnings} h2push WARNING(s)"
            )
        for reason in part.failures():
            log(f"    FAILED: {reason}")
        for message, count in part.tally.messages.most_common(3):
            log(f"    seen {count} x: {message}")
        for line in part.log_excerpt:
            log(f"    | {line}")
    if memory is not None:
        log(f"memory: {memory.to_json()['rule']}; {'LEAK' if memory.leaked else 'no leak'}")
    log(machine_line())
    failed = [part.name for part in parts if not part.passed]
    log(f"{'FAILED: ' + ', '.join(failed) if failed else 'all parts passed'}; {seconds:.0f} s")


def write_json(
    path: Path,
    *,
    command: str,
    date: str,
    parts: Sequence[Part],
    memory: Memory | None,
    seconds: float,
) -> None:
    data: dict[str, Any] = {
        "command": command,
        "date": date,
        "seconds": round(seconds, 1),
        "machine": dict(machine_info()),
        "passed": all(part.passed for part in parts),
        "parts": [part.to_json() for part in parts],
        "memory": memory.to_json() if memory is not None else None,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
