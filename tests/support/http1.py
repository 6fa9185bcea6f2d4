"""A raw HTTP/1.1 client that shows each response a server writes, and when.

``http.client`` and curl's library hide 1xx responses or their timing; the end-to-end
tests need both, to show that a 103 came long before the page. :func:`request` sends
one request on a fresh connection (``Connection: close``), reads until the server
closes it, and returns a :class:`Response`::

    response = request("127.0.0.1", port, "/servers/sync/?ms=800")
    response.status, response.links          # the final response
    response.early_hints[0].links            # the 103's Link values
    response.lead_ms(response.early_hints[0]) # how long before the final status line

Every ``at`` is :func:`time.monotonic` when the bytes that completed that status
line and header block were read. ``tls`` wraps the socket (ALPN ``http/1.1``).
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["HeaderBlock", "Response", "insecure_tls", "request"]

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


def insecure_tls() -> ssl.SSLContext:
    """A client context for loopback servers with self-signed certificates."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


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
    with socket.create_connection((host, port), timeout=timeout) as raw_sock:
        sock: socket.socket = raw_sock
        if tls is not None:
            sock = tls.wrap_socket(raw_sock, server_hostname=host)
        sock.sendall(_request_bytes(method, path, f"{host}:{port}", headers or {}))
        response = Response(sent_at=time.monotonic())
        _read(sock, response, timeout)
        return response


def _request_bytes(method: str, path: str, authority: str, headers: Mapping[str, str]) -> bytes:
    fields = {"Host": authority, "User-Agent": "h2push-tests-http1", "Accept": "text/html"}
    fields.update(headers)
    fields["Connection"] = "close"  # the end of the response is the end of the stream
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in fields.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _read(sock: socket.socket, response: Response, timeout: float) -> None:
    """Read until EOF, parsing each head as soon as its bytes are in."""
    buffer = bytearray()
    deadline = time.monotonic() + timeout
    while True:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = sock.recv(65536)
        at = time.monotonic()
        response.raw += chunk
        if not chunk:
            break
        if response.final is None:
            buffer += chunk
            _take_heads(buffer, response, at)
        else:
            response.body += chunk
    if response.final is not None:
        response.body = _decode_body(response.final, response.body)


def _take_heads(buffer: bytearray, response: Response, at: float) -> None:
    """Move every complete head out of ``buffer``; what follows the final head is body."""
    while response.final is None:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise AssertionError(f"no end of headers in {bytes(buffer[:200])!r}")
            return
        block = _parse_head(bytes(buffer[:end]), at)
        del buffer[: end + 4]
        if 100 <= block.status < 200:
            response.interim.append(block)
        else:
            response.final = block
            response.body = bytes(buffer)
            buffer.clear()


def _parse_head(head: bytes, at: float) -> HeaderBlock:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = status_line.split(" ", 2)
    headers: HeaderList = []
    for line in lines:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return HeaderBlock(version, int(status), reason[0] if reason else "", headers, at)


def _decode_body(head: HeaderBlock, body: bytes) -> bytes:
    if "chunked" in ",".join(head.values("transfer-encoding")).lower():
        return _dechunk(body)
    lengths = head.values("content-length")
    return body[: int(lengths[0])] if lengths else body


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    position = 0
    while True:
        line_end = data.index(b"\r\n", position)
        size = int(data[position:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        start = line_end + 2
        out += data[start : start + size]
        position = start + size + 2
