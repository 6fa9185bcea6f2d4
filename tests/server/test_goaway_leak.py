"""The GOAWAY that runh2server adds to Hypercorn (:mod:`h2push.server.goaway`) never keeps a
connection from closing (issue 17, finding 1).

The first version hooked every ``Closed`` event; when a write failed, Hypercorn
handled that event while holding its send lock, the hook wrote again and waited on
the same lock forever, and the connection's streams, threads and open files stayed.

- In process, with Hypercorn's real ``TCPServer`` and a stand-in for the socket: a
  failed write closes the connection; the idle close says GOAWAY; a peer that never
  reads holds the close at most ``GOAWAY_TIMEOUT``; HTTP/1.1 gets no GOAWAY.
- Against a real ``runh2server``: connections stalled by a flow-control window of 0
  with many static files in flight, then dropped, and many short curl-like
  connections: the server's threads, open descriptors and memory come back to their
  level before, and it still answers. An idle connection gets GOAWAY before the close.

The in-process tests apply the patch to this test process's Hypercorn (once, as
``runh2server`` does); it changes nothing for other tests but adds the GOAWAY.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.events
import pytest
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.events import RawData
from hypercorn.protocol import ProtocolWrapper
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.typing import ConnectionState

import h2push.server.goaway
from h2push.probe import H2Connection
from h2push.server.goaway import say_goaway_before_closing
from harness.certificates import cafile
from harness.constants import CSS_PATH
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory
from tests.support.leaks import (
    Margin,
    idle_until_closed,
    resources,
    settle,
    short_requests,
    stall_and_drop,
    wait_for_level,
)

# The first measurement: 10 connections x 50 GETs left 500 threads.
STALLED_CONNECTIONS = 10
STALLED_REQUESTS = 50
# 300 curl runs left 303 connections stuck, about 0.3 MB each.
SHORT_REQUESTS = 200
MARGIN = Margin(threads=3, fds=8)
# Short requests leak no thread or file, only the stuck connection's objects: memory
# is their witness. 200 stuck connections held about 60 MB; once the warm-up has
# filled the allocator's pools, 200 clean ones move RSS by about 1 MB.
SHORT_MARGIN = Margin(threads=3, fds=8, rss_kb=10 * 1024)
SETTLE_SECONDS = 10.0


# ================================================================ in process


class FakeWriter:
    """Stands in for Hypercorn's ``asyncio.StreamWriter``: records what is written;
    ``drain`` fails (a peer that is gone) or never returns (one that never reads)."""

    def __init__(self, drain: str = "ok") -> None:
        self.drain_mode = drain
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    async def drain(self) -> None:
        if self.drain_mode == "fail":
            raise ConnectionResetError("Connection lost")
        if self.drain_mode == "hang":
            await asyncio.Event().wait()

    def write_eof(self) -> None:
        raise OSError("no half-close over TLS")

    def close(self) -> None:
        self.closed = True

    async def wait_closed(self) -> None:
        return None


def tcp_server(writer: FakeWriter, alpn: str = "h2") -> TCPServer:
    """A real ``TCPServer`` with a real protocol wired to its ``protocol_send``, as
    ``TCPServer.run`` wires them, minus the socket and the task group."""
    config, context = Config(), WorkerContext(None)
    loop = asyncio.get_running_loop()
    server = TCPServer(None, loop, config, context, {}, None, writer)  # type: ignore[arg-type]
    server.protocol = ProtocolWrapper(
        None,  # type: ignore[arg-type]
        config,
        context,
        None,  # type: ignore[arg-type]
        ConnectionState({}),
        True,
        ("127.0.0.1", 50000),
        ("127.0.0.1", 8443),
        server.protocol_send,
        alpn,
    )
    return server


def h2_of(server: TCPServer) -> H2Protocol:
    protocol = server.protocol.protocol
    assert isinstance(protocol, H2Protocol)
    return protocol


def goaways_in(data: bytes | bytearray) -> list[h2.events.ConnectionTerminated]:
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    events = client.receive_data(bytes(data))
    return [event for event in events if isinstance(event, h2.events.ConnectionTerminated)]


@pytest.fixture(autouse=True, scope="module")
def _patched() -> None:
    say_goaway_before_closing()


def test_a_failed_write_closes_the_connection() -> None:
    """The deadlock's own stack: ``protocol_send`` holds the lock, the write fails,
    the protocol handles ``Closed()``. It must finish, with the protocol closed."""

    async def scenario() -> H2Protocol:
        server = tcp_server(FakeWriter(drain="fail"))
        await asyncio.wait_for(server.protocol_send(RawData(b"\x00" * 9)), 5.0)
        return h2_of(server)

    assert asyncio.run(scenario()).closed


def test_the_idle_close_says_goaway_then_closes() -> None:
    async def scenario() -> tuple[FakeWriter, H2Protocol]:
        writer = FakeWriter()
        server = tcp_server(writer)
        await asyncio.wait_for(server._initiate_server_close(), 5.0)
        return writer, h2_of(server)

    writer, protocol = asyncio.run(scenario())
    (goaway,) = goaways_in(writer.written)
    assert goaway.error_code == 0  # NO_ERROR: a polite close
    assert protocol.closed and writer.closed


def test_a_peer_that_never_reads_holds_the_close_only_briefly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(h2push.server.goaway, "GOAWAY_TIMEOUT", 0.2)

    async def scenario() -> tuple[float, FakeWriter, H2Protocol]:
        writer = FakeWriter(drain="hang")
        server = tcp_server(writer)
        started = time.monotonic()
        await asyncio.wait_for(server._initiate_server_close(), 5.0)
        return time.monotonic() - started, writer, h2_of(server)

    seconds, writer, protocol = asyncio.run(scenario())
    assert seconds < 2.0
    assert protocol.closed and writer.closed


def test_a_connection_that_said_goaway_already_gets_no_second_one() -> None:
    """Hypercorn says GOAWAY itself after ``keep_alive_max_requests`` streams."""

    async def scenario() -> tuple[FakeWriter, H2Protocol]:
        writer = FakeWriter()
        server = tcp_server(writer)
        h2_of(server).connection.close_connection()
        h2_of(server).connection.data_to_send()  # as if written already
        await asyncio.wait_for(server._initiate_server_close(), 5.0)
        return writer, h2_of(server)

    writer, protocol = asyncio.run(scenario())
    assert goaways_in(writer.written) == []
    assert protocol.closed and writer.closed


def test_http11_connections_get_no_goaway() -> None:
    async def scenario() -> FakeWriter:
        writer = FakeWriter()
        await asyncio.wait_for(tcp_server(writer, alpn="http/1.1")._initiate_server_close(), 5.0)
        return writer

    writer = asyncio.run(scenario())
    assert writer.written == b"" and writer.closed


def test_applying_it_twice_patches_once() -> None:
    first = TCPServer._initiate_server_close
    say_goaway_before_closing()
    assert TCPServer._initiate_server_close is first


# ============================================================ against runh2server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A runh2server of this module's own: others' traffic would move its counts."""
    factory = H2ServerFactory(tmp_path_factory.mktemp("goaway-leak"))
    try:
        yield factory()
    finally:
        factory.close()


