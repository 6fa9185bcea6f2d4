"""Faults a client can cause: each function runs one against a live server.

What the faulty client itself gets is its own business and goes into the part's
notes and checks; only the traffic of well-behaved clients (and the faulty client's
pages where the fault leaves them due) counts in the part's tally. After each fault
the command runs a health check on a new connection
(:func:`~tests.stress.traffic.health_check`).
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable

import h2.events

from h2push.probe import ProbeError, error_code_name
from harness.certificates import cafile
from harness.processes import ServerProcess
from tests.stress.plan import Plan
from tests.stress.rawh2 import Events, RawClosed, RawH2
from tests.stress.servers import rss_kb
from tests.stress.tally import Part
from tests.stress.traffic import LOAD_PAGES, health_check, open_connection, send_batch
from tests.support.leaks import stall_and_drop

__all__ = [
    "Fault",
    "cut_connections",
    "idle_connection",
    "never_read",
    "push_resets",
    "raise_after_hint",
    "stalled_and_dropped",
]

#: A fault: run it against this server, within this plan, counting into this part.
Fault = Callable[[ServerProcess, Plan, Part], None]

RAISE_PATH = "/rel/raise/"
# A slow page with declared assets: its 103 and pushes go out, then the view waits,
# so there is a response in progress to cut into.
CUT_PATH = "/slow/declared/?ms=150"
# A static file: each of its responses holds a thread and the open file while its
# body waits for a window.
STALL_PATH = "/static/css/base.css"


class _Streams:
    """The client's own streams on a :class:`RawH2`: their statuses and ends, with
    every push cancelled as soon as it is promised (if ``cancel_pushes``)."""

    def __init__(self, client: RawH2, paths: list[str], *, cancel_pushes: bool) -> None:
        self.client = client
        self.cancel_pushes = cancel_pushes
        self.paths = {client.get(path): path for path in paths}
        self.status: dict[int, int] = {}
        self.ended: set[int] = set()
        self.reset: dict[int, int] = {}
        self.promised = self.cancelled = self.hints = 0

    def see(self, events: Events) -> bool:
        for event in events:
            if isinstance(event, h2.events.PushedStreamReceived):
                self.promised += 1
                if self.cancel_pushes and event.pushed_stream_id is not None:
                    self.client.cancel(event.pushed_stream_id)
                    self.cancelled += 1
            elif getattr(event, "stream_id", None) not in self.paths:
                # Connection-level events, and pushed streams, whose frames may still
                # arrive after the CANCEL crossed them.
                continue
            elif isinstance(event, h2.events.InformationalResponseReceived):
                self.hints += 1
            elif isinstance(event, h2.events.ResponseReceived):
                headers = dict(event.headers or [])
                self.status[event.stream_id] = int(headers.get(b":status", b"0"))
            elif isinstance(event, h2.events.StreamEnded):
                self.ended.add(event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                self.reset[event.stream_id] = int(event.error_code)
                self.ended.add(event.stream_id)
        return len(self.ended) == len(self.paths)

    def count(self, part: Part) -> None:
        for stream_id, path in self.paths.items():
            if stream_id in self.reset:
                part.tally.requests += 1
                part.tally.resets += 1
                part.tally.lost += 1
                part.tally.note(f"{path} reset by the server: {self.reset[stream_id]}")
            elif stream_id in self.ended and stream_id in self.status:
                part.tally.record_status(path, self.status[stream_id])
            else:
                part.tally.requests += 1
                part.tally.lost += 1
                part.tally.note(f"{path}: no complete response")


def push_resets(server: ServerProcess, plan: Plan, part: Part) -> None:
    """(a) Cancel every push as it is promised, two batches on one connection: the
    pages must all complete, and the connection must stay usable."""
    pages = list(itertools.islice(itertools.cycle(LOAD_PAGES), plan.push_reset_pages))
    client = RawH2(server)
    cancelled = promised = 0
    try:
        for round_number in range(2):
            streams = _Streams(client, pages, cancel_pushes=True)
            try:
                finished = client.read_until(streams.see, plan.fault_seconds / 2)
            except RawClosed as error:
                part.tally.broken += 1
                part.tally.note(f"batch {round_number + 1}: {error}")
                finished = False
            streams.count(part)
            cancelled += streams.cancelled
            promised += streams.promised
            if not finished:
                break
    finally:
        client.close()
    part.check("pushes were cancelled", cancelled > 0, f"{cancelled} of {promised} cancelled")
    part.notes.append(f"{2 * len(pages)} pages on one connection, every push cancelled")


def _cut_once(server: ServerProcess, number: int) -> str:
    """One connection cut at a point that depends on ``number``; says where."""
    point = ("after sending the request", "after the first 103 or push", "after the headers")[
        number % 3
    ]
    client = RawH2(server)
    streams = _Streams(client, [CUT_PATH], cancel_pushes=False)

    def reached(events: Events) -> bool:
        streams.see(events)
        if number % 3 == 1:
            return streams.hints > 0 or streams.promised > 0
        return bool(streams.status)

    if number % 3:
        with contextlib.suppress(RawClosed):
            client.read_until(reached, 5.0)
    reset = number % 2 == 1
    client.cut(reset=reset)
    return f"{point}, {'TCP RST' if reset else 'FIN'}"


def cut_connections(server: ServerProcess, plan: Plan, part: Part) -> None:
    """(b) Connections dropped with a response in progress: after the request, after
    the 103 or first push, after the response's headers; with FIN or RST."""
    ways = [_cut_once(server, number) for number in range(plan.cut_connections)]
    # The views of the cut requests are still running; give them time to end.
    time.sleep(0.5)
    part.notes.append(f"{len(ways)} connections cut: " + "; ".join(sorted(set(ways))))


