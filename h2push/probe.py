"""A small synchronous HTTP/2 client that shows what a server really sends.

Browsers refuse server push and curl's command line cannot show it, so this client
accepts pushes (unless told not to) and records, per request, every 103 response,
every PUSH_PROMISE with its pushed response, and an ordered timeline of frames.
The ``h2probe`` management command prints that; the end-to-end tests assert on it.

It speaks HTTP/2 over TLS only (ALPN ``h2``), with nothing but :mod:`socket`,
:mod:`ssl` and the ``h2`` state machine, and every wait is bounded by ``timeout``.

Certificates: ``verify=None`` (the default) verifies them except for loopback hosts
(``localhost``, ``127.0.0.0/8``, ``::1``), where development servers use
self-signed certificates. ``verify=True``/``False`` or ``cafile=`` decide explicitly.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from types import TracebackType
from typing import Final, NamedTuple, Self, TypeAlias
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.errors import ErrorCodes
from h2.settings import SettingCodes

__all__ = [
    "DEFAULT_ACCEPT",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ALPNError",
    "ConnectError",
    "ConnectionClosed",
    "Exchange",
    "GoAwayError",
    "H2Connection",
    "Interim",
    "InvalidURL",
    "ProbeError",
    "ProbeTimeout",
    "Promise",
    "ProtocolViolation",
    "Request",
    "StreamResetError",
    "TLSError",
    "Target",
    "TimelineEvent",
    "error_code_name",
    "fetch",
    "is_loopback",
    "parse_url",
]

HeaderList: TypeAlias = list[tuple[str, str]]
HeadersArg: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_ACCEPT: Final = "text/html,application/xhtml+xml,*/*;q=0.8"

# A refused stream was never processed (RFC 9113 section 8.7), so it is safe to
# send again; the bound only stops a server that refuses everything from looping.
_MAX_REFUSED_RETRIES: Final = 3
_FRAME_HEADER_SIZE: Final = 9
_PUSH_PROMISE_TYPE: Final = 0x5
_GOAWAY_TYPE: Final = 0x7


def _package_version() -> str:
    try:
        return metadata.version("h2push")
    except metadata.PackageNotFoundError:
        return "dev"


USER_AGENT: Final = f"h2push-probe/{_package_version()}"


# --------------------------------------------------------------------------- errors


class ProbeError(Exception):
    """The probe could not do what was asked; the message says why, on one line."""


class InvalidURL(ProbeError, ValueError):
    """The URL is not an ``https://host[:port]/path`` URL."""


class ConnectError(ProbeError):
    """No TCP connection: the name does not resolve, or the port refuses or is unreachable."""


class TLSError(ProbeError):
    """The TLS handshake failed, certificate verification included."""


class ALPNError(ProbeError):
    """TLS worked but the server did not agree to speak ``h2``."""

    def __init__(self, message: str, negotiated: str | None) -> None:
        super().__init__(message)
        self.negotiated = negotiated


class ProbeTimeout(ProbeError):
    """The server sent nothing for ``timeout`` seconds while the probe waited."""


class ConnectionClosed(ProbeError):
    """The server closed the connection while requests were unfinished."""


