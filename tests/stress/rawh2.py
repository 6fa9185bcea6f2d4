"""A bare HTTP/2 client on the ``h2`` library, for clients that misbehave on purpose.

:mod:`h2push.probe` is a well-behaved client: it reads everything and accepts every
push. The faults need a client that cancels pushes as they are promised, cuts its
connection in the middle of a response, or stops reading altogether; this one sends
what it is told and reads only when asked, each read bounded in time.

Its frames may be hostile; its TLS is not lax: the server's certificate must verify
against the one the server was started with (:func:`harness.certificates.client_context`),
and a failed verification is raised as :class:`~harness.certificates.UntrustedCertificate`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.errors import ErrorCodes
from h2.settings import SettingCodes

from harness.certificates import client_context, verified
from harness.processes import ServerProcess

__all__ = ["RawClosed", "RawH2"]

Events = list[h2.events.Event]


class RawClosed(Exception):
    """The server closed the connection (or it broke) while the client read."""


class RawH2:
    """One verified TLS connection to ``server`` speaking HTTP/2 through ``h2``,
    nothing done behind its back except what ``h2`` does itself (answering SETTINGS
    and PING)."""

    def __init__(self, server: ServerProcess, *, enable_push: bool = True) -> None:
        self.host, self.port = server.host, server.port
        self.authority = server.netloc
        context = client_context(server, alpn=("h2",))
        raw = socket.create_connection((self.host, self.port), timeout=10.0)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            with verified(server):
                self.sock = context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        if self.sock.selected_alpn_protocol() != "h2":
            self.sock.close()
            raise RawClosed(f"{self.authority} did not agree to h2")
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.local_settings = h2.settings.Settings(
            client=True, initial_values={SettingCodes.ENABLE_PUSH: int(enable_push)}
        )
        self.conn.initiate_connection()
        self.flush()

    def get(self, path: str) -> int:
        """Send a GET for ``path`` (end of stream at once); return its stream id."""
        stream_id: int = self.conn.get_next_available_stream_id()
        headers = [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", self.authority),
            (":path", path),
            ("user-agent", "h2push-reliability/raw"),
        ]
        self.conn.send_headers(stream_id, headers, end_stream=True)
        self.flush()
        return stream_id

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def read(self, timeout: float) -> Events:
        """One read of at most ``timeout`` seconds; the events it brought (none if
        the server sent nothing in time). Received data is acknowledged at once, so
        flow control never stalls a client that does read."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        except OSError as error:
            raise RawClosed(f"the connection broke: {error}") from None
        if not data:
            raise RawClosed("the server closed the connection")
        try:
            events: Events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            raise RawClosed(f"the server broke HTTP/2 rules: {error}") from None
        for event in events:
            if isinstance(event, h2.events.DataReceived) and event.flow_controlled_length:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        self.flush()
        return events

    def read_until(self, done: Callable[[Events], bool], seconds: float) -> bool:
        """Read, handing each batch of events to ``done``, until it returns True
        (then True) or ``seconds`` pass (then False)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if done(self.read(min(left, 1.0))):
                return True
        return False

    def cancel(self, stream_id: int) -> None:
        """RST_STREAM CANCEL, as a browser does for a push it already has."""
        with contextlib.suppress(h2.exceptions.StreamClosedError):
            self.conn.reset_stream(stream_id, ErrorCodes.CANCEL)
        self.flush()

    def cut(self, *, reset: bool = False) -> None:
        """Drop the connection with no GOAWAY and no TLS close; with ``reset``, the
        kernel answers with a TCP RST instead of a FIN (SO_LINGER of 0)."""
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Python's close() sends no TLS close_notify (only unwrap() does): a plain drop.
        self.sock.close()

    def close(self) -> None:
        """GOAWAY, then close: the polite way out."""
        with contextlib.suppress(OSError, h2.exceptions.ProtocolError):
            self.conn.close_connection()
            self.flush()
        self.sock.close()
