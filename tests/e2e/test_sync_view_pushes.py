"""End to end: pushed and hinted static assets are served while a view works, sync or async.

Hypercorn starts each promised request from inside the ``send`` that asked for the
push, so its task copies the context variables of whoever called ``send``. Called from
the page's application, that copy holds the ``ThreadSensitiveContext`` Django's
``ASGIHandler`` entered for the page; Django's handler of the promised request then
enters no context of its own, and all its thread-sensitive work (``request_started``
receivers, the view or the file, closing the response) queues on the page's one sync
thread, which sleeps under a sync view. So the pushed responses used to end only with
the view. Two things keep them apart now: h2push's delivery sends the pushes from
the context the request arrived with (:mod:`h2push.delivery.responder`), and its
static files handler (:mod:`h2push.server.staticfiles`) serves a static request in a
context of its own whatever it inherited.

- A push-accepting client (:class:`h2push.probe.H2Connection`) has both pushed assets
  complete long before the page of a view that sleeps 1 s, sync or async.
- A browser refuses push and requests the hinted stylesheet itself once the 103 came:
  that request, on the same connection, completes long before the page too. (It
  starts from the connection's context, not the page's, so it did not wait before
  the fix either; the test keeps it so.)
- A declared URL that is not a static file (``@push_url``) is answered by Django's
  views, with no help from the static files handler: its pushed response, from a
  sync view, also completes long before the page of a sync view that sleeps, which
  shows that the pushes leave from the context the request arrived with, not the
  page's.
- In process: the handler serves a static request that inherited a context whose
  thread is busy, with Django's answers: 200 and the file, 404, and 400 for a path
  that leaves the static folders (Django's own handler lets that escape as a 500),
  which a client gets from the server too.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async

from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile, client_context
from harness.constants import CSS_PATH, JS_PATH, STATIC_DIR
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory

pytestmark = pytest.mark.e2e

SETTINGS = "tests.support.apps.syncview_settings"
ASSETS = {
    CSS_PATH: (STATIC_DIR / "css" / "base.css").read_bytes(),
    JS_PATH: (STATIC_DIR / "js" / "app.js").read_bytes(),
}
PAGES = {"sync": "/syncview/sync/", "async": "/syncview/async/"}
# The view's sleep (syncview_urls' default), and how soon an asset served while the
# view sleeps must be complete: a fifth of the sleep leaves room for a busy machine.
VIEW_MS = 1000
ASSET_MS = 300
TIMEOUT = 15.0


@pytest.fixture
def server(h2server_factory: H2ServerFactory) -> Iterator[ServerProcess]:
    server = h2server_factory(settings=SETTINGS)
    warm_up(server)
    yield server
    assert server.alive(), server.errors()


def warm_up(server: ServerProcess) -> None:
    """One quick visit to each page first: the first request of a process also pays
    for imports and for opening the learned store, which is not what is measured."""
    with connect(server) as conn:
        for page in PAGES.values():
            assert conn.request(f"{page}?ms=0").status == 200


def connect(server: ServerProcess) -> H2Connection:
    return H2Connection(server.host, server.port, cafile=cafile(server), timeout=TIMEOUT)


def describe(exchange: Exchange) -> str:
    """The timeline in milliseconds since the request, for assertion messages."""
    return "\n".join(
        f"{exchange.ms(event.at):8.1f} ms  {event.kind} {event.detail}" for event in exchange.events
    )


def page_ms(exchange: Exchange) -> float:
    at = next(event.at for event in exchange.events if event.kind == "headers")
    return exchange.ms(at)


# ----------------------------------------------------------------------- push


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_pushed_assets_complete_while_the_view_sleeps(server: ServerProcess, kind: str) -> None:
    with connect(server) as conn:
        exchange = conn.request(PAGES[kind])
    timeline = describe(exchange)
    assert exchange.status == 200, timeline
    assert page_ms(exchange) >= VIEW_MS, timeline
    assert sorted(exchange.pushed_paths) == sorted(ASSETS), timeline
    for path, content in ASSETS.items():
        promise = exchange.promise_for(path)
        assert promise is not None and promise.status == 200, timeline
        assert promise.body == content, path
        assert promise.finished_at is not None, timeline
        assert exchange.ms(promise.finished_at) < ASSET_MS, timeline


def test_a_pushed_view_completes_while_a_sync_view_sleeps(server: ServerProcess) -> None:
    with connect(server) as conn:
        exchange = conn.request("/syncview/sync-api/")
    timeline = describe(exchange)
    assert page_ms(exchange) >= VIEW_MS, timeline
    promise = exchange.promise_for("/syncview/menu.json")
    assert promise is not None and promise.status == 200, timeline
    assert promise.finished_at is not None, timeline
    assert exchange.ms(promise.finished_at) < ASSET_MS, timeline


# ---------------------------------------------------------------- the browser's way


@dataclass
class BrowserTimes:
    """Milliseconds from sending the page's request."""

    hint: float | None = None
    asset_end: float | None = None
    asset_status: int | None = None
    asset_body: bytes = b""
    page_headers: float | None = None
    page_end: float | None = None


