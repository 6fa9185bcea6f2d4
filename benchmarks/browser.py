"""A client that loads a page and its stylesheet as a browser's preload scanner does.

It refuses push (``SETTINGS_ENABLE_PUSH = 0``, like every current browser) and asks
for the page's stylesheet, on the same connection, at the first moment it learns
its URL: from a ``103 Early Hints`` response, else from the final response's
``Link: rel=preload`` header, else from a ``<link rel="stylesheet">`` in the HTML
received so far.

:mod:`h2push.probe` answers a request only once its stream has ended, so it cannot
send the second request while the first still waits; this client reacts to each
event as it arrives. Everything else the benchmarks fetch goes through the probe.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import h2.config
import h2.connection
import h2.events
import h2.settings
from h2.settings import SettingCodes

from h2push.core.linkheader import parse_link, split_links

__all__ = ["BrowserConnection", "PageLoad", "preloaded_style"]

_STYLESHEET = re.compile(rb"<link\s+rel=\"stylesheet\"\s+href=\"([^\"]+)\"")
_PAGE_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"
_CSS_ACCEPT = "text/css,*/*;q=0.1"
Headers = list[tuple[bytes, bytes]]


def _values(headers: Headers, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]


def _status(headers: Headers) -> int:
    return int(_values(headers, b":status")[0])


def _local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def preloaded_style(headers: Headers) -> str | None:
    """The first same-origin ``rel=preload; as=style`` target among the ``Link`` fields."""
    for header in _values(headers, b"link"):
        for value in split_links(header):
            link = parse_link(value)
            if link and link.is_preload and link.params.get("as") == "style" and _local(link.url):
                return link.url
    return None


@dataclass
class PageLoad:
    """The times of one page load, in milliseconds from sending the page request."""

    status: int = 0
    hint_ms: float | None = None
    page_headers_ms: float | None = None
    page_done_ms: float | None = None
    css_requested_ms: float | None = None
    css_done_ms: float | None = None
    css_status: int = 0
    css_path: str | None = None
    css_source: str | None = None  # "103", "link header" or "html"
    page_bytes: int = 0
    css_bytes: int = 0
    interim: list[int] = field(default_factory=list)

    @property
    def ready_ms(self) -> float:
        """When the page and its stylesheet were both complete (the first render)."""
        assert self.page_done_ms is not None and self.css_done_ms is not None
        return max(self.page_done_ms, self.css_done_ms)

    @property
    def complete(self) -> bool:
        return self.page_done_ms is not None and self.css_done_ms is not None


def _client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a throwaway certificate on loopback
    context.set_alpn_protocols(["h2"])
    return context


def _h2_client() -> h2.connection.H2Connection:
    config = h2.config.H2Configuration(client_side=True, header_encoding=None)
    conn = h2.connection.H2Connection(config=config)
    # A browser's settings: no push, large windows so flow control never waits.
    conn.local_settings = h2.settings.Settings(
        client=True,
        initial_values={
            SettingCodes.ENABLE_PUSH: 0,
            SettingCodes.MAX_CONCURRENT_STREAMS: 100,
            SettingCodes.INITIAL_WINDOW_SIZE: 6 * 1024 * 1024,
        },
    )
    conn.initiate_connection()
    conn.increment_flow_control_window(15 * 1024 * 1024)
    return conn


class BrowserConnection:
    """One TLS connection speaking HTTP/2 with push refused. Not thread-safe."""

    def __init__(self, host: str, port: int, *, timeout: float = 15.0) -> None:
        self.host, self.port = host, port
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = _client_context().wrap_socket(raw, server_hostname=host)
        if self.sock.selected_alpn_protocol() != "h2":
            self.sock.close()
            raise ConnectionError(f"{host}:{port} did not agree to HTTP/2")
        self.conn = _h2_client()
        self.flush()
        # The handshake is not timed: wait for the server's SETTINGS before loading.
        while not any(isinstance(e, h2.events.RemoteSettingsChanged) for e in self.read()):
            pass

    def close(self) -> None:
        try:
            self.conn.close_connection()
            self.flush()
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def read(self) -> list[h2.events.Event]:
        """The events of the next bytes received; a reset or GOAWAY raises."""
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError(f"{self.host}:{self.port} closed the connection")
        events = self.conn.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.DataReceived) and event.flow_controlled_length:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if isinstance(event, h2.events.StreamReset):
                raise ConnectionError(f"stream {event.stream_id} reset ({event.error_code!r})")
            if isinstance(event, h2.events.ConnectionTerminated):
                raise ConnectionError(f"GOAWAY ({event.error_code!r})")
        self.flush()
        return events

    def get(self, path: str, accept: str) -> int:
        """Send a GET; return its stream id."""
        stream_id: int = self.conn.get_next_available_stream_id()
        headers = [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", f"{self.host}:{self.port}"),
            (":path", path),
            ("user-agent", "h2push-benchmark"),
            ("accept", accept),
        ]
        self.conn.send_headers(stream_id, headers, end_stream=True)
        self.flush()
        return stream_id

    def load(self, path: str) -> PageLoad:
        """Load ``path`` and its stylesheet; return once both have arrived."""
        return _PageLoader(self, path).run()


class _PageLoader:
    """One page load in progress: reacts to each event on the page's and CSS's streams."""

    def __init__(self, connection: BrowserConnection, path: str) -> None:
        self.connection, self.path = connection, path
        self.result = PageLoad()
        self.started = time.monotonic()
        self.page = connection.get(path, _PAGE_ACCEPT)
        self.css: int | None = None
        self.body = b""

    def run(self) -> PageLoad:
        while not self.result.complete:
            events = self.connection.read()
            now = (time.monotonic() - self.started) * 1000.0
            for event in events:
                self.handle(event, now)
        return self.result

    def request_css(self, url: str | None, source: str, now: float) -> None:
        if self.css is not None or url is None:
            return
        self.css = self.connection.get(url, _CSS_ACCEPT)
        self.result.css_requested_ms, self.result.css_path = now, url
        self.result.css_source = source

    def handle(self, event: h2.events.Event, now: float) -> None:
        stream = getattr(event, "stream_id", None)
        if isinstance(event, h2.events.InformationalResponseReceived) and stream == self.page:
            self.on_interim(event.headers, now)
        elif isinstance(event, h2.events.ResponseReceived):
            self.on_response(stream, event.headers, now)
        elif isinstance(event, h2.events.DataReceived):
            self.on_data(stream, event.data, now)
        elif isinstance(event, h2.events.StreamEnded):
            self.on_end(stream, now)

    def on_interim(self, headers: Headers, now: float) -> None:
        status = _status(headers)
        self.result.interim.append(status)
        if status == 103 and self.result.hint_ms is None:
            self.result.hint_ms = now
            self.request_css(preloaded_style(headers), "103", now)

    def on_response(self, stream: int | None, headers: Headers, now: float) -> None:
        if stream == self.page:
            self.result.status, self.result.page_headers_ms = _status(headers), now
            self.request_css(preloaded_style(headers), "link header", now)
        elif stream == self.css:
            self.result.css_status = _status(headers)

    def on_data(self, stream: int | None, data: bytes, now: float) -> None:
        if stream == self.page:
            self.body += data
            self.result.page_bytes += len(data)
            match = _STYLESHEET.search(self.body)
            self.request_css(match.group(1).decode() if match else None, "html", now)
        elif stream == self.css:
            self.result.css_bytes += len(data)

    def on_end(self, stream: int | None, now: float) -> None:
        if stream == self.page:
            self.result.page_done_ms = now
            if self.css is None:
                raise RuntimeError(f"{self.path} names no stylesheet")
        elif stream == self.css:
            self.result.css_done_ms = now
