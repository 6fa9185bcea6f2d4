"""The soak: many requests over a few connections at a time, with the server's memory
sampled from start to end.

Connections are replaced after a fixed number of requests, so per-connection state
(push budgets, TLS sessions, Hypercorn's protocol objects) is made and dropped
hundreds of times; one in ``soak_push_every`` accepts push, the rest refuse it as
browsers do. The mix (:data:`~tests.stress.traffic.SOAK_PATHS`) has pages
of every kind, learned routes, JSON and static files, with unique query strings.

The leak rule (:class:`Memory`): after a warm-up of the first tenth of the requests
(imports, caches and allocator pools fill up then, and the load before the soak has
already taken the server to its high-water mark), the server's resident memory may
end at most ``LEAK_ALLOWANCE_KB`` (4 MB) above its level at that point. Both levels
are medians of ``LEVEL_SAMPLES`` samples (the first ones after the warm-up, the last
ones of the soak), since single samples wander (by up to 2 MB from one to the next
in the full run). Measured on a server that leaks nothing, the end was between
0.13 MB below and 0.33 MB above that level in four quick runs, and 0.3 to 2.7 MB
below it in four full runs (memory drifts down as the load's high-water pages are
reused; single samples reached 1.8 MB above it). A leak of 50 bytes a request
crosses 4 MB over the full run's 90,000 requests after warm-up, and so do a dozen
or two connections that Hypercorn failed to clean up (a few hundred kB each); the
quick run is too short for memory to see a leak that small, which is why every part
also counts the threads, descriptors and tasks the server holds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.processes import ServerProcess
from tests.stress.plan import Plan
from tests.stress.servers import rss_kb
from tests.stress.tally import Part
from tests.stress.traffic import (
    Worker,
    open_connection,
    run_threads,
    send_batch,
    soak_batches,
)

__all__ = ["LEAK_ALLOWANCE_KB", "LEVEL_SAMPLES", "WARM_UP", "Memory", "run_soak"]

WARM_UP = 0.1
LEAK_ALLOWANCE_KB = 4 * 1024
LEVEL_SAMPLES = 5


@dataclass
class Memory:
    """The server's resident memory through the soak: ``(seconds, requests, kB)``."""

    samples: list[tuple[float, int, int]] = field(default_factory=list)
    warm_requests: int = 0

    def sample(self, seconds: float, requests: int, kb: int) -> None:
        self.samples.append((round(seconds, 1), requests, kb))

    @property
    def start_kb(self) -> int:
        return self.samples[0][2] if self.samples else 0

    @property
    def end_kb(self) -> int:
        """The median of the last samples."""
        return _median([kb for *_, kb in self.samples[-LEVEL_SAMPLES:]])

    @property
    def baseline_kb(self) -> int:
        """The median of the first samples taken once the warm-up's requests were done."""
        warm = [kb for _, requests, kb in self.samples if requests >= self.warm_requests]
        return _median(warm[:LEVEL_SAMPLES]) if warm else self.start_kb

    @property
    def limit_kb(self) -> int:
        return self.baseline_kb + LEAK_ALLOWANCE_KB

    @property
    def leaked(self) -> bool:
        return self.end_kb > self.limit_kb

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": (
                f"end <= baseline + {LEAK_ALLOWANCE_KB // 1024} MB; baseline = median of the "
                f"first {LEVEL_SAMPLES} samples after {WARM_UP:.0%} of the requests, "
                f"end = median of the last {LEVEL_SAMPLES}"
            ),
            "start_kb": self.start_kb,
            "baseline_kb": self.baseline_kb,
            "peak_kb": max((kb for *_, kb in self.samples), default=0),
            "end_kb": self.end_kb,
            "limit_kb": self.limit_kb,
            "leaked": self.leaked,
            "samples": self.samples,
        }


def _median(values: Sequence[int]) -> int:
    return int(statistics.median(values)) if values else 0


def _soak_thread(server: ServerProcess, plan: Plan, deadline: float) -> Callable[[Worker], None]:
    def work(worker: Worker) -> None:
        share, extra = divmod(plan.soak_requests, plan.soak_threads)
        quota = share + (worker.number < extra)
        # Each thread numbers its URLs in a range of its own, so all are unique.
        batches = soak_batches(plan.soak_batch, start=worker.number * plan.soak_requests)
        tally, sent, opened = worker.tally, 0, 0
        while sent < quota:
            push = (worker.number + opened) % plan.soak_push_every == 0
            opened += 1
            size = min(plan.soak_per_connection, quota - sent)
            connection = open_connection(server, tally, worker, push=push, lost=size)
            if connection is None:
                sent += size
                continue
            try:
                done = 0
                while done < size:
                    if time.monotonic() > deadline:
                        worker.stopped_early = True
                        return
                    batch = next(batches)[: size - done]
                    done += len(batch)
                    if not send_batch(connection, batch, tally):
                        break  # Counted as lost; the rest goes on a new connection.
                sent += done
            finally:
                connection.close()

    return work


def run_soak(server: ServerProcess, plan: Plan, part: Part) -> Memory:
    """Run the soak against ``server``, sampling its memory."""
    pid = server.pid
    memory = Memory(warm_requests=int(plan.soak_requests * WARM_UP))
    started = time.monotonic()
    deadline = started + plan.soak_seconds
    next_sample = started + plan.soak_sample_seconds

    def sample(workers: Sequence[Worker]) -> None:
        nonlocal next_sample
        now = time.monotonic()
        if now >= next_sample:
            # Read while the threads write: a count a moment old is good enough here.
            done = sum(worker.tally.requests for worker in workers)
            memory.sample(now - started, done, rss_kb(pid))
            next_sample = now + plan.soak_sample_seconds

    memory.sample(0.0, 0, rss_kb(pid))
    work = _soak_thread(server, plan, deadline)
    workers = run_threads(plan.soak_threads, work, deadline, sample)
    for worker in workers:
        part.tally.add(worker.tally)
    elapsed = time.monotonic() - started
    memory.sample(elapsed, part.tally.requests, rss_kb(pid))
    problems = [f"thread {w.number}: {w.error}" for w in workers if w.error]
    problems += [f"thread {w.number} stopped at the deadline" for w in workers if w.stopped_early]
    part.check(
        "finished",
        not problems and part.tally.requests == plan.soak_requests,
        "; ".join(problems) or f"{part.tally.requests} of {plan.soak_requests} requests sent",
    )
    part.check(
        "no leak",
        not memory.leaked,
        f"RSS {memory.start_kb / 1024:.1f} MB at start, {memory.baseline_kb / 1024:.1f} MB "
        f"after warm-up, {memory.end_kb / 1024:.1f} MB at the end "
        f"(limit {memory.limit_kb / 1024:.1f} MB)",
    )
    connections = sum(worker.connections for worker in workers)
    part.notes.append(
        f"{connections} connections, {plan.soak_threads} at a time, 1 in "
        f"{plan.soak_push_every} accepting push; {part.tally.requests / elapsed:.0f} requests/s"
    )
    return memory
