"""An HTTP/1.1 client that shows each response a server writes, and when.

``http.client`` and curl's library hide 1xx responses or their timing; the end-to-end
tests need both, to show that a 103 came long before the page. :func:`request` sends
one request on a fresh connection (``Connection: close``), lets h11 parse what comes
back (a 1xx is an ``h11.InformationalResponse``), reads until the server closes the
connection, and returns a :class:`Response`::

    response = request("127.0.0.1", port, "/servers/sync/?ms=800")
    response.status, response.links          # the final response
    response.early_hints[0].links            # the 103's Link values
    response.lead_ms(response.early_hints[0]) # how long before the final status line

Every ``at`` is :func:`time.monotonic` when the bytes that completed that status
line and header block were read. ``tls`` wraps the socket; it must verify the
server (:func:`harness.certificates.client_context`, which offers ALPN
``http/1.1``), and a certificate that does not verify raises
:class:`harness.certificates.UntrustedCertificate`.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import h11

from harness.certificates import verified

__all__ = ["HeaderBlock", "Response", "request"]

HeaderList = list[tuple[str, str]]
# A header block bigger than this is not something a test server sends.
MAX_HEAD_BYTES = 64 * 1024


@dataclass
class HeaderBlock:
    """One response head: a 1xx or the final response's status line and fields."""

    version: str
    status: int
    reason: str
    headers: HeaderList
    at: float

    def values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def links(self) -> list[str]:
        """The ``Link`` field lines, one item each, as sent."""
        return self.values("link")


@dataclass
class Response:
    """Everything the server wrote for one request, in order."""

    sent_at: float
    interim: list[HeaderBlock] = field(default_factory=list)
    final: HeaderBlock | None = None
    body: bytes = b""
    raw: bytes = b""

    @property
    def status(self) -> int:
        return self.head.status

    @property
    def head(self) -> HeaderBlock:
        if self.final is None:
            raise AssertionError(f"no final response; the server wrote {self.raw[:500]!r}")
        return self.final

    @property
    def links(self) -> list[str]:
        return self.head.links

    @property
    def early_hints(self) -> list[HeaderBlock]:
        return [block for block in self.interim if block.status == 103]

    def ms(self, at: float) -> float:
        """Milliseconds from sending the request to ``at``."""
        return (at - self.sent_at) * 1000.0

    def lead_ms(self, block: HeaderBlock) -> float:
        """How many milliseconds ``block`` arrived before the final status line."""
        return (self.head.at - block.at) * 1000.0


def request(
    host: str,
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
    timeout: float = 10.0,
) -> Response:
    """Send one request and read everything until the server closes the connection."""
    if tls is not None and (tls.verify_mode != ssl.CERT_REQUIRED or not tls.check_hostname):
        raise ValueError("tls= must verify the server: use harness.certificates.client_context")
    with socket.create_connection((host, port), timeout=timeout) as raw_sock:
        sock: socket.socket = raw_sock
        if tls is not None:
            with verified():
                sock = tls.wrap_socket(raw_sock, server_hostname=host)
        connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        sock.sendall(_request_bytes(connection, method, path, authority, headers or {}))
        response = Response(sent_at=time.monotonic())
        _read(sock, connection, response, timeout)
        return response


def _request_bytes(
    connection: h11.Connection,
    method: str,
    path: str,
    authority: str,
    headers: Mapping[str, str],
) -> bytes:
    fields = {"Host": authority, "User-Agent": "h2push-tests-http1", "Accept": "text/html"}
    fields.update(headers)
    fields["Connection"] = "close"  # the end of the response is the end of the stream
    head = h11.Request(method=method, target=path, headers=list(fields.items()))
    return (connection.send(head) or b"") + (connection.send(h11.EndOfMessage()) or b"")


def _read(
    sock: socket.socket, connection: h11.Connection, response: Response, timeout: float
) -> None:
    """Feed h11 what arrives until the server closes the connection, noting when each
    head was complete. Bytes after the end of the response make h11 raise."""
    deadline = time.monotonic() + timeout
    body = bytearray()
    at = time.monotonic()
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            raise AssertionError(f"{error}; the server wrote {response.raw[:500]!r}") from error
        if event is h11.NEED_DATA:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(65536)
            at = time.monotonic()
            response.raw += chunk
            connection.receive_data(chunk)
        elif isinstance(event, h11.InformationalResponse):
            response.interim.append(_block(event, at))
        elif isinstance(event, h11.Response):
            response.final = _block(event, at)
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.ConnectionClosed):
            break
        # EndOfMessage: the body is whole; keep reading until the server closes.
    response.body = bytes(body)


def _block(event: h11.InformationalResponse | h11.Response, at: float) -> HeaderBlock:
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in event.headers.raw_items()
    ]
    return HeaderBlock(
        f"HTTP/{event.http_version.decode('ascii')}",
        event.status_code,
        event.reason.decode("latin-1"),
        headers,
        at,
    )
