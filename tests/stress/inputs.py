"""Faults that come from outside the client's manners: a dead learned store, and
hostile inputs that a view turns into preloads.

Both are issue 10's findings, tried end to end: every page must still answer 200,
what one request registers must not break what later visitors get, and the server
must keep serving.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from h2push.probe import Exchange, ProbeError, Request
from harness.processes import ServerProcess
from tests.stress.held import back_within, settled
from tests.stress.plan import Plan
from tests.stress.servers import (
    HOST,
    dead_port,
    log_counts,
    redis_binary,
    rss_kb,
    run_redis,
    run_server,
)
from tests.stress.tally import Part, Tally
from tests.stress.traffic import LOAD_PAGES, health_check, open_connection, send_batch

__all__ = ["bad_inputs", "dead_store"]

LEARNED_PATH = "/slow/?ms=5"
REGISTER_PATH = "/rel/register/"
DOT_URL = "/static/%2e%2e/%2e%2e/etc/passwd"
PASSWD_MARK = b"root:x:0:0"
# Batches of the Host-variant requests: many at once, as an attacker would send them.
HOST_BATCH = 50


def _visit(server: ServerProcess, paths: Sequence[str | Request], tally: Tally) -> list[Exchange]:
    """Load ``paths`` on a new push-accepting connection; count them; return what came
    back (nothing if the connection failed, which is counted)."""
    connection = open_connection(server, tally, lost=len(paths))
    if connection is None:
        return []
    with contextlib.closing(connection):
        try:
            exchanges = connection.request_many(paths)
        except ProbeError as error:
            tally.record_failure(error, len(paths))
            return []
    for exchange in exchanges:
        tally.record(exchange)
    return exchanges


def _hinted(server: ServerProcess, path: str, tally: Tally) -> bool:
    exchanges = _visit(server, [path], tally)
    return bool(exchanges and exchanges[0].early_hints)


def _learn(server: ServerProcess, path: str, tally: Tally) -> bool:
    """Visit ``path`` until h2push hints it (it may want a few pages to agree)."""
    return any(_hinted(server, path, tally) for _ in range(4))


def dead_store(workdir: Path, plan: Plan, part: Part) -> None:
    """(e) A second server whose learned store is a Redis cache that stops answering
    (or, without ``redis-server``, a loopback port where nothing listens)."""
    binary = redis_binary()
    with contextlib.ExitStack() as stack:
        redis: ServerProcess | None = None
        if binary is not None:
            redis = stack.enter_context(run_redis(workdir / "redis", binary))
            port = redis.port
        else:
            port = dead_port()
        env = {"H2PUSH_RELIABILITY_REDIS_URL": f"redis://{HOST}:{port}/0"}
        server = stack.enter_context(run_server(workdir, "dead-store", env))
        before = settled(server)
        part.rss_start_kb = rss_kb(server.pid)
        log_start = len(server.errors())
        if redis is not None:
            learned = _learn(server, LEARNED_PATH, part.tally)
            part.check("learned through Redis", learned, f"{LEARNED_PATH} hinted", required=False)
            redis.stop()
            part.notes.append("Redis stopped after a route was learned through it")
        else:
            part.notes.append(f"no redis-server installed: nothing listens on port {port}")
        _dead_store_pages(server, plan, part)
        part.checks.append(health_check(server, part.tally))
        part.check_held(before, back_within(server, before))
        part.rss_end_kb = rss_kb(server.pid)
        log = server.errors()[log_start:]
        part.logged_errors, part.logged_warnings = log_counts(log)
        part.log_excerpt = log.splitlines()[-12:] if part.logged_errors else []
    part.notes.append(f"{part.logged_warnings} h2push WARNING(s) logged during the outage")


def _dead_store_pages(server: ServerProcess, plan: Plan, part: Part) -> None:
    """Pages of every kind while the store is dead, half the connections accepting
    push and half refusing it; every one must answer 200."""
    pages = [LOAD_PAGES[n % len(LOAD_PAGES)] for n in range(plan.dead_store_pages)]
    batches = [pages[start : start + 12] for start in range(0, len(pages), 12)]
    started = time.monotonic()
    for number, batch in enumerate(batches):
        if time.monotonic() - started > plan.fault_seconds:
            part.check("finished", False, f"stopped after {number} of {len(batches)} batches")
            return
        connection = open_connection(server, part.tally, push=number % 2 == 0, lost=len(batch))
        if connection is not None:
            with contextlib.closing(connection):
                send_batch(connection, batch, part.tally)
    part.notes.append(f"{len(pages)} pages while the store was dead")


def bad_inputs(server: ServerProcess, plan: Plan, part: Part) -> None:
    """(f) A preload URL of ``long_url_length`` characters and a path with dot
    segments, both registered from the query string, and Host values that differ
    in the port only. Each page must answer 200, and so must later visitors."""
    before_hint = _learn(server, LEARNED_PATH, part.tally)
    # "~" is allowed in a URL path as it is, and HPACK's Huffman code for it is 13
    # bits long: the URL's header block stays over 16 KB (letters would shrink to
    # about 10 KB and fit into one frame).
    long_url = "/static/" + "~" * (plan.long_url_length - len("/static/"))
    _long_url(server, long_url, part)
    _dot_segments(server, part)
    _host_ports(server, plan, part)
    after_hint = _hinted(server, LEARNED_PATH, part.tally)
    part.check(
        "learned route still hinted after the Host variants",
        after_hint or not before_hint,
        f"hinted before: {before_hint}, after: {after_hint}",
        required=False,
    )


def _long_url(server: ServerProcess, long_url: str, part: Part) -> None:
    attack = f"{REGISTER_PATH}?{urlencode({'u': long_url})}"
    for _ in range(2):  # Twice: learning may want two pages to agree.
        _visit(server, [attack], part.tally)
    visitors = [_visit(server, [REGISTER_PATH, "/"], part.tally) for _ in range(2)]
    pushed_long = sum(
        1 for pages in visitors for page in pages for p in page.promises if len(p.path) > 8000
    )
    part.check(
        "long URL not passed on to later visitors",
        pushed_long == 0 and all(len(pages) == 2 for pages in visitors),
        f"later visitors got {sum(len(pages) for pages in visitors)} of 4 pages, "
        f"{pushed_long} pushes of the long URL",
    )
    part.notes.append(f"preload URL of {len(long_url):,} characters registered twice")


def _dot_segments(server: ServerProcess, part: Part) -> None:
    attack = f"{REGISTER_PATH}?{urlencode({'u': DOT_URL})}"
    pages = _visit(server, [attack, attack], part.tally)
    pages += _visit(server, [REGISTER_PATH], part.tally)
    dotted = [p for page in pages for p in page.promises if "%2e" in p.path.lower()]
    dotted_hints = [
        link for page in pages for hint in page.early_hints for link in hint.links if "%2e" in link
    ]
    leaked = [p.path for p in dotted if PASSWD_MARK in p.body]
    part.check(
        "dot segments never pushed or hinted",
        not dotted and not dotted_hints,
        f"{len(dotted)} pushes, {len(dotted_hints)} hints of {DOT_URL}",
    )
    part.check("no file outside the static folder served", not leaked, f"served: {leaked}")


def _host_ports(server: ServerProcess, plan: Plan, part: Part) -> None:
    """``plan.host_ports`` requests to the learned route, each naming another port in
    its ``:authority`` (all allowed by ``ALLOWED_HOSTS``)."""
    before = rss_kb(server.pid)
    requests = [
        Request(LEARNED_PATH, headers={":authority": f"{HOST}:{number}"})
        for number in range(1, plan.host_ports + 1)
    ]
    for start in range(0, len(requests), HOST_BATCH):
        batch = requests[start : start + HOST_BATCH]
        connection = open_connection(server, part.tally, push=False, lost=len(batch))
        if connection is not None:
            with contextlib.closing(connection):
                send_batch(connection, batch, part.tally)
    part.notes.append(
        f"{plan.host_ports} Host values differing in the port; server RSS "
        f"{before // 1024} -> {rss_kb(server.pid) // 1024} MB"
    )