class BrowserLike:
    """An h2 client that refuses push and, like a browser after a 103, requests the
    stylesheet itself on the same connection while the page is still coming."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.times = BrowserTimes()
        self.started = 0.0
        self.page_stream = 0
        self.asset_stream: int | None = None

    def run(self, page: str) -> BrowserTimes:
        with self._socket() as sock:
            self.h2.initiate_connection()
            self.h2.update_settings({h2.settings.SettingCodes.ENABLE_PUSH: 0})
            self.started = time.monotonic()
            self.page_stream = self._get(page, "navigate", "document")
            sock.sendall(self.h2.data_to_send())
            while self.times.page_end is None or self._asset_pending():
                data = sock.recv(65536)
                assert data, "the server closed the connection"
                for event in self.h2.receive_data(data):
                    self._handle(event)
                sock.sendall(self.h2.data_to_send())
        return self.times

    def _asset_pending(self) -> bool:
        return self.asset_stream is not None and self.times.asset_end is None

    def _socket(self) -> ssl.SSLSocket:
        context = client_context(self.server, alpn=["h2"])
        raw = socket.create_connection((self.server.host, self.server.port), timeout=TIMEOUT)
        return context.wrap_socket(raw, server_hostname=self.server.host)

    def _get(self, path: str, mode: str, dest: str) -> int:
        stream_id: int = self.h2.get_next_available_stream_id()
        headers = [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", self.server.netloc),
            (":path", path),
            ("sec-fetch-mode", mode),
            ("sec-fetch-dest", dest),
        ]
        self.h2.send_headers(stream_id, headers, end_stream=True)
        return stream_id

    def _ms(self) -> float:
        return (time.monotonic() - self.started) * 1000

    def _handle(self, event: h2.events.Event) -> None:
        stream = getattr(event, "stream_id", None)
        is_page, is_asset = stream == self.page_stream, stream == self.asset_stream
        if isinstance(event, h2.events.InformationalResponseReceived) and is_page:
            self._on_hint()
        elif isinstance(event, h2.events.ResponseReceived) and is_page:
            self.times.page_headers = self._ms()
        elif isinstance(event, h2.events.ResponseReceived) and is_asset:
            self.times.asset_status = int(dict(event.headers or [])[b":status"])
        elif isinstance(event, h2.events.DataReceived):
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if is_asset:
                self.times.asset_body += event.data
        elif isinstance(event, h2.events.StreamEnded) and is_page:
            self.times.page_end = self._ms()
        elif isinstance(event, h2.events.StreamEnded) and is_asset:
            self.times.asset_end = self._ms()

    def _on_hint(self) -> None:
        # A browser acts on the first 103 only, and asks for the asset at once.
        if self.times.hint is None:
            self.times.hint = self._ms()
            self.asset_stream = self._get(CSS_PATH, "no-cors", "style")


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_hinted_asset_requested_after_the_103_is_served_while_the_view_sleeps(
    server: ServerProcess, kind: str
) -> None:
    times = BrowserLike(server).run(PAGES[kind])
    assert times.hint is not None and times.hint < ASSET_MS, times
    assert times.page_headers is not None and times.page_headers >= VIEW_MS, times
    assert times.asset_status == 200, times
    assert times.asset_body == ASSETS[CSS_PATH]
    assert times.asset_end is not None and times.asset_end < ASSET_MS, times


# ----------------------------------------------------------------- in process


async def _drain(handler: Any, path: str) -> tuple[int, bytes, float]:
    """``handler``'s answer to a GET of ``path``: status, body, seconds it took."""
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "2",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 443),
    }
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect until the handler is done
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    started = time.monotonic()
    await handler(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body, time.monotonic() - started


async def _while_the_thread_sleeps(path: str) -> tuple[int, bytes, float]:
    """Serve ``path`` from inside a thread-sensitive context whose thread sleeps,
    as a promised request inherits it from a page whose sync view is running."""
    from h2push.server.wiring import wire_application

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError(f"a static path reached the inner application: {scope['path']}")

    # H2PushMiddleware(static files handler(inner)): the handler is the adapter's app.
    wired: Any = wire_application(inner, serve_static=True)
    handler = wired.app
    async with ThreadSensitiveContext():
        sleeper = asyncio.create_task(sync_to_async(time.sleep)(VIEW_MS / 1000))
        await asyncio.sleep(0.05)  # the sleep has the context's thread now
        try:
            return await _drain(handler, path)
        finally:
            await sleeper


def test_handler_serves_an_inherited_context_without_its_busy_thread() -> None:
    status, body, seconds = asyncio.run(_while_the_thread_sleeps(CSS_PATH))
    assert status == 200
    assert body == ASSETS[CSS_PATH]
    assert seconds * 1000 < ASSET_MS


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/missing.css",
        "/static/../testproject/settings.py",
        "/static/css/../../settings.py",
        "/static/%2e%2e/testproject/settings.py",
    ],
)
def test_handler_keeps_djangos_answers_for_missing_and_traversing_paths(path: str) -> None:
    status, body, _ = asyncio.run(_while_the_thread_sleeps(path))
    assert status in (400, 404), body[:200]
    # The settings file's own text (its secret's value) never comes back.
    assert b"h2push-testproject-not-secret" not in body


def test_server_answers_a_path_leaving_the_static_folders_with_a_400(
    server: ServerProcess,
) -> None:
    with connect(server) as conn:
        exchanges = conn.request_many(["/static/css/../../settings.py", "/static/css/none.css"])
    assert [exchange.status for exchange in exchanges] == [400, 404]
    assert server.alive(), server.errors()