def answers(server: ServerProcess) -> bool:
    with H2Connection("127.0.0.1", server.port, cafile=cafile(server), timeout=20) as connection:
        return connection.request("/").status == 200


@pytest.mark.e2e
@pytest.mark.parametrize("reset", [True, False], ids=["rst", "fin"])
def test_stalled_connections_dropped_give_everything_back(
    server: ServerProcess, reset: bool
) -> None:
    # A small round first, so the thread pools and allocator are as warm as they get.
    stall_and_drop(
        server.port, connections=2, requests=10, path=CSS_PATH, reset=reset, cafile=cafile(server)
    )
    before = settle(server.pid)
    headers = stall_and_drop(
        server.port,
        connections=STALLED_CONNECTIONS,
        requests=STALLED_REQUESTS,
        path=CSS_PATH,
        reset=reset,
        cafile=cafile(server),
    )
    during = resources(server.pid)
    after = wait_for_level(server.pid, before, MARGIN, SETTLE_SECONDS)
    story = (
        f"before: {before.describe()}; right after: {during.describe()}; then {after.describe()}"
    )
    # Every response had started, so each held its stream, task, thread and file.
    assert headers == STALLED_CONNECTIONS * STALLED_REQUESTS, story
    assert not MARGIN.exceeded(before, after), story
    assert answers(server)


@pytest.mark.e2e
def test_short_connections_give_everything_back(server: ServerProcess) -> None:
    short_requests(server.port, count=SHORT_REQUESTS // 4, path=CSS_PATH, cafile=cafile(server))
    before = settle(server.pid)
    ended = short_requests(server.port, count=SHORT_REQUESTS, path=CSS_PATH, cafile=cafile(server))
    after = wait_for_level(server.pid, before, SHORT_MARGIN, SETTLE_SECONDS)
    story = f"before: {before.describe()}; after: {after.describe()}"
    assert ended == SHORT_REQUESTS, story
    assert not SHORT_MARGIN.exceeded(before, after), story
    assert answers(server)


@pytest.mark.e2e
def test_an_idle_connection_hears_goaway_before_the_close(server: ServerProcess) -> None:
    """What the patch is for: Hypercorn closes a connection idle for 5 s; the client
    must get a GOAWAY (NO_ERROR) first."""
    waited, goaways = idle_until_closed(server.port, path="/", timeout=12.0, cafile=cafile(server))
    assert 4.0 < waited < 12.0
    assert goaways == [0]