def never_read(server: ServerProcess, plan: Plan, part: Part) -> None:
    """(c) A client asks for pages that push and then never reads: the server's
    writes to it stall on flow control and socket buffers. Others must be served
    meanwhile, and the server must not grow much for it."""
    before = rss_kb(server.pid)
    client = RawH2(server)
    try:
        for _ in range(plan.never_read_pages):
            client.get("/")
        time.sleep(plan.never_read_hold / 2)
        during = health_check(server, part.tally)
        part.check("served while a client never reads", during.passed, during.detail)
        time.sleep(plan.never_read_hold / 2)
        held = rss_kb(server.pid)
    finally:
        client.cut()
    part.notes.append(
        f"{plan.never_read_pages} pages asked for and never read, held "
        f"{plan.never_read_hold:g} s; server RSS {before // 1024} -> {held // 1024} MB meanwhile"
    )


def raise_after_hint(server: ServerProcess, plan: Plan, part: Part) -> None:
    """(d) A view that fails after its 103 went out: each request gets the 103 and
    then a 500 (expected), and the same connection goes on serving pages."""
    connection = open_connection(server, part.tally)
    if connection is None:
        return
    with contextlib.closing(connection):
        try:
            failing = connection.request_many([RAISE_PATH] * plan.raise_requests)
        except ProbeError as error:
            part.tally.record_failure(error, plan.raise_requests)
            failing = []
        for exchange in failing:
            part.tally.record(exchange, expect_status=500)
        hinted = sum(1 for exchange in failing if exchange.early_hints)
        part.check(
            "103 before the 500",
            hinted == plan.raise_requests,
            f"{hinted} of {plan.raise_requests} had a 103",
        )
        send_batch(connection, ["/decorated/", "/"], part.tally)
    part.expected_logged_errors += plan.raise_requests
    part.notes.append(
        f"{plan.raise_requests} requests to a view that raises after its 103: "
        f"{part.tally.expected_errors} answered the expected 500"
    )


def idle_connection(server: ServerProcess, plan: Plan, part: Part) -> None:
    """(g) A connection left idle after a page, as a browser leaves one between two
    clicks. A server may close it, but RFC 9113 (section 9.1) says it should send
    GOAWAY first: a client whose next request crosses the close then knows it was
    not processed and can send it again, instead of losing it."""
    client = RawH2(server)
    streams = _Streams(client, ["/decorated/"], cancel_pushes=False)
    goaway: str | None = None
    closed_after: float | None = None

    def watch(events: Events) -> bool:
        nonlocal goaway
        for event in events:
            if isinstance(event, h2.events.ConnectionTerminated):
                goaway = error_code_name(event.error_code or 0)
        return False  # Watch for the whole time.

    try:
        client.read_until(streams.see, 10.0)
        streams.count(part)
        idle_from = time.monotonic()
        try:
            client.read_until(watch, plan.idle_seconds)
        except RawClosed:
            closed_after = time.monotonic() - idle_from
            # Hang up at once, as a browser does: a client that kept its end open
            # would leave the server's TLS shutdown waiting. Then stay for the rest
            # of the time, so that whatever the server logs about it is seen.
            client.cut()
            time.sleep(max(plan.idle_seconds - closed_after, 0.0))
    finally:
        client.close()
    if closed_after is None:
        detail = f"still open after {plan.idle_seconds:g} s idle"
    else:
        detail = f"closed after {closed_after:.1f} s idle, GOAWAY: {goaway or 'none'}"
    part.check(
        "GOAWAY before closing an idle connection", closed_after is None or bool(goaway), detail
    )
    part.notes.append(f"one page, then the connection left idle for {plan.idle_seconds:g} s")


def stalled_and_dropped(server: ServerProcess, plan: Plan, part: Part) -> None:
    """(h) Connections that advertise a stream window of 0 ask for many static files:
    the server sends every response's headers, and each body waits for a window that
    never opens. Then the client drops them with a TCP RST, so the server's next
    write fails: the close that follows must give every stream back (the part's
    check of threads, files and tasks)."""
    started = time.monotonic()
    headers = stall_and_drop(
        server.port,
        connections=plan.stall_connections,
        requests=plan.stall_requests,
        path=STALL_PATH,
        reset=True,
        cafile=cafile(server),
    )
    wanted = plan.stall_connections * plan.stall_requests
    part.check(
        "every response started, then stalled",
        headers == wanted,
        f"{headers} of {wanted} response headers in {time.monotonic() - started:.1f} s",
    )
    part.notes.append(
        f"{plan.stall_connections} connections x {plan.stall_requests} GETs of {STALL_PATH} "
        "with a window of 0, dropped with a TCP RST"
    )
