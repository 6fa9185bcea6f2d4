"""Ordinary traffic through :mod:`h2push.probe`: the load, the soak, the health check.

The probe is synchronous, so concurrency comes from threads, each owning its
connections; every thread counts into a :class:`Tally` of its own. Each wait is
bounded by the probe's timeout, and each loop by a count and a deadline: a thread
past the deadline stops sending and says so.

Every connection verifies the server's certificate against the one it was started
with (the probe would skip that on loopback if not given a ``cafile``); a failed
verification is raised as :class:`~harness.certificates.UntrustedCertificate`, not
counted as a lost page.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from h2push.probe import Exchange, H2Connection, ProbeError, Request
from harness.certificates import cafile, verified
from harness.processes import ServerProcess
from tests.stress.tally import Check, Tally

__all__ = [
    "LOAD_PAGES",
    "SOAK_PATHS",
    "Worker",
    "health_check",
    "load_batches",
    "open_connection",
    "run_threads",
    "send_batch",
    "soak_batches",
    "verified_connection",
]

#: Seconds the probe waits for any single read before it gives up on a connection.
PROBE_TIMEOUT = 20.0

# Pages of the test project that push or hint, each a different way of naming assets
# (a template tag, decorators, view code, the learned route of a slow view).
LOAD_PAGES = (
    "/",
    "/decorated/",
    "/decorated-async/",
    "/decorated-class/",
    "/function/",
    "/response-attribute/",
    "/slow/?ms=5",
    "/slow/declared/?ms=5",
)
# The soak adds what a browser fetches beside pages; ``{n}`` makes URLs unique, as
# real query strings are, so no per-URL cache can hide a leak by hitting.
SOAK_PATHS = (
    "/?n={n}",
    "/decorated/",
    "/slow/?ms=0&n={n}",
    "/slow/declared/?ms=0",
    "/function/?n={n}",
    "/api/menu.json",
    "/static/css/base.css",
    "/static/js/app.js",
    "/decorated-class/",
    "/response-attribute/",
)
HEALTH_PAGES = ("/decorated/", "/")
HEALTH_PUSHES = {"/static/css/base.css", "/static/js/app.js"}


def verified_connection(server: ServerProcess, *, push: bool = True) -> H2Connection:
    """A probe connection (not yet connected) to ``server`` that verifies its
    certificate against the one it was started with."""
    return H2Connection(
        server.host, server.port, enable_push=push, timeout=PROBE_TIMEOUT, cafile=cafile(server)
    )


def open_connection(
    server: ServerProcess,
    tally: Tally,
    worker: Worker | None = None,
    *,
    push: bool = True,
    lost: int = 0,
) -> H2Connection | None:
    """A connected :class:`H2Connection`, or None with the failure counted (``lost``:
    the requests that will not be sent for want of it)."""
    connection = verified_connection(server, push=push)
    try:
        with verified(server):
            connection.connect()
    except ProbeError as error:
        tally.record_failure(error, lost)
        connection.close()
        return None
    if worker is not None:
        worker.connections += 1
    return connection


def send_batch(
    connection: H2Connection,
    paths: Sequence[str | Request],
    tally: Tally,
    expect_status: int = 200,
) -> bool:
    """Multiplex ``paths`` on ``connection`` and count what came back; False if the
    connection failed (the batch is then counted as lost and the connection closed)."""
    try:
        exchanges: list[Exchange] = connection.request_many(paths)
    except ProbeError as error:
        tally.record_failure(error, len(paths))
        connection.close()
        return False
    for exchange in exchanges:
        tally.record(exchange, expect_status=expect_status)
    return True


@dataclass
class Worker:
    """One client thread's work: ``plan(worker)`` runs in the thread and counts into
    ``tally``; ``stopped_early`` says the deadline cut it short."""

    number: int
    tally: Tally = field(default_factory=Tally)
    connections: int = 0
    stopped_early: bool = False
    error: str = ""


def run_threads(
    count: int,
    target: Callable[[Worker], None],
    deadline: float,
    on_wait: Callable[[Sequence[Worker]], None],
) -> list[Worker]:
    """Run ``target`` in ``count`` threads; call ``on_wait`` with the workers (whose
    counts grow as they go) about once a second until they end. A thread that
    raises is recorded, not lost."""
    workers = [Worker(number) for number in range(count)]

    def guarded(worker: Worker) -> None:
        try:
            target(worker)
        except Exception as error:  # reported in the table, not hidden
            worker.error = f"{type(error).__name__}: {error}"

    threads = [threading.Thread(target=guarded, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    # The threads watch the deadline themselves; this bound only covers a stuck read.
    hard_stop = deadline + 2 * PROBE_TIMEOUT
    while any(t.is_alive() for t in threads) and time.monotonic() < hard_stop:
        on_wait(workers)
        # Joined one by one, a second in all: the threads end at about the same time.
        for thread in threads:
            thread.join(timeout=1.0 / len(threads))
    for worker, thread in zip(workers, threads, strict=True):
        if thread.is_alive():
            worker.error = "still running past the deadline"
    return workers


def load_batches(batch_size: int, offset: int = 0) -> Iterator[list[str]]:
    """Endless batches of push-accepting page loads, cycling through the pages from
    the ``offset``-th on."""
    pages = itertools.islice(itertools.cycle(LOAD_PAGES), offset, None)
    while True:
        yield [next(pages) for _ in range(batch_size)]


def soak_batches(batch_size: int, start: int) -> Iterator[list[str]]:
    """Endless batches of the soak's mix, URLs numbered from ``start``."""
    paths = itertools.cycle(SOAK_PATHS)
    counter = itertools.count(start)
    while True:
        yield [next(paths).format(n=next(counter)) for _ in range(batch_size)]


def health_check(server: ServerProcess, tally: Tally) -> Check:
    """A new push-accepting connection loads normal pages: each answers 200 and
    ``/decorated/`` comes with its two assets pushed and answered 2xx."""
    with contextlib.closing(verified_connection(server)) as connection:
        own = Tally()
        try:
            with verified(server):
                exchanges = connection.request_many(HEALTH_PAGES)
        except ProbeError as error:
            tally.record_failure(error, len(HEALTH_PAGES))
            return Check("health", False, f"{type(error).__name__}: {error}")
    for exchange in exchanges:
        tally.record(exchange)
        own.record(exchange)
    page = exchanges[0]
    pushed = {p.path for p in page.promises if p.status is not None and p.status < 300}
    statuses = ", ".join(f"{e.path} {e.status}" for e in exchanges)
    passed = own.clean and own.ok == len(HEALTH_PAGES) and pushed >= HEALTH_PUSHES
    return Check("health", passed, f"new connection: {statuses}; pushed {sorted(pushed)}")
