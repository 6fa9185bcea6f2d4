"""The synchronous client: a :class:`~h2push.probe.protocol.ProbeProtocol` driven over a
:class:`~h2push.probe.transport.TLSTransport`, and :func:`fetch` for one request."""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Self

from h2push.probe.calls import Call
from h2push.probe.errors import GoAwayError, ProbeError, ProtocolViolation
from h2push.probe.headers import HeadersArg
from h2push.probe.protocol import EventHook, ProbeProtocol
from h2push.probe.request import (
    DEFAULT_ACCEPT,
    USER_AGENT,
    Request,
    build_headers,
    parse_url,
)
from h2push.probe.results import Exchange
from h2push.probe.transport import DEFAULT_TIMEOUT, TLSTransport, is_loopback, make_ssl_context

__all__ = ["H2Connection", "fetch"]


class H2Connection:
    """One TLS connection speaking HTTP/2, used as a context manager.

    ``request`` and ``request_many`` send, then read until their streams and all
    the streams pushed for them have ended. Not thread-safe.

    ``timeout`` bounds connecting, the TLS handshake and every wait for data: a
    server that stays silent that long raises :class:`ProbeTimeout`.
    ``max_concurrent_streams``, ``initial_window_size`` and ``max_frame_size`` are
    the client's SETTINGS (``None`` keeps h2's defaults: 100, 65535, 16384);
    ``connection_window_size`` enlarges the connection-level receive window.

    ``on_event`` (an attribute too, so it can change between requests) is called with
    each ``h2`` event the server's frames bring and the :func:`time.monotonic` their
    bytes were read at, as they arrive (:data:`~h2push.probe.protocol.EventHook`).
    From it, :meth:`add_request` sends another request as part of the running call.
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
        on_event: EventHook | None = None,
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
        self._new_protocol = functools.partial(
            ProbeProtocol,
            enable_push=enable_push,
            max_concurrent_streams=max_concurrent_streams,
            initial_window_size=initial_window_size,
            max_frame_size=max_frame_size,
            connection_window_size=connection_window_size,
        )
        self._transport: TLSTransport | None = None
        self._protocol: ProbeProtocol | None = None
        self._on_event = on_event
        # The calls of the request_many() in progress, which add_request() joins.
        self._running: list[Call] | None = None
        self._closed = False
        #: :func:`time.monotonic` when the server's SETTINGS arrived (0 before).
        self.ready_at = 0.0

    # -- context manager -------------------------------------------------------------

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
        state = "closed" if self._is_closed else "open" if self._transport else "not connected"
        return f"<H2Connection {self.host}:{self.port} {state}>"

    # -- properties --------------------------------------------------------------------

    @property
    def _is_closed(self) -> bool:
        return self._closed or (self._transport is not None and self._transport.closed)

    @property
    def tls_version(self) -> str | None:
        """E.g. ``"TLSv1.3"``; ``None`` before connecting."""
        return self._transport.tls_version if self._transport else None

    @property
    def cipher(self) -> str | None:
        """The negotiated cipher suite's OpenSSL name."""
        return self._transport.cipher if self._transport else None

    @property
    def alpn_protocol(self) -> str | None:
        return self._transport.alpn_protocol if self._transport else None

    @property
    def server_settings(self) -> dict[str, int]:
        """The server's current SETTINGS values (RFC defaults for those it did not send)."""
        return self._protocol.server_settings if self._protocol else {}

    @property
    def on_event(self) -> EventHook | None:
        return self._on_event

    @on_event.setter
    def on_event(self, hook: EventHook | None) -> None:
        self._on_event = hook
        if self._protocol is not None:
            self._protocol.on_event = hook

    @property
    def max_open_pushed_streams(self) -> int:
        """The most pushed streams that were open at once on this connection. RFC 9113
        lets a server open no more than the client's SETTINGS_MAX_CONCURRENT_STREAMS."""
        return self._protocol.max_open_pushed_streams if self._protocol else 0

    @property
    def connect_started_at(self) -> float:
        """:func:`time.monotonic` when connecting started (0 before)."""
        return self._transport.connect_started_at if self._transport else 0.0

    @property
    def tcp_connected_at(self) -> float:
        return self._transport.tcp_connected_at if self._transport else 0.0

    @property
    def tls_connected_at(self) -> float:
        return self._transport.tls_connected_at if self._transport else 0.0

    @property
    def connect_ms(self) -> float:
        """Milliseconds from starting to connect until the server's SETTINGS arrived."""
        return (self.ready_at - self.connect_started_at) * 1000.0

    # -- connecting --------------------------------------------------------------------

    def connect(self) -> Self:
        """Open TCP, TLS and HTTP/2, waiting for the server's SETTINGS. Idempotent."""
        if self._is_closed:
            raise ProbeError("this connection was closed; open a new H2Connection")
        if self._transport is not None:
            return self
        context = make_ssl_context(
            verify=self.verify, cafile=self.cafile, ssl_context=self._ssl_context, alpn=self.alpn
        )
        transport = TLSTransport(
            self.host, self.port, server_hostname=self.server_hostname, timeout=self.timeout
        )
        transport.open(context, self.alpn)
        self._transport = transport
        self._protocol = self._new_protocol(on_event=self._on_event)
        self._flush()
        # The server's SETTINGS carry its stream limit, which request_many obeys.
        protocol = self._protocol
        self._run_until(lambda: protocol.settings_received)
        self.ready_at = time.monotonic()
        return self

    def close(self) -> None:
        """Say GOAWAY (NO_ERROR) if still possible and close the socket."""
        was_closed = self._is_closed
        self._closed = True
        transport, protocol = self._transport, self._protocol
        if was_closed or transport is None:
            return
        try:
            if protocol is not None:
                protocol.close()
                transport.send(protocol.data_to_send())
        except ProbeError:
            pass  # The peer is gone already; closing is all that is left.
        finally:
            transport.close()

    # -- requests ----------------------------------------------------------------------

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
        calls = [self._make_call(item, headers) for item in requests]
        protocol = self._connected()
        protocol.begin(calls)
        if not calls:
            return []
        self._running = calls
        try:
            self._run_until(lambda: protocol.batch_done)
        finally:
            # A failed call leaves nothing behind for the next one to trip over; after
            # a success all of this is empty already.
            protocol.end_batch()
            self._running = None
        return [call.exchange() for call in calls]

    def add_request(self, item: str | Request, *, headers: HeadersArg | None = None) -> None:
        """Send one more request as part of the ``request_many`` call in progress.

        Meant for an ``on_event`` hook: a client that learns of a resource from a
        response still arriving asks for it at once, on the same connection. The call
        returns once this request has ended too, its :class:`Exchange` after those it
        was given, in the order they were added (``request`` returns only its first).
        """
        if self._running is None or self._protocol is None:
            raise ProbeError("add_request() works only while request_many() runs")
        call = self._make_call(item, headers)
        self._protocol.add(call)
        self._running.append(call)

    def _make_call(self, item: str | Request, common: HeadersArg | None) -> Call:
        request = Request(item) if isinstance(item, str) else item
        headers = build_headers(
            request,
            common,
            authority=self.authority,
            user_agent=self.user_agent,
            accept=self.accept,
        )
        return Call(request, headers)

    def _connected(self) -> ProbeProtocol:
        self.connect()
        if self._protocol is None:
            raise ProbeError("not connected")
        return self._protocol

    # -- the loop ----------------------------------------------------------------------

    def _run_until(self, done: Callable[[], bool]) -> None:
        """Send and read until ``done()``."""
        while not done():
            self._send_queued()
            if done():
                break
            self._receive()

    def _parts(self) -> tuple[TLSTransport, ProbeProtocol]:
        if self._transport is None or self._protocol is None:
            raise ProbeError("not connected")
        return self._transport, self._protocol

    def _send_queued(self) -> None:
        _, protocol = self._parts()
        protocol.send_queued()
        self._flush()

    def _flush(self) -> None:
        transport, protocol = self._parts()
        transport.send(protocol.data_to_send())

    def _receive(self) -> None:
        transport, protocol = self._parts()
        data, at = transport.receive(protocol.waiting_for)
        try:
            protocol.receive_data(data, at)
        except ProtocolViolation:
            # h2 has queued a GOAWAY naming the error; send it so the server learns why.
            with contextlib.suppress(ProbeError):
                self._flush()
            transport.close()
            raise
        except GoAwayError:
            transport.close()
            raise
        self._flush()


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
