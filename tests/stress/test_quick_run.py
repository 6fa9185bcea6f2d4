"""The stress suite's quick run passes.

``python -m tests.stress --quick`` starts its own ``runh2server`` (and a
second one with a Redis it then stops), runs the load, a soak of 2,500 requests and
each fault once, and exits 1 on any lost page, unexpected 5xx, reset, GOAWAY,
logged error, failed check or leak. This test runs it as a subprocess, as a user
would, and reads its JSON report, so a failure names the part and what went wrong.

A leak is judged twice: by the soak's memory rule, and after every part by what the
server holds once that part's clients are gone (threads, open descriptors, asyncio
tasks), which must be back within a few of their level before the part.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.constants import REPO

# It starts real servers (e2e) and is the stress suite's share of the test command.
pytestmark = [pytest.mark.e2e, pytest.mark.stress]

# The quick run takes about 30 s on two idle cores; this bounds a hung one. On
# SIGINT the command stops its servers before it exits.
TIMEOUT = 180.0
COUNTS_THAT_MUST_BE_ZERO = (
    "server_errors",
    "other_status",
    "resets",
    "goaways",
    "broken",
    "lost",
    "bad_pushes",
)
PARTS = [
    "load",
    "soak",
    "fault-a",
    "fault-b",
    "fault-c",
    "fault-d",
    "fault-e",
    "fault-f",
    "fault-g",
    "fault-h",
]
GIVEN_BACK = "threads, files and tasks given back"


def run_quick(report: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.stress", "--quick", "--json", str(report)]
    with subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)
            try:
                output, _ = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                output, _ = process.communicate()
            pytest.fail(f"the quick run took over {TIMEOUT:g} s:\n{output[-4000:]}")
    return subprocess.CompletedProcess(command, process.returncode, output, "")


def test_quick_reliability_run_loses_nothing(tmp_path: Path) -> None:
    report_path = tmp_path / "reliability.json"
    result = run_quick(report_path)
    assert result.returncode == 0, result.stdout[-6000:]
    report: dict[str, Any] = json.loads(report_path.read_text())
    assert report["passed"] is True
    parts = {part["name"]: part for part in report["parts"]}
    assert list(parts) == PARTS
    for name, part in parts.items():
        assert part["passed"], (name, part["failures"])
        assert part["requests"] > 0, name
        # Every request was answered as due: 200, or the 500 the failing view owes.
        assert part["ok"] + part["expected_errors"] == part["requests"], (name, part)
        for count in COUNTS_THAT_MUST_BE_ZERO:
            assert part[count] == 0, (name, count, part["messages"])
        (given_back,) = [check for check in part["checks"] if check["name"] == GIVEN_BACK]
        assert given_back["passed"], (name, given_back["detail"])
        # The task count was read (a reading that failed is -1).
        assert part["held_end"]["tasks"] > 0, (name, part["held_end"])
    assert parts["load"]["pushes"] > 0
    assert parts["fault-d"]["expected_errors"] > 0
    assert report["memory"]["leaked"] is False
    assert report["memory"]["limit_kb"] - report["memory"]["baseline_kb"] <= 4 * 1024
