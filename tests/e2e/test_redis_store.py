"""End to end: Redis as the learned store of two Hypercorn workers, and a Redis outage.

``python -m hypercorn --workers 2`` serves ``tests.support.apps.early_asgi:application``
(every response names its worker in ``x-worker-pid``) with
``tests.support.apps.redis_settings``: ``H2PUSH_LEARN_CACHE`` is a ``RedisCache`` on
the ``redis-server`` this test started on a loopback port (``redis_server`` fixture).
One test walks through the whole story, since each part starts from the last:

1. **Shared.** ``/slow/`` is visited on one connection (so by one worker) until it is
   learned: a route is learned from two successful pages that agree, so the third
   visit is hinted. Then new connections are opened until the *other* worker answers;
   its very first ``/slow/`` page is hinted too, so the link came through Redis.
2. **Outage.** Redis is stopped. Pages through both workers still answer 200 with
   their ``Link`` header. A worker whose route had settled does not read the store
   on most pages, so it may go on hinting what it settled on, until its next
   looked-at page (within ``LOOK_EVERY`` pages) meets the outage; from that page on
   its pages go without a 103. Each worker logs one WARNING from the ``h2push``
   logger, not one per request.
3. **Back.** Redis is started again on the same port, empty. After re-learning (two
   visits, then a 103) both workers hint the route again, with no further WARNING.
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from h2push.django_layer.settled import LOOK_EVERY
from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.constants import CSS_LINK, JS_LINK, REDIS_SETTINGS
from harness.processes import ServerProcess
from harness.redis import RedisServer
from harness.workers import running_worker_pids, start_workers, wait_for_workers

pytestmark = pytest.mark.e2e

PAGE = "/slow/?ms=10"
HINTS = [CSS_LINK, JS_LINK]
# Two pages that agree teach the route; the next one is hinted.
LEARNING_VISITS = 2
TIMEOUT = 10.0
# Enough for the kernel to hand the other worker a connection many times over.
SEARCH_DEADLINE = 10.0
MAX_CONNECTIONS = 200
# Pages without a 103 during the outage, at least, and at least this many per worker.
OUTAGE_PAGES = 8
OUTAGE_PAGES_PER_WORKER = 2
# Pages per connection while the outage lasts: a settled worker may serve up to
# LOOK_EVERY of them before one reads the store.
OUTAGE_PAGES_PER_CONNECTION = 4
OUTAGE_DEADLINE = 30.0
# How long hints may take to resume once Redis is back.
RECOVERY_DEADLINE = 10.0
# "WARNING h2push.something [pid] message", as redis_settings formats it.
WARNING_LINE = re.compile(r"^WARNING (h2push(?:\.\S+)?) \[(\d+)\] (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Visit:
    """One page: the worker that answered it and everything it sent."""

    pid: int
    exchange: Exchange

    @property
    def hinted(self) -> bool:
        return bool(self.exchange.early_hints)


# --------------------------------------------------------------------------- server


@pytest.fixture
def workers(
    tmp_path: Path, rsa_cert_pair: tuple[Path, Path], redis_server: RedisServer
) -> Iterator[ServerProcess]:
    server = start_workers(
        tmp_path,
        rsa_cert_pair,
        settings=REDIS_SETTINGS,
        extra_env={"H2PUSH_TEST_REDIS_URL": redis_server.url},
    )
    try:
        wait_for_workers(server)
        yield server
    finally:
        # The whole process group: the parent and both workers.
        server.stop(signal.SIGTERM)


# --------------------------------------------------------------------------- pages


def page(connection: H2Connection) -> Visit:
    """``/slow/`` on ``connection``: always a 200 that links its two assets."""
    exchange = connection.request(PAGE)
    assert exchange.status == 200, (exchange, exchange.body[:2000])
    assert set(HINTS) <= set(exchange.links), exchange.headers
    pid = exchange.header("x-worker-pid")
    assert pid is not None and pid.isdigit(), exchange.headers
    return Visit(int(pid), exchange)


def pages(server: ServerProcess, count: int) -> list[Visit]:
    """``count`` pages on one new connection, so all from the same worker."""
    with H2Connection(
        server.host, server.port, cafile=cafile(server), timeout=TIMEOUT
    ) as connection:
        return [page(connection) for _ in range(count)]


def first_page_of(server: ServerProcess, wanted: Callable[[int], bool]) -> Visit:
    """The first page of a new connection served by a worker ``wanted`` accepts."""
    deadline = time.monotonic() + SEARCH_DEADLINE
    for _ in range(MAX_CONNECTIONS):
        [visit] = pages(server, 1)
        if wanted(visit.pid):
            return visit
        if time.monotonic() > deadline:
            break
    raise AssertionError("the kernel never handed the wanted worker a connection")


def assert_hinted(visit: Visit) -> None:
    assert [hint.links for hint in visit.exchange.early_hints] == [HINTS], visit.exchange.interim
    # The 103 came before the page's own HEADERS.
    kinds = [str(event.kind) for event in visit.exchange.events]
    assert kinds.index("informational") < kinds.index("headers"), kinds


def teach(server: ServerProcess, deadline: float) -> list[Visit]:
    """Visit the page on one connection until it is hinted; return those visits.

    Every round is one connection (one worker): ``LEARNING_VISITS`` pages, then one
    that must be hinted. A round that ends unhinted (the store is still coming back)
    is tried again until ``deadline``.
    """
    visits: list[Visit] = []
    while True:
        visits.extend(pages(server, LEARNING_VISITS + 1))
        if visits[-1].hinted:
            return visits
        if time.monotonic() > deadline:
            raise AssertionError(
                f"never hinted after {len(visits)} pages: {visits}\n"
                f"h2push's warnings: {h2push_warnings(server)}"
            )


# ------------------------------------------------------------------------- the log


def h2push_warnings(server: ServerProcess) -> list[tuple[str, int, str]]:
    """``(logger, pid, message)`` of every WARNING the h2push loggers wrote."""
    return [
        (name, int(pid), message)
        for name, pid, message in WARNING_LINE.findall(server.errors() + server.output())
    ]


# -------------------------------------------------------------------------- the test


def learn_and_share(server: ServerProcess) -> tuple[int, int]:
    """Part 1; returns the worker that learned the route and the other one."""
    visits = teach(server, time.monotonic())
    teacher = visits[0].pid
    # Nothing was known anywhere before this; one connection means one worker.
    assert not visits[0].hinted, visits[0].exchange.interim
    assert {visit.pid for visit in visits} == {teacher}
    assert len(visits) == LEARNING_VISITS + 1
    assert_hinted(visits[-1])
    # The other worker never saw /slow/: its first page is hinted from Redis.
    other = first_page_of(server, lambda pid: pid != teacher)
    assert {teacher, other.pid} == running_worker_pids(server)
    # A store that did not answer in time (a cold first connection) shows in the log.
    assert other.hinted, (other.exchange.interim, h2push_warnings(server))
    assert_hinted(other)
    return teacher, other.pid


def serve_through_outage(server: ServerProcess, worker_pids: set[int]) -> Counter[int]:
    """Part 2: pages through both workers while Redis is down; counts per worker the
    pages that met the outage (read the store, and went without a 103)."""
    hinted: dict[int, list[bool]] = {pid: [] for pid in worker_pids}
    unhinted: Counter[int] = Counter()
    deadline = time.monotonic() + OUTAGE_DEADLINE
    while unhinted.total() < OUTAGE_PAGES or any(
        unhinted[pid] < OUTAGE_PAGES_PER_WORKER for pid in worker_pids
    ):
        for visit in pages(server, OUTAGE_PAGES_PER_CONNECTION):
            hinted[visit.pid].append(visit.hinted)
            if visit.hinted:
                assert_hinted(visit)  # a settled route's links, as before the outage
            else:
                unhinted[visit.pid] += 1
        if time.monotonic() > deadline:
            raise AssertionError(f"pages per worker during the outage: {hinted}")
    for pid, flags in hinted.items():
        # A settled worker hints until one of its pages reads the store, never after.
        settled_run = flags.index(False)
        assert flags == [True] * settled_run + [False] * (len(flags) - settled_run), (pid, flags)
        assert settled_run < LOOK_EVERY, (pid, flags)
    return unhinted


def test_redis_shared_by_two_workers_survives_an_outage(
    workers: ServerProcess, redis_server: RedisServer
) -> None:
    teacher, other = learn_and_share(workers)
    assert h2push_warnings(workers) == []

    redis_server.stop()
    served = serve_through_outage(workers, {teacher, other})
    warnings = h2push_warnings(workers)
    per_worker = Counter(pid for _, pid, _ in warnings)
    # One WARNING per outage in each process that met it, not one per page.
    assert per_worker == {pid: 1 for pid in served}, (dict(served), warnings)
    assert all("learned store" in message.lower() for _, _, message in warnings), warnings

    port = redis_server.port
    redis_server.start()
    assert redis_server.port == port
    relearned = teach(workers, time.monotonic() + RECOVERY_DEADLINE)
    # Redis came back empty, so the first page had nothing to hint: the 103 that
    # follows was learned anew.
    assert not relearned[0].hinted, relearned[0].exchange.interim
    assert_hinted(relearned[-1])
    # Both workers read the store again.
    for pid in (teacher, other):
        assert_hinted(first_page_of(workers, pid.__eq__))
    assert h2push_warnings(workers) == warnings
    assert "Traceback" not in workers.errors(), workers.errors()[-3000:]
