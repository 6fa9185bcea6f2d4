"""How much each part of the run does: the full run, and ``--quick``.

The full run's sizes took about ten minutes on two shared cores in November 2026,
when the server (one process) answered about 120 push-accepting page loads or 250
other requests a second there; in December it answered 108 a second in the soak, at
a load average of 2 to 3, so the soak's 100,000 requests took about 15 minutes and
most of the run. The time limits (``load_seconds``, ``soak_seconds``) only bound a
run that hangs: they are about twice what a part takes on a busy machine, so a slow
machine does not fail the run for being slow. The quick run keeps every part and
fault, at a few thousand requests in all, at about a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Plan"]


@dataclass(frozen=True)
class Plan:
    # Load: this many connections, all open at once, a thread each; each connection
    # loads ``load_rounds`` batches of ``load_batch`` multiplexed pages.
    load_connections: int
    load_rounds: int
    load_batch: int
    load_seconds: float
    # Soak: requests in all, over ``soak_threads`` connections at a time, each
    # connection replaced after ``soak_per_connection`` requests; every
    # ``soak_push_every``-th connection accepts push, the others refuse it as
    # browsers do.
    soak_requests: int
    soak_threads: int
    soak_per_connection: int
    soak_batch: int
    soak_push_every: int
    soak_seconds: float
    soak_sample_seconds: float
    # Faults: each runs once, within ``fault_seconds``.
    fault_seconds: float
    push_reset_pages: int
    cut_connections: int
    never_read_pages: int
    never_read_hold: float
    raise_requests: int
    dead_store_pages: int
    host_ports: int
    long_url_length: int
    # Fault h: this many connections with a stream window of 0, each asking for this
    # many static files at once, then dropped.
    stall_connections: int
    stall_requests: int
    # Longer than the 5 s after which Hypercorn closes an idle connection, plus the
    # 1 s runh2server gives the TLS shutdown that follows.
    idle_seconds: float = 8.0


FULL = Plan(
    load_connections=100,
    load_rounds=4,
    load_batch=10,
    load_seconds=300.0,
    soak_requests=100_000,
    soak_threads=6,
    soak_per_connection=500,
    soak_batch=20,
    soak_push_every=4,
    soak_seconds=1800.0,
    soak_sample_seconds=10.0,
    fault_seconds=90.0,
    push_reset_pages=40,
    cut_connections=12,
    never_read_pages=90,
    never_read_hold=5.0,
    raise_requests=20,
    dead_store_pages=120,
    host_ports=600,
    long_url_length=17_000,
    stall_connections=10,
    stall_requests=50,
)

QUICK = Plan(
    load_connections=100,
    load_rounds=1,
    load_batch=5,
    load_seconds=45.0,
    soak_requests=2_500,
    soak_threads=4,
    soak_per_connection=250,
    soak_batch=10,
    soak_push_every=4,
    soak_seconds=60.0,
    soak_sample_seconds=1.0,
    fault_seconds=30.0,
    push_reset_pages=10,
    cut_connections=6,
    never_read_pages=60,
    never_read_hold=2.0,
    raise_requests=5,
    dead_store_pages=24,
    host_ports=600,
    long_url_length=17_000,
    stall_connections=5,
    stall_requests=30,
)
