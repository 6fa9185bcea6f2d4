"""A browser-like HTTP/2 client for ``scripts/benchmark.py early-hints``.

It loads a page the way a browser's preload logic does: it refuses push
(SETTINGS_ENABLE_PUSH=0, as every current browser), and it requests the page's
stylesheet on the same connection at the first moment it learns its URL: a
``103 Early Hints`` response, else the final response's ``Link: rel=preload``
header, else a ``<link rel="stylesheet">`` in the HTML received so far.

``h2push.probe`` answers a request only once its stream has ended, so it cannot
send a second request while the first is still waiting; this client can. It uses
nothing but :mod:`socket`, :mod:`ssl` and the ``h2`` state machine.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.settings
from h2.settings import SettingCodes

__all__ = ["BrowserConnection", "PageLoad", "fetch_once"]

_STYLESHEET = re.compile(rb"<link\s+rel=\"stylesheet\"\s+href=\"([^\"]+)\"")


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]


def preloaded_style(link_values: list[str]) -> str | None:
    """The first same-origin ``rel=preload; as=style`` target among ``Link`` values."""
    for header in link_values:
        for value in header.split(","):
            parts = [part.strip() for part in value.split(";")]
            if not parts[0].startswith("</"):
                continue
            params = {p.replace(" ", "").lower() for p in parts[1:]}
            if "rel=preload" in params and "as=style" in params:
                return parts[0][1:-1]
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
        """When the page and its stylesheet were both complete (first render)."""
        assert self.page_done_ms is not None and self.css_done_ms is not None
        return max(self.page_done_ms, self.css_done_ms)


class BrowserConnection:
    """One TLS connection speaking HTTP/2 with push refused. Not thread-safe."""

    def __init__(self, host: str, port: int, *, timeout: float = 15.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # a throwaway loopback certificate
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = context.wrap_socket(raw, server_hostname=host)
        if self.sock.selected_alpn_protocol() != "h2":
            self.sock.close()
            raise ConnectionError(f"{host}:{port} did not agree to HTTP/2")
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                SettingCodes.ENABLE_PUSH: 0,
                SettingCodes.MAX_CONCURRENT_STREAMS: 100,
                SettingCodes.INITIAL_WINDOW_SIZE: 6 * 1024 * 1024,
            },
        )
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(15 * 1024 * 1024)
        self._flush()
        settled = False
        while not settled:
            for event in self._read():
                settled = settled or isinstance(event, h2.events.RemoteSettingsChanged)

    def close(self) -> None:
        try:
            self.conn.close_connection()
            self._flush()
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> BrowserConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def _read(self) -> list[h2.events.Event]:
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
        self._flush()
        return events

    def _get(self, path: str, accept: str) -> int:
        stream_id: int = self.conn.get_next_available_stream_id()
        self.conn.send_headers(
            stream_id,
            [
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", f"{self.host}:{self.port}"),
                (":path", path),
                ("user-agent", "h2push-benchmark"),
                ("accept", accept),
            ],
            end_stream=True,
        )
        self._flush()
        return stream_id

    def load(self, path: str) -> PageLoad:
        """Load ``path`` and its stylesheet; return when both have arrived."""
        result = PageLoad()
        started = time.monotonic()

        def ms() -> float:
            return (time.monotonic() - started) * 1000.0

        page = self._get(path, "text/html,application/xhtml+xml,*/*;q=0.8")
        css: int | None = None
        body = b""

        def request_css(url: str | None, source: str) -> None:
            nonlocal css
            if css is not None or url is None:
                return
            css = self._get(url, "text/css,*/*;q=0.1")
            result.css_requested_ms, result.css_path, result.css_source = ms(), url, source

        while result.page_done_ms is None or result.css_done_ms is None:
            events = self._read()
            now = ms()
            for event in events:
                stream = getattr(event, "stream_id", None)
                if isinstance(event, h2.events.InformationalResponseReceived) and stream == page:
                    status = int(_header(event.headers, b":status")[0])
                    result.interim.append(status)
                    if status == 103 and result.hint_ms is None:
                        result.hint_ms = now
                        request_css(preloaded_style(_header(event.headers, b"link")), "103")
                elif isinstance(event, h2.events.ResponseReceived):
                    status = int(_header(event.headers, b":status")[0])
                    if stream == page:
                        result.status, result.page_headers_ms = status, now
                        request_css(preloaded_style(_header(event.headers, b"link")), "link header")
                    elif stream == css:
                        result.css_status = status
                elif isinstance(event, h2.events.DataReceived):
                    if stream == page:
                        body += event.data
                        result.page_bytes += len(event.data)
                        match = _STYLESHEET.search(body)
                        request_css(match.group(1).decode() if match else None, "html")
                    elif stream == css:
                        result.css_bytes += len(event.data)
                elif isinstance(event, h2.events.StreamEnded):
                    if stream == page:
                        result.page_done_ms = now
                        if css is None:
                            raise RuntimeError(f"{path} names no stylesheet")
                    elif stream == css:
                        result.css_done_ms = now
        return result


def fetch_once(
    host: str, port: int, path: str, timeout: float = 30.0
) -> tuple[int, list[int], list[str]]:
    """One GET on a fresh connection: the final status, the interim statuses and the
    final response's ``Link`` values.

    Used to wait until a server answers and to check that it answers as expected.
    """
    with BrowserConnection(host, port, timeout=timeout) as connection:
        stream = connection._get(path, "text/html,*/*;q=0.8")
        status, interim, links, ended = 0, [], [], False
        while not ended:
            for event in connection._read():
                if getattr(event, "stream_id", None) != stream:
                    continue
                if isinstance(event, h2.events.InformationalResponseReceived):
                    interim.append(int(_header(event.headers, b":status")[0]))
                elif isinstance(event, h2.events.ResponseReceived):
                    status = int(_header(event.headers, b":status")[0])
                    links = _header(event.headers, b"link")
                elif isinstance(event, h2.events.StreamEnded):
                    ended = True
        return status, interim, links