class GoAwayError(ConnectionClosed):
    """The server sent GOAWAY while requests or pushed streams were unfinished."""

    def __init__(
        self, message: str, error_code: int, last_stream_id: int, debug_data: bytes
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.last_stream_id = last_stream_id
        self.debug_data = debug_data


class StreamResetError(ProbeError):
    """The server reset a request's stream (RST_STREAM) before the response ended."""

    def __init__(self, message: str, stream_id: int, path: str, error_code: int) -> None:
        super().__init__(message)
        self.stream_id = stream_id
        self.path = path
        self.error_code = error_code


class ProtocolViolation(ProbeError):
    """The server broke an HTTP/2 rule; the probe answered with GOAWAY and gave up."""


def error_code_name(code: int) -> str:
    """``ErrorCodes`` name of an HTTP/2 error code, or its hex value if unknown."""
    try:
        return ErrorCodes(code).name
    except ValueError:
        return f"0x{code:x}"


def _setting_name(code: int) -> str:
    try:
        return SettingCodes(code).name
    except ValueError:
        return f"0x{code:x}"


# ------------------------------------------------------------------------ results


class TimelineEvent(NamedTuple):
    """One step of an exchange, in the order the frames arrived.

    ``kind`` is one of ``push_promise`` (detail: promised path), ``informational``
    (status, e.g. ``"103"``), ``headers`` (final status), ``data`` (byte count),
    ``trailers`` (number of fields), ``end``, and, for pushed streams, ``push_headers``
    (``"<path> <status>"``), ``push_end`` (path) and ``push_reset``
    (``"<path> <error>"``). ``at`` is :func:`time.monotonic` when the bytes were read.
    """

    kind: str
    detail: str
    at: float


def _values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    name = name.lower()
    return [value for key, value in headers if key == name]


def _joined(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    # Combining repeated fields with ", " is RFC 9110's rule (section 5.3).
    values = _values(headers, name)
    return ", ".join(values) if values else None


@dataclass(repr=False)
class Interim:
    """An informational (1xx) response, such as 103 Early Hints."""

    status: int
    headers: HeaderList
    received_at: float

    @property
    def links(self) -> list[str]:
        """The values of its ``link`` fields, one per field line, as sent."""
        return _values(self.headers, "link")

    def header_values(self, name: str) -> list[str]:
        return _values(self.headers, name)

    def __repr__(self) -> str:
        return f"<Interim {self.status} links={self.links!r}>"


@dataclass(repr=False)
class Promise:
    """One PUSH_PROMISE and the response pushed on its stream.

    ``headers`` are the promised request's fields, pseudo fields included.
    ``status`` stays ``None`` if the server never answered the promise (it was
    reset: see ``reset_code``).
    """

    path: str
    headers: HeaderList
    stream_id: int
    parent_stream_id: int
    received_at: float
    status: int | None = None
    response_headers: HeaderList = field(default_factory=list)
    body: bytes = b""
    finished_at: float | None = None
    reset_code: int | None = None

    def header(self, name: str) -> str | None:
        """A field of the promised request, e.g. ``":authority"``."""
        return _joined(self.headers, name)

    def response_header(self, name: str) -> str | None:
        return _joined(self.response_headers, name)

    def __repr__(self) -> str:
        state = f"reset {error_code_name(self.reset_code)}" if self.reset_code is not None else ""
        return (
            f"<Promise {self.path} stream={self.stream_id} status={self.status} "
            f"{len(self.body)} bytes{(' ' + state) if state else ''}>"
        )


@dataclass(repr=False)
class Exchange:
    """One request and everything the server sent for it.

    ``started_at`` is when its HEADERS frame was handed to the socket;
    ``finished_at`` when the last of its stream and its pushed streams ended.
    Both, and every ``received_at``/``at``, are :func:`time.monotonic` values.
    """

    method: str
    path: str
    stream_id: int
    request_headers: HeaderList
    status: int
    headers: HeaderList
    body: bytes
    trailers: HeaderList
    interim: list[Interim]
    promises: list[Promise]
    events: list[TimelineEvent]
    started_at: float
    finished_at: float

    def header(self, name: str) -> str | None:
        """A response field; repeated fields are joined with ``", "``."""
        return _joined(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        return _values(self.headers, name)

    @property
    def links(self) -> list[str]:
        """The values of the final response's ``link`` fields."""
        return _values(self.headers, "link")

    @property
    def early_hints(self) -> list[Interim]:
        return [interim for interim in self.interim if interim.status == 103]

    @property
    def pushed_paths(self) -> list[str]:
        return [promise.path for promise in self.promises]

    def promise_for(self, path: str) -> Promise | None:
        return next((p for p in self.promises if p.path == path), None)

    @property
    def promised_before_headers(self) -> bool:
        """Whether every PUSH_PROMISE arrived before the final response's HEADERS.

        RFC 9113 section 8.4 asks for this: the page's ``Link`` header refers to
        the pushed resources, so their promises belong before it. False when
        there were no promises, so that an assertion on it cannot pass vacuously.
        """
        kinds = [event.kind for event in self.events]
        if "push_promise" not in kinds or "headers" not in kinds:
            return False
        last_promise = len(kinds) - 1 - kinds[::-1].index("push_promise")
        return last_promise < kinds.index("headers")

    def ms(self, at: float) -> float:
        """Milliseconds from sending the request to ``at``."""
        return (at - self.started_at) * 1000.0

    @property
    def duration_ms(self) -> float:
        return self.ms(self.finished_at)

    def __repr__(self) -> str:
        return (
            f"<Exchange {self.method} {self.path} stream={self.stream_id} {self.status}, "
            f"{len(self.body)} bytes, {len(self.interim)} interim, "
            f"{len(self.promises)} promises>"
        )


# ------------------------------------------------------------------------ requests


@dataclass(frozen=True)
class Request:
    """What :meth:`H2Connection.request_many` sends; a plain ``str`` means a GET of that path."""

    path: str = "/"
    method: str = "GET"
    headers: HeadersArg | None = None
    body: bytes = b""


class Target(NamedTuple):
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """Split ``https://host[:port][/path][?query]`` into host, port and path."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"invalid URL {url!r}: {exc}") from None
    if parts.scheme.lower() != "https":
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise InvalidURL(
            f"not an https:// URL ({shown}): {url!r}; the probe speaks HTTP/2 over TLS only"
        )
    if not parts.hostname:
        raise InvalidURL(f"no host in URL {url!r}")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.hostname, port if port is not None else 443, path)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a loopback address."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _text(value: bytes | str) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        # Field values were ISO-8859-1 historically; decoding so never fails and
        # loses nothing, which matters more to a diagnostic than pretty text.
        return value.decode("latin-1")


def _decode_headers(headers: Iterable[tuple[bytes | str, bytes | str]] | None) -> HeaderList:
    return [(_text(name), _text(value)) for name, value in headers or ()]


def _header_items(headers: HeadersArg | None) -> HeaderList:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name).lower(), str(value)) for name, value in items]


# --------------------------------------------------------------------- internals


class _Push:
    __slots__ = ("body", "call", "promise")

    def __init__(self, promise: Promise, call: _Call) -> None:
        self.promise = promise
        self.call = call
        self.body = bytearray()

    @property
    def done(self) -> bool:
        return self.promise.finished_at is not None


class _Call:
    """One request while it is queued or in flight."""

    def __init__(self, request: Request, headers: HeaderList) -> None:
        self.request = request
        self.headers = headers
        self.refused = 0
        self.clear()

    def clear(self) -> None:
        self.stream_id = 0
        self.started_at = 0.0
        self.status: int | None = None
        self.response_headers: HeaderList = []
        self.body = bytearray()
        self.trailers: HeaderList = []
        self.interim: list[Interim] = []
        self.pushes: list[_Push] = []
        self.events: list[TimelineEvent] = []
        self.ended_at: float | None = None
        self.body_sent = 0

    def exchange(self) -> Exchange:
        if self.status is None or self.ended_at is None:
            raise ProtocolViolation(
                f"stream {self.stream_id} ({self.request.path}) ended without a final response"
            )
        for push in self.pushes:
            push.promise.body = bytes(push.body)
        finished = max(
            [self.ended_at, *(p.promise.finished_at or self.ended_at for p in self.pushes)]
        )
        return Exchange(
            method=self.request.method,
            path=self.request.path,
            stream_id=self.stream_id,
            request_headers=self.headers,
            status=self.status,
            headers=self.response_headers,
            body=bytes(self.body),
            trailers=self.trailers,
            interim=self.interim,
            promises=[push.promise for push in self.pushes],
            events=self.events,
            started_at=self.started_at,
            finished_at=finished,
        )


# -------------------------------------------------------------------- connection


class H2Connection:
    """One TLS connection speaking HTTP/2, used as a context manager.

    ``request`` and ``request_many`` send, then read until their streams and all
    the streams pushed for them have ended. Not thread-safe.

    ``timeout`` bounds connecting, the TLS handshake and every wait for data: a
    server that stays silent that long raises :class:`ProbeTimeout`.
    ``max_concurrent_streams``, ``initial_window_size`` and ``max_frame_size`` are
    the client's SETTINGS (``None`` keeps h2's defaults: 100, 65535, 16384);
    ``connection_window_size`` enlarges the connection-level receive window.
    """

    def __init__(
        self,
        host: str,
        port: int = 443,
        *,
        enable_push: bool = True,
        authority: str | None = None,
        server_hostname: str | None = None,
        verify: bool | None = None,
        cafile: str | os.PathLike[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        alpn: Sequence[str] = ("h2",),
        timeout: float = DEFAULT_TIMEOUT,
        max_concurrent_streams: int | None = None,
        initial_window_size: int | None = None,
        max_frame_size: int | None = None,
        connection_window_size: int | None = None,
        user_agent: str = USER_AGENT,
        accept: str = DEFAULT_ACCEPT,
    ) -> None:
        if cafile is not None and verify is False:
            raise ValueError("cafile= needs certificate verification; do not pass verify=False")
        if ssl_context is not None and (verify is not None or cafile is not None):
            raise ValueError("pass either ssl_context= or verify=/cafile=, not both")
        self.host = host.strip("[]")
        self.port = port
        self.enable_push = enable_push
        bracketed = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = authority or f"{bracketed}:{port}"
        self.server_hostname = server_hostname or self.host
        if ssl_context is not None:
            self.verify = ssl_context.verify_mode != ssl.CERT_NONE
        elif verify is not None:
            self.verify = verify
        else:
            self.verify = cafile is not None or not is_loopback(self.host)
        self.cafile = cafile
        self.alpn = tuple(alpn)
        self.timeout = timeout
        self.user_agent = user_agent
        self.accept = accept
        self._ssl_context = ssl_context
        self._local_settings: dict[SettingCodes, int] = {
            SettingCodes.ENABLE_PUSH: int(enable_push),
            SettingCodes.MAX_CONCURRENT_STREAMS: (
                100 if max_concurrent_streams is None else max_concurrent_streams
            ),
            SettingCodes.MAX_HEADER_LIST_SIZE: 2**16,
        }
        if initial_window_size is not None:
            self._local_settings[SettingCodes.INITIAL_WINDOW_SIZE] = initial_window_size
        if max_frame_size is not None:
            self._local_settings[SettingCodes.MAX_FRAME_SIZE] = max_frame_size
        self._connection_window_size = connection_window_size

        self._sock: ssl.SSLSocket | None = None
        self._h2: h2.connection.H2Connection | None = None
        self._inbuf = bytearray()
        self._server_settings_seen = False
        self._goaway: GoAwayError | None = None
        self._closed = False
        self._queue: deque[_Call] = deque()
        self._calls: dict[int, _Call] = {}
        self._pushes: dict[int, _Push] = {}
        self._sending: list[_Call] = []
        self._open_pushes = 0
        # Responses plus pushed responses still expected; checking each call after
        # every read would cost O(requests) per read.
        self._outstanding = 0
        #: The most pushed streams that were open at once on this connection. RFC 9113
        #: lets a server open no more than the client's SETTINGS_MAX_CONCURRENT_STREAMS.
        self.max_open_pushed_streams = 0
        #: :func:`time.monotonic` values of the connection's milestones.
        self.connect_started_at = 0.0
        self.tcp_connected_at = 0.0
        self.tls_connected_at = 0.0
        self.ready_at = 0.0

    # -- context manager -----------------------------------------------------------

    def __enter__(self) -> Self:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._sock else "not connected"
        return f"<H2Connection {self.host}:{self.port} {state}>"

    # -- properties ------------------------------------------------------------------

    @property
    def tls_version(self) -> str | None:
        """E.g. ``"TLSv1.3"``; ``None`` before connecting."""
        return self._sock.version() if self._sock else None

    @property
    def cipher(self) -> str | None:
        """The negotiated cipher suite's OpenSSL name."""
        cipher = self._sock.cipher() if self._sock else None
        return cipher[0] if cipher else None

    @property
    def alpn_protocol(self) -> str | None:
        return self._sock.selected_alpn_protocol() if self._sock else None

    @property
    def server_settings(self) -> dict[str, int]:
        """The server's current SETTINGS values (RFC defaults for those it did not send)."""
        if self._h2 is None:
            return {}
        return {_setting_name(code): value for code, value in self._h2.remote_settings.items()}

    @property
    def connect_ms(self) -> float:
        """Milliseconds from starting to connect until the server's SETTINGS arrived."""
        return (self.ready_at - self.connect_started_at) * 1000.0

    # -- connecting ------------------------------------------------------------------

    def _make_ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is not None:
            context = self._ssl_context
        elif self.verify:
            context = ssl.create_default_context(cafile=self.cafile)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # RFC 9113 section 9.2: HTTP/2 over TLS needs TLS 1.2 or later.
        if context.minimum_version < ssl.TLSVersion.TLSv1_2:
            context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(list(self.alpn))
        return context

    def connect(self) -> Self:
        """Open TCP, TLS and HTTP/2, waiting for the server's SETTINGS. Idempotent."""
        if self._sock is not None:
            return self
        if self._closed:
            raise ProbeError("this connection was closed; open a new H2Connection")
        where = f"{self.host}:{self.port}"
        context = self._make_ssl_context()
        self.connect_started_at = time.monotonic()
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except ConnectionRefusedError:
            raise ConnectError(f"connection refused by {where}") from None
        except socket.gaierror as exc:
            raise ConnectError(f"cannot resolve host {self.host!r}: {exc.strerror}") from None
        except TimeoutError:
            raise ProbeTimeout(
                f"timed out after {self.timeout:g} s connecting to {where}"
            ) from None
        except OSError as exc:
            raise ConnectError(f"cannot connect to {where}: {exc.strerror or exc}") from None
        self.tcp_connected_at = time.monotonic()
        # Small frames (SETTINGS acks, WINDOW_UPDATEs) must not wait for Nagle.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock = context.wrap_socket(raw, server_hostname=self.server_hostname)
        except ssl.SSLCertVerificationError as exc:
            raw.close()
            raise TLSError(
                f"TLS certificate verification failed for {self.server_hostname}: "
                f"{exc.verify_message or exc.reason} (use verify=False/--insecure or a cafile)"
            ) from None
        except ssl.SSLError as exc:
            raw.close()
            raise TLSError(f"TLS handshake with {where} failed: {exc.reason or exc}") from None
        except TimeoutError:
            raw.close()
            raise ProbeTimeout(
                f"timed out after {self.timeout:g} s in the TLS handshake with {where}"
            ) from None
        except OSError as exc:
            raw.close()
            raise TLSError(
                f"connection to {where} failed during the TLS handshake: {exc.strerror or exc}"
            ) from None
        self.tls_connected_at = time.monotonic()
        negotiated = sock.selected_alpn_protocol()
        if negotiated != "h2":
            sock.close()
            if negotiated is None:
                detail = "negotiated no ALPN protocol (does it speak HTTP/2 over TLS?)"
            else:
                detail = f"chose {negotiated!r}"
            raise ALPNError(
                f"{where} did not agree to HTTP/2: offered {list(self.alpn)}, server {detail}",
                negotiated,
            )
        self._sock = sock
        self._h2 = self._new_h2()
        self._flush()
        # The server's SETTINGS carry its stream limit, which request_many obeys.
        self._run_until(lambda: self._server_settings_seen, lambda: "the server's SETTINGS frame")
        self.ready_at = time.monotonic()
        return self

    def _new_h2(self) -> h2.connection.H2Connection:
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        conn = h2.connection.H2Connection(config=config)
        conn.local_settings = h2.settings.Settings(
            client=True, initial_values=dict(self._local_settings)
        )
        conn.max_inbound_frame_size = conn.local_settings.max_frame_size
        conn.initiate_connection()
        if self._connection_window_size and self._connection_window_size > 65535:
            conn.increment_flow_control_window(self._connection_window_size - 65535)
        return conn

    def close(self) -> None:
        """Say GOAWAY (NO_ERROR) if still possible and close the socket."""
        if self._closed:
            return
        self._closed = True
        sock, conn = self._sock, self._h2
        self._sock = None
        if sock is None:
            return
        try:
            if conn is not None and self._goaway is None:
                conn.close_connection()
                sock.sendall(conn.data_to_send())
        except (OSError, h2.exceptions.ProtocolError):
            pass  # The peer is gone already; closing is all that is left.
        finally:
            sock.close()

    # -- requests --------------------------------------------------------------------

    def request(
        self,
        path: str = "/",
        *,
        method: str = "GET",
        headers: HeadersArg | None = None,
        body: bytes = b"",
    ) -> Exchange:
        """Send one request; return when it and every stream pushed for it have ended."""
        return self.request_many([Request(path, method, headers, body)])[0]

    def request_many(
        self, requests: Iterable[str | Request], *, headers: HeadersArg | None = None
    ) -> list[Exchange]:
        """Multiplex ``requests`` on this connection; results come back in the same order.

        As many streams are opened at once as the server's
        SETTINGS_MAX_CONCURRENT_STREAMS allows, the rest as earlier ones end.
        ``headers`` apply to every request; a request's own headers win.
        """
        calls = [
            self._make_call(Request(item) if isinstance(item, str) else item, headers)
            for item in requests
        ]
        self.connect()
        if self._goaway is not None:
            raise self._goaway_error("earlier on this connection; open a new one")
        if not calls:
            return []
        self._queue.extend(calls)
        self._outstanding = len(calls)
        try:
            self._run_until(lambda: self._outstanding == 0, lambda: self._waiting_for(calls))
        finally:
            # A failed call leaves nothing behind for the next one to trip over; after
            # a success all of this is empty already.
            self._queue.clear()
            self._sending.clear()
            self._calls.clear()
            self._pushes.clear()
            self._open_pushes = 0
            self._outstanding = 0
        return [call.exchange() for call in calls]

    def _make_call(self, request: Request, common: HeadersArg | None) -> _Call:
        if not (
            request.path.startswith("/") or (request.path == "*" and request.method == "OPTIONS")
        ):
            raise ValueError(f"request path must start with '/': {request.path!r}")
        pseudo = {
            ":method": request.method,
            ":scheme": "https",
            ":authority": self.authority,
            ":path": request.path,
        }
        regular: HeaderList = [("user-agent", self.user_agent), ("accept", self.accept)]
        if request.body:
            regular.append(("content-length", str(len(request.body))))
        for source in (_header_items(common), _header_items(request.headers)):
            given = {name for name, _ in source}
            regular = [(n, v) for n, v in regular if n not in given]
            for name, value in source:
                if name.startswith(":"):
                    if name not in pseudo:
                        raise ValueError(f"unknown pseudo header {name!r}")
                    pseudo[name] = value
                else:
                    regular.append((name, value))
        return _Call(request, [*pseudo.items(), *regular])

    @staticmethod
    def _waiting_for(calls: Sequence[_Call]) -> str:
        responses = sum(1 for call in calls if call.ended_at is None)
        pushes = sum(1 for call in calls for push in call.pushes if not push.done)
        parts = []
        if responses:
            parts.append(f"{responses} of {len(calls)} responses")
        if pushes:
            parts.append(f"{pushes} pushed responses")
        return " and ".join(parts) or "nothing"

    # -- the loop ----------------------------------------------------------------------

    def _run_until(self, done: Callable[[], bool], waiting_for: Callable[[], str]) -> None:
        """Send and read until ``done()``; ``waiting_for()`` words any error message."""
        while not done():
            self._pump()
            if done():
                break
            self._read(waiting_for)

    def _pump(self) -> None:
        """Open queued streams as the server's limit allows and send request bodies."""
        conn = self._conn()
        if self._queue and self._goaway is not None:
            raise self._goaway_error("and a request was still waiting to be sent")
        limit = conn.remote_settings.max_concurrent_streams
        # h2 counts open streams by walking all of them, so count once and go on locally.
        open_streams = conn.open_outbound_streams if self._queue else 0
        while self._queue and open_streams < limit:
            open_streams += 1
            call = self._queue.popleft()
            call.clear()
            call.stream_id = conn.get_next_available_stream_id()
            try:
                conn.send_headers(call.stream_id, call.headers, end_stream=not call.request.body)
            except h2.exceptions.ProtocolError as exc:
                raise ValueError(
                    f"cannot send request headers for {call.request.path}: {exc}"
                ) from None
            call.started_at = time.monotonic()
            self._calls[call.stream_id] = call
            if call.request.body:
                self._sending.append(call)
        for call in list(self._sending):
            self._send_body(call)
        self._flush()

    def _send_body(self, call: _Call) -> None:
        conn = self._conn()
        body = call.request.body
        try:
            while call.body_sent < len(body):
                size = min(
                    conn.local_flow_control_window(call.stream_id),
                    conn.max_outbound_frame_size,
                    len(body) - call.body_sent,
                )
                if size <= 0:
                    return  # Flow control: WINDOW_UPDATE will bring us back here.
                end = call.body_sent + size
                conn.send_data(
                    call.stream_id, body[call.body_sent : end], end_stream=end == len(body)
                )
                call.body_sent = end
        except h2.exceptions.StreamClosedError:
            pass  # The server answered and closed the stream; the rest is not wanted.
        self._sending.remove(call)

    def _conn(self) -> h2.connection.H2Connection:
        if self._h2 is None:
            raise ProbeError("not connected")
        return self._h2

    def _flush(self) -> None:
        data = self._conn().data_to_send()
        if not data or self._sock is None:
            return
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise ProbeTimeout(
                f"timed out after {self.timeout:g} s sending to {self.host}:{self.port}"
            ) from None
        except OSError as exc:
            self._abandon()
            raise ConnectionClosed(
                f"the connection to {self.host}:{self.port} broke while sending: "
                f"{exc.strerror or exc}"
            ) from None

    def _abandon(self) -> None:
        self._closed = True
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _read(self, waiting_for: Callable[[], str]) -> None:
        assert self._sock is not None
        try:
            data = self._sock.recv(65536)
        except TimeoutError:
            raise ProbeTimeout(
                f"no data from {self.host}:{self.port} for {self.timeout:g} s "
                f"while waiting for {waiting_for()}"
            ) from None
        except OSError as exc:
            self._abandon()
            raise ConnectionClosed(
                f"the connection to {self.host}:{self.port} broke while waiting for "
                f"{waiting_for()}: {exc.strerror or exc}"
            ) from None
        now = time.monotonic()
        if not data:
            self._abandon()
            raise ConnectionClosed(
                f"{self.host}:{self.port} closed the connection while the probe was "
                f"waiting for {waiting_for()}"
            )
        self._inbuf += data
        # Feeding h2 one frame at a time keeps the events of good frames when a later
        # frame in the same read breaks a rule (h2 raises and drops the whole batch).
        while len(self._inbuf) >= _FRAME_HEADER_SIZE:
            size = _FRAME_HEADER_SIZE + int.from_bytes(self._inbuf[:3], "big")
            if len(self._inbuf) < size:
                break
            frame = bytes(self._inbuf[:size])
            del self._inbuf[:size]
            if frame[3] == _GOAWAY_TYPE and len(frame) >= _FRAME_HEADER_SIZE + 8:
                # Kept from h2, which rejects every frame after a GOAWAY: a graceful
                # GOAWAY still lets the streams the server accepted finish.
                self._handle_goaway(frame[_FRAME_HEADER_SIZE:], waiting_for)
                continue
            for event in self._receive_frame(frame):
                self._handle(event, now, waiting_for)
        self._flush()

    def _receive_frame(self, frame: bytes) -> list[h2.events.Event]:
        conn = self._conn()
        try:
            return conn.receive_data(frame)
        except h2.exceptions.ProtocolError as exc:
            if frame[3] == _PUSH_PROMISE_TYPE and not self.enable_push:
                message = (
                    "the server sent PUSH_PROMISE although the client sent SETTINGS_ENABLE_PUSH=0"
                )
            else:
                message = f"the server broke HTTP/2 rules: {exc}"
        # h2 has queued a GOAWAY naming the error; send it so the server learns why.
        with contextlib.suppress(ProbeError):
            self._flush()
        self._abandon()
        raise ProtocolViolation(message)

    def _handle(self, event: h2.events.Event, now: float, waiting_for: Callable[[], str]) -> None:
        if isinstance(event, h2.events.DataReceived):
            # Acknowledge at once: the data is consumed, and windows must reopen or a
            # server pushing hundreds of responses stalls.
            if event.flow_controlled_length:
                self._conn().acknowledge_received_data(
                    event.flow_controlled_length, event.stream_id
                )
            if call := self._calls.get(event.stream_id):
                call.body += event.data
                call.events.append(TimelineEvent("data", str(len(event.data)), now))
            elif push := self._pushes.get(event.stream_id):
                push.body += event.data
        elif isinstance(event, h2.events.ResponseReceived):
            headers = _decode_headers(event.headers)
            status = int(_joined(headers, ":status") or 0)
            if call := self._calls.get(event.stream_id):
                call.status = status
                call.response_headers = [(n, v) for n, v in headers if n != ":status"]
                call.events.append(TimelineEvent("headers", str(status), now))
            elif push := self._pushes.get(event.stream_id):
                push.promise.status = status
                push.promise.response_headers = [(n, v) for n, v in headers if n != ":status"]
                push.call.events.append(
                    TimelineEvent("push_headers", f"{push.promise.path} {status}", now)
                )
                self._open_pushes += 1
                self.max_open_pushed_streams = max(self.max_open_pushed_streams, self._open_pushes)
        elif isinstance(event, h2.events.InformationalResponseReceived):
            if call := self._calls.get(event.stream_id):
                headers = _decode_headers(event.headers)
                status = int(_joined(headers, ":status") or 0)
                rest = [(n, v) for n, v in headers if n != ":status"]
                call.interim.append(Interim(status, rest, now))
                call.events.append(TimelineEvent("informational", str(status), now))
        elif isinstance(event, h2.events.PushedStreamReceived):
            self._handle_push_promise(event, now)
        elif isinstance(event, h2.events.TrailersReceived):
            if call := self._calls.get(event.stream_id):
                call.trailers = _decode_headers(event.headers)
                call.events.append(TimelineEvent("trailers", str(len(call.trailers)), now))
        elif isinstance(event, h2.events.StreamEnded):
            if call := self._calls.pop(event.stream_id, None):
                self._outstanding -= 1
                call.ended_at = now
                call.events.append(TimelineEvent("end", "", now))
                if call in self._sending:
                    # The response is complete, so the rest of the body is unwanted;
                    # a reset frees the stream slot that a half-sent body would hold.
                    self._sending.remove(call)
                    self._conn().reset_stream(call.stream_id, ErrorCodes.CANCEL)
            elif push := self._pushes.pop(event.stream_id, None):
                self._outstanding -= 1
                push.promise.finished_at = now
                push.call.events.append(TimelineEvent("push_end", push.promise.path, now))
                if push.promise.status is not None:
                    self._open_pushes -= 1
        elif isinstance(event, h2.events.StreamReset):
            self._handle_reset(event, now)
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self._server_settings_seen = True
        # SettingsAcknowledged, WindowUpdated, PriorityUpdated, Ping(Ack)Received,
        # AlternativeServiceAvailable and UnknownFrameReceived need nothing here: h2
        # answers pings and settings itself, and _pump() reads the windows it tracks.

    def _handle_push_promise(self, event: h2.events.PushedStreamReceived, now: float) -> None:
        pushed_id, parent_id = event.pushed_stream_id, event.parent_stream_id
        assert pushed_id is not None and parent_id is not None
        headers = _decode_headers(event.headers)
        call = self._calls.get(parent_id)
        if call is None:
            # Nobody waits for it (its parent stream is not one of ours any more).
            self._conn().reset_stream(pushed_id, ErrorCodes.CANCEL)
            return
        path = _joined(headers, ":path") or ""
        promise = Promise(
            path=path,
            headers=headers,
            stream_id=pushed_id,
            parent_stream_id=parent_id,
            received_at=now,
        )
        push = _Push(promise, call)
        call.pushes.append(push)
        self._pushes[pushed_id] = push
        self._outstanding += 1
        call.events.append(TimelineEvent("push_promise", path, now))

    def _handle_reset(self, event: h2.events.StreamReset, now: float) -> None:
        code = int(event.error_code)
        if push := self._pushes.pop(event.stream_id, None):
            self._outstanding -= 1
            push.promise.reset_code = code
            push.promise.finished_at = now
            push.call.events.append(
                TimelineEvent("push_reset", f"{push.promise.path} {error_code_name(code)}", now)
            )
            if push.promise.status is not None:
                self._open_pushes -= 1
            return
        call = self._calls.pop(event.stream_id, None)
        if call is None:
            return
        if call in self._sending:
            self._sending.remove(call)
        if code == ErrorCodes.REFUSED_STREAM and call.refused < _MAX_REFUSED_RETRIES:
            call.refused += 1
            for push in call.pushes:
                if self._pushes.pop(push.promise.stream_id, None) is not None:
                    self._outstanding -= 1
            self._queue.appendleft(call)
            return
        raise StreamResetError(
            f"the server reset stream {event.stream_id} ({call.request.method} "
            f"{call.request.path}) with {error_code_name(code)}",
            event.stream_id,
            call.request.path,
            code,
        )

    def _handle_goaway(self, payload: bytes, waiting_for: Callable[[], str]) -> None:
        last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
        code = int.from_bytes(payload[4:8], "big")
        debug = payload[8:]
        summary = f"{error_code_name(code)}, last stream {last}"
        if debug:
            summary += f", debug data {_text(debug)!r}"
        self._goaway = GoAwayError(summary, code, last, debug)
        # RFC 9113 section 6.8: streams above last_stream_id were not processed and no
        # new stream may be opened; with NO_ERROR the ones at or below it still finish.
        unaccepted = any(stream_id > last for stream_id in self._calls)
        if code != ErrorCodes.NO_ERROR or unaccepted or self._queue:
            self._abandon()
            raise self._goaway_error(f"while the probe was waiting for {waiting_for()}")

    def _goaway_error(self, context: str) -> GoAwayError:
        assert self._goaway is not None
        return GoAwayError(
            f"the server sent GOAWAY ({self._goaway}) {context}",
            self._goaway.error_code,
            self._goaway.last_stream_id,
            self._goaway.debug_data,
        )


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: HeadersArg | None = None,
    body: bytes = b"",
    enable_push: bool = True,
    verify: bool | None = None,
    cafile: str | os.PathLike[str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Exchange:
    """One request on a fresh connection to ``https://host[:port]/path``."""
    target = parse_url(url)
    with H2Connection(
        target.host,
        target.port,
        enable_push=enable_push,
        verify=verify,
        cafile=cafile,
        ssl_context=ssl_context,
        timeout=timeout,
    ) as connection:
        return connection.request(target.path, method=method, headers=headers, body=body)
