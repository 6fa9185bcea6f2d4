"""The stress suite: does h2push keep every page up under load, over time and through
faults? A pass/fail run, not a measurement, so it lives with the tests: its quick run
is a test (``test_quick_run.py``, marker ``stress``), its full run a command.

``python -m tests.stress [--quick] [--json FILE]`` starts the test project
under ``manage.py runh2server`` (HTTP/2, TLS, a throwaway development certificate)
with :mod:`tests.stress.settings` and runs, each part bounded in time:

``load`` (:mod:`~tests.stress.load`)
    100 connections open at once, each loading multiplexed pages that push.
``soak`` (:mod:`~tests.stress.soak`)
    100,000 requests (``--quick``: 2,500) over a few connections at a time, with the
    server's memory sampled; the leak rule is in that module.
``fault-a`` to ``fault-d`` (:mod:`~tests.stress.faults`)
    pushes cancelled as promised, connections cut mid-response, a client that never
    reads, a view that raises after its 103.
``fault-e``, ``fault-f`` (:mod:`~tests.stress.inputs`)
    a dead Redis as the learned store (on a second server), and hostile inputs: a
    17,000-character preload URL, a path with dot segments, 600 Host ports.
``fault-g``, ``fault-h`` (:mod:`~tests.stress.faults`)
    a connection left idle until the server closes it: it must say GOAWAY first;
    connections whose flow-control window stays 0 with many files in flight, then
    dropped with a TCP RST.

After each fault a new connection must load normal pages with their pushes, and
once every client of a part is gone the server must hold no more threads, open
descriptors and asyncio tasks than before it, within a small margin
(:mod:`~tests.stress.held`). The run prints a table and exits with status
1 if any part lost a page, got an unexpected 5xx, a reset or a GOAWAY, logged an
unexpected error, failed a check, or leaked.
"""

from __future__ import annotations

import argparse
import datetime
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from harness.processes import ServerProcess
from harness.report import log
from tests.stress.faults import (
    Fault,
    cut_connections,
    idle_connection,
    never_read,
    push_resets,
    raise_after_hint,
    stalled_and_dropped,
)
from tests.stress.held import Held, back_within, settled
from tests.stress.inputs import bad_inputs, dead_store
from tests.stress.load import run_load
from tests.stress.plan import FULL, QUICK, Plan
from tests.stress.report import print_report, write_json
from tests.stress.servers import log_counts, rss_kb, run_server
from tests.stress.soak import Memory, run_soak
from tests.stress.tally import Part
from tests.stress.traffic import health_check

__all__ = ["add_arguments", "run"]

FAULTS: list[tuple[str, str, Fault]] = [
    ("fault-a", "pushes cancelled as promised", push_resets),
    ("fault-b", "connections cut mid-response", cut_connections),
    ("fault-c", "a client that never reads", never_read),
    ("fault-d", "a view that raises after its 103", raise_after_hint),
    ("fault-f", "bad inputs: long URL, dot segments, 600 Host ports", bad_inputs),
    ("fault-g", "a connection left idle, then closed by the server", idle_connection),
    ("fault-h", "connections stalled by flow control, then dropped", stalled_and_dropped),
]
LOG_EXCERPT_LINES = 12


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="the short run: 2,500 soak requests, under a minute"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")


def observe(
    server: ServerProcess, part: Part, body: Callable[[], None], start: Held | None = None
) -> Part:
    """Run ``body`` as ``part``: time it, read the server's memory and the log lines
    it caused, and turn an exception into a failed check rather than a lost run.

    ``start`` is what the server held before (the previous part's last reading, taken
    at rest once its clients were gone); without it, the server is read now."""
    log(f"  {part.name}: {part.title} ...")
    before = part.held_start = start if start is not None else settled(server)
    log_start = len(server.errors())
    part.rss_start_kb = rss_kb(server.pid)
    started = time.monotonic()
    try:
        body()
    except Exception as error:  # reported as the part's failure
        part.check("ran to the end", False, f"{type(error).__name__}: {error}")
        part.notes.append(traceback.format_exc().strip().splitlines()[-1])
    part.seconds = time.monotonic() - started
    alive = server.alive()
    part.check("server alive", alive, "running" if alive else f"exited: {server.proc.returncode}")
    if alive:
        part.check_held(before, back_within(server, before))
    part.rss_end_kb = rss_kb(server.pid)
    text = server.errors()[log_start:]
    part.logged_errors, part.logged_warnings = log_counts(text)
    if not part.passed:
        part.log_excerpt = text.splitlines()[-LOG_EXCERPT_LINES:]
    log(f"  {part.name}: {'ok' if part.passed else 'FAIL'} in {part.seconds:.1f} s")
    return part


def run_main_server(workdir: Path, plan: Plan) -> tuple[list[Part], Memory | None]:
    """Load, soak and every fault but the dead store, all on one server."""
    parts: list[Part] = []
    memory: Memory | None = None
    with run_server(workdir, "main") as server:
        log(f"  runh2server: pid {server.pid}, {server.base_url}")
        load = Part("load", f"{plan.load_connections} connections, pages that push")
        parts.append(observe(server, load, lambda: run_load(server, plan, load)))
        soak = Part("soak", f"{plan.soak_requests:,} requests, memory sampled")

        def soak_body() -> None:
            nonlocal memory
            memory = run_soak(server, plan, soak)

        parts.append(observe(server, soak, soak_body, load.held_end))
        for name, title, fault in FAULTS:
            part = Part(name, title)

            def fault_body(fault: Fault = fault, part: Part = part) -> None:
                fault(server, plan, part)
                part.checks.append(health_check(server, part.tally))

            parts.append(observe(server, part, fault_body, parts[-1].held_end))
    return parts, memory


def run_dead_store(workdir: Path, plan: Plan) -> Part:
    part = Part("fault-e", "dead learned store (Redis stopped)")
    log(f"  {part.name}: {part.title} ...")
    started = time.monotonic()
    try:
        dead_store(workdir, plan, part)
    except Exception as error:  # reported as the part's failure
        part.check("ran to the end", False, f"{type(error).__name__}: {error}")
    part.seconds = time.monotonic() - started
    log(f"  {part.name}: {'ok' if part.passed else 'FAIL'} in {part.seconds:.1f} s")
    return part


def run(options: argparse.Namespace) -> int:
    plan = QUICK if options.quick else FULL
    command = "python -m tests.stress" + (" --quick" if options.quick else "")
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    log(f"h2push reliability run ({'quick' if options.quick else 'full'}), {date}\n")
    with tempfile.TemporaryDirectory(prefix="h2push-reliability-") as tmp:
        workdir = Path(tmp)
        parts, memory = run_main_server(workdir, plan)
        # A server of its own, started once the first is stopped: the two would
        # otherwise share the two cores.
        dead = run_dead_store(workdir, plan)
    # The table lists the faults in their letters' order, whatever order they ran in.
    parts.insert([part.name for part in parts].index("fault-f"), dead)
    seconds = time.monotonic() - started
    log("")
    print_report(parts, memory, seconds)
    if options.json is not None:
        write_json(
            options.json, command=command, date=date, parts=parts, memory=memory, seconds=seconds
        )
    return 0 if all(part.passed for part in parts) else 1
