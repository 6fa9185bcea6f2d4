"""The probe's event hook (``on_event``) and requests added while a call runs
(``add_request``), without a network: the server is an ``h2`` state machine in this
process, behind a stand-in for the TLS transport."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import h2.config
import h2.connection
import h2.events
import pytest

import h2push.probe.client
from h2push.probe import H2Connection, ProbeError

Seen = list[tuple[type[h2.events.Event], int | None, float]]


class InMemoryTransport:
    """Stands in for :class:`~h2push.probe.transport.TLSTransport`: what the client
    sends goes straight into a server-side ``h2`` connection, which answers at once;
    each read returns what the server queued, stamped 1.0, 2.0, ...

    ``/page`` gets a 103 naming ``/style.css`` at once and its final response only
    once another request came: it ends only if the client asked while it waited.
    """

    def __init__(self, host: str, port: int, *, server_hostname: str, timeout: float) -> None:
        self.server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        self.server.initiate_connection()
        self.clock = itertools.count(1.0)
        self.waiting_page: int | None = None
        self.closed = False
        self.connect_started_at = self.tcp_connected_at = self.tls_connected_at = 0.0
        self.tls_version = self.cipher = self.alpn_protocol = None

    def open(self, context: object, alpn: object) -> None:
        pass

    def send(self, data: bytes) -> None:
        for event in self.server.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                self.answer(event.stream_id, dict(event.headers or [])[b":path"])

    def answer(self, stream_id: int, path: bytes) -> None:
        if path == b"/page":
            hint = [(":status", "103"), ("link", "</style.css>; rel=preload; as=style")]
            self.server.send_headers(stream_id, hint)
            self.waiting_page = stream_id
            return
        self.respond(stream_id, b"body{}")
        if self.waiting_page is not None:
            self.respond(self.waiting_page, b"<p>page</p>")
            self.waiting_page = None

    def respond(self, stream_id: int, body: bytes) -> None:
        headers = [(":status", "200"), ("content-length", str(len(body)))]
        self.server.send_headers(stream_id, headers)
        self.server.send_data(stream_id, body, end_stream=True)

    def receive(self, waiting_for: Callable[[], str]) -> tuple[bytes, float]:
        data = self.server.data_to_send()
        # A real server would leave the client waiting; here that is a bug in the test.
        assert data, f"the client waits for {waiting_for()} and the server has nothing"
        return data, float(next(self.clock))

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(h2push.probe.client, "TLSTransport", InMemoryTransport)


def test_the_hook_sees_each_event_with_its_read_time() -> None:
    seen: Seen = []

    def record(event: h2.events.Event, at: float) -> None:
        seen.append((type(event), getattr(event, "stream_id", None), at))

    with H2Connection("127.0.0.1", 8443, on_event=record) as connection:
        settings_read = [at for kind, _, at in seen if kind is h2.events.RemoteSettingsChanged]
        assert settings_read == [1.0]  # the hook sees the connection's own frames too
        seen.clear()
        connection.on_event = None
        connection.request_many(["/style.css"])
        assert seen == []  # switched off between requests
        connection.on_event = record
        (exchange,) = connection.request_many(["/style.css"])
    kinds = [(kind, stream) for kind, stream, _ in seen]
    stream = exchange.stream_id
    assert (h2.events.ResponseReceived, stream) in kinds
    assert (h2.events.DataReceived, stream) in kinds
    assert kinds.index((h2.events.StreamEnded, stream)) > kinds.index(
        (h2.events.ResponseReceived, stream)
    )
    # The events' times are the read times the exchange records too.
    assert {at for _, s, at in seen if s == stream} == {e.at for e in exchange.events}


def test_a_request_added_from_the_hook_joins_the_running_call() -> None:
    with H2Connection("127.0.0.1", 8443) as connection:

        def ask_for_the_stylesheet(event: h2.events.Event, at: float) -> None:
            if isinstance(event, h2.events.InformationalResponseReceived):
                connection.add_request("/style.css", headers={"accept": "text/css"})

        connection.on_event = ask_for_the_stylesheet
        page, style = connection.request_many(["/page"])
    assert (page.path, page.status, page.body) == ("/page", 200, b"<p>page</p>")
    assert (style.path, style.status, style.body) == ("/style.css", 200, b"body{}")
    assert ("accept", "text/css") in style.request_headers
    # Asked for after the 103 was read, and complete before the page was.
    assert style.started_at >= page.early_hints[0].received_at
    assert style.finished_at <= page.finished_at


def test_add_request_outside_a_running_call_is_refused() -> None:
    with H2Connection("127.0.0.1", 8443) as connection, pytest.raises(ProbeError, match="only"):
        connection.add_request("/style.css")
