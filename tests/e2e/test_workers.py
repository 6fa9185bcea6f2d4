"""End to end: two Hypercorn worker processes share what h2push learned.

``python -m hypercorn --workers 2`` serves ``tests.support.apps.early_asgi:application`` over TLS
with ``tests.support.apps.early_settings``: a file-based Django cache in this test's own temporary
folder. The kernel hands each new connection to one of the workers; every response
names its worker in ``x-worker-pid``. The first HTML page of ``/slow/`` through one
worker (A) teaches the route; then new connections are opened until one is served by
the other worker (B), and that connection's very first ``/slow/`` request shows
whether B hints what A learned:

- with ``H2PUSH_LEARN_CACHE = "default"`` (the shared file cache) it does;
- with ``H2PUSH_LEARN_CACHE = None`` (a store in each process) it does not.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.constants import EARLY_SETTINGS
from harness.processes import ServerProcess
from harness.workers import running_worker_pids, start_workers, wait_for_workers

pytestmark = pytest.mark.e2e

HINT_LINKS = [
    "</static/css/base.css>; rel=preload; as=style",
    "</static/js/app.js>; rel=preload; as=script",
]
PAGE = "/slow/?ms=10"
TIMEOUT = 10.0
# Enough for the kernel to have given the other worker a connection many times over.
SEARCH_DEADLINE = 20.0
MAX_CONNECTIONS = 200


@pytest.fixture
def workers(
    request: pytest.FixtureRequest, tmp_path: Path, dev_cert_pair: tuple[Path, Path]
) -> Iterator[ServerProcess]:
    server = start_workers(
        tmp_path,
        dev_cert_pair,
        settings=EARLY_SETTINGS,
        extra_env={
            "H2PUSH_TEST_CACHE_DIR": str(tmp_path / "cache"),
            "H2PUSH_TEST_LEARN_CACHE": request.param,
        },
    )
    try:
        wait_for_workers(server)
        yield server
    finally:
        # Kills the whole process group: the parent and both workers.
        server.stop(signal.SIGTERM)


def first_slow_page(server: ServerProcess) -> tuple[int, Exchange]:
    """A new connection's very first request of the page, and the worker that served it."""
    with H2Connection(
        server.host, server.port, cafile=cafile(server), timeout=TIMEOUT
    ) as connection:
        exchange = connection.request(PAGE)
    assert exchange.status == 200, exchange
    pid = exchange.header("x-worker-pid")
    assert pid is not None and pid.isdigit(), exchange.headers
    return int(pid), exchange


def hinted(exchange: Exchange) -> bool:
    return bool(exchange.early_hints)


def teach_through_one_worker(server: ServerProcess) -> int:
    """Two ``/slow/`` pages on one connection (so one worker); returns that worker."""
    with H2Connection(
        server.host, server.port, cafile=cafile(server), timeout=TIMEOUT
    ) as connection:
        taught = [connection.request(PAGE) for _ in range(2)]
    pids = {exchange.header("x-worker-pid") for exchange in taught}
    assert len(pids) == 1 and None not in pids, [exchange.headers for exchange in taught]
    for exchange in taught:
        # Nothing was learned anywhere before these pages; one page alone teaches
        # nothing, two that agree do.
        assert exchange.status == 200, exchange
        assert not hinted(exchange), exchange.interim
        assert [p.path for p in exchange.promises] == [
            "/static/css/base.css",
            "/static/js/app.js",
        ]
    return int(pids.pop() or 0)


def teach_then_find_the_other_worker(server: ServerProcess) -> tuple[int, int, Exchange]:
    """Teach ``/slow/`` through one worker, then return the other worker's first page."""
    teacher = teach_through_one_worker(server)
    deadline = time.monotonic() + SEARCH_DEADLINE
    for _ in range(MAX_CONNECTIONS):
        pid, exchange = first_slow_page(server)
        if pid != teacher:
            return teacher, pid, exchange
        # The teacher itself knows the route now.
        assert hinted(exchange), exchange.interim
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"every connection went to worker {teacher}; the other never answered")


@pytest.mark.parametrize("workers", ["default"], indirect=True, ids=["shared-cache"])
def test_a_route_learned_through_one_worker_is_hinted_by_the_other(
    workers: ServerProcess,
) -> None:
    teacher, other, exchange = teach_then_find_the_other_worker(workers)
    # Two distinct Hypercorn workers answered.
    assert {teacher, other} == running_worker_pids(workers)
    # The other worker's very first /slow/ page is hinted from the shared cache...
    assert [hint.links for hint in exchange.early_hints] == [HINT_LINKS]
    # ...and the 103 (and the early pushes) came before the page's HEADERS.
    kinds = [event.kind for event in exchange.events]
    assert kinds.index("informational") < kinds.index("headers")
    assert exchange.promised_before_headers
    assert sorted(exchange.pushed_paths) == ["/static/css/base.css", "/static/js/app.js"]
    # The shared cache is files in this test's folder.
    cache_dir = Path(workers.env["H2PUSH_TEST_CACHE_DIR"])
    assert any(cache_dir.glob("*.djcache"))


@pytest.mark.parametrize("workers", [""], indirect=True, ids=["in-process-store"])
def test_without_a_shared_cache_the_other_worker_has_not_learned(workers: ServerProcess) -> None:
    teacher, other, exchange = teach_then_find_the_other_worker(workers)
    assert other != teacher
    assert exchange.early_hints == []
    # It still links and pushes the page's assets with the page itself...
    assert sorted(exchange.pushed_paths) == ["/static/css/base.css", "/static/js/app.js"]
    # ...and learns the route as any worker does: once its second page agreed.
    deadline = time.monotonic() + SEARCH_DEADLINE
    pages_of_other = 1
    for _ in range(MAX_CONNECTIONS):
        pid, again = first_slow_page(workers)
        if pid == other:
            pages_of_other += 1
            if pages_of_other == 2:
                assert again.early_hints == []
                continue
            assert [hint.links for hint in again.early_hints] == [HINT_LINKS]
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"worker {other} served no second connection")
    else:
        raise AssertionError(f"worker {other} served no second connection")
    # Nothing went through the cache.
    cache_dir = Path(workers.env["H2PUSH_TEST_CACHE_DIR"])
    assert not cache_dir.exists() or not any(cache_dir.glob("*.djcache"))
