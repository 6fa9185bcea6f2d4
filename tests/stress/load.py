"""The load: many connections open at once, each loading pages that push.

Each connection has a thread of its own (the probe is synchronous), and every
connection is opened before any page is requested (the threads wait for each other
at a barrier), so the server holds all of them at the same time. Then each loads its
batches of multiplexed pages back to back, so that with ten pages a batch the server
has about a thousand requests and their pushes in flight.

Back to back matters: a connection that waited its turn among others would sit idle
for several seconds, and ``runh2server`` (Hypercorn) closes a connection idle for
5 s. That is a fault of its own (``fault-g``), not a measure of load. A connection
that fails is counted and replaced for its next batch.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from harness.processes import ServerProcess
from tests.stress.plan import Plan
from tests.stress.tally import Part
from tests.stress.traffic import (
    Worker,
    load_batches,
    open_connection,
    run_threads,
    send_batch,
)

__all__ = ["run_load"]

BARRIER_SECONDS = 60.0


def _load_thread(
    server: ServerProcess, plan: Plan, barrier: threading.Barrier, deadline: float
) -> Callable[[Worker], None]:
    def work(worker: Worker) -> None:
        tally = worker.tally
        # Threads start at different pages, so the server meets a mix at once.
        batches = load_batches(plan.load_batch, offset=worker.number)
        connection = open_connection(server, tally, worker)
        try:
            # A thread whose connection failed still waits: the others count on it.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            for _ in range(plan.load_rounds):
                if time.monotonic() > deadline:
                    worker.stopped_early = True
                    return
                batch = next(batches)
                if connection is None:
                    connection = open_connection(server, tally, worker, lost=len(batch))
                    if connection is None:
                        continue
                if not send_batch(connection, batch, tally):
                    connection = None
        finally:
            if connection is not None:
                connection.close()

    return work


def run_load(server: ServerProcess, plan: Plan, part: Part) -> None:
    """Run the load against ``server`` and count it into ``part``."""
    barrier = threading.Barrier(plan.load_connections, timeout=BARRIER_SECONDS)
    started = time.monotonic()
    deadline = started + plan.load_seconds
    work = _load_thread(server, plan, barrier, deadline)
    workers = run_threads(plan.load_connections, work, deadline, lambda workers: None)
    for worker in workers:
        part.tally.add(worker.tally)
    elapsed = time.monotonic() - started
    expected = plan.load_connections * plan.load_rounds * plan.load_batch
    opened = sum(worker.connections for worker in workers)
    problems = [f"thread {w.number}: {w.error}" for w in workers if w.error]
    problems += [f"thread {w.number} stopped at the deadline" for w in workers if w.stopped_early]
    part.check(
        "finished",
        not problems and part.tally.requests == expected,
        "; ".join(problems) or f"{part.tally.requests} of {expected} page loads sent",
    )
    part.check(
        "pushes arrived",
        part.tally.pushes > 0,
        f"{part.tally.pushes} pushes for {part.tally.ok} pages",
    )
    part.notes.append(
        f"{opened} connections opened ({plan.load_connections} at once, a thread each), "
        f"{plan.load_rounds} x {plan.load_batch} multiplexed pages each; "
        f"{part.tally.requests / elapsed:.0f} pages/s, {part.tally.hints} with a 103"
    )
