"""What a server process holds, read from ``/proc``, and the clients that make it hold
more: for the tests and the stress suite, which check every connection's resources come back.

No pytest and no Django here (``python -m tests.stress`` runs it outside pytest)::

    before = settle(server.pid)             # threads, fds, RSS once the server is quiet
    stall_and_drop(server.port, connections=10, requests=50, path="/static/css/base.css",
                   cafile=server)           # verified against the server's certificate
    after = wait_for_level(server.pid, before, Margin(threads=3, fds=8))
    assert not Margin(threads=3, fds=8).exceeded(before, after)

- :func:`resources` reads one :class:`Resources` (threads, open descriptors, resident
  memory) of a process; Linux only.
- :func:`settle` waits until two readings a moment apart agree, so a baseline is not
  taken while a previous client's connection is still closing.
- :func:`wait_for_level` polls until a process is back within a :class:`Margin` of a
  baseline, or the time is up, and returns its last reading either way.
- :func:`stall_and_drop` opens HTTP/2 connections that advertise a flow-control
  window of 0, so the server can send each response's headers but none of its body,
  asks for many responses on each, and then drops the sockets without a word.
- :func:`short_requests` is the ordinary client, ``curl --http2`` many times over:
  a new connection, one GET read to its end, a GOAWAY and a close.
- :func:`idle_until_closed` loads one response, then leaves the connection idle
  until the server closes it, and says how long that took and what GOAWAYs came.

The three clients need ``cafile=``: the server that was started, or the certificate
it serves (anything :func:`harness.certificates.cafile` takes). They verify the
server against it, by the address ``127.0.0.1``, which the certificate must name; one
that fails raises :class:`harness.certificates.UntrustedCertificate`. There is no
way to turn verification off.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.settings import SettingCodes

from harness.certificates import Trust, client_context, verified

__all__ = [
    "Margin",
    "Resources",
    "idle_until_closed",
    "resources",
    "settle",
    "short_requests",
    "stall_and_drop",
    "wait_for_level",
]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Resources:
    """One reading of a process: OS threads, open file descriptors (sockets, files,
    the event loop's own), and resident memory in kB."""

    threads: int
    fds: int
    rss_kb: int

    def describe(self) -> str:
        return f"{self.threads} threads, {self.fds} fds, RSS {self.rss_kb / 1024:.1f} MB"


@dataclass(frozen=True)
class Margin:
    """How far above a baseline a reading may be and still count as "back to it".

    Thread pools keep a few idle threads once they were needed (asyncio's default
    executor keeps up to ``min(32, cores + 4)``), and the listening socket's next
    connection may be half open: a few of each are noise, hundreds are a leak.
    ``rss_kb`` of None leaves memory out (an allocator rarely hands pages back).
    """

    threads: int = 3
    fds: int = 8
    rss_kb: int | None = None

    def exceeded(self, before: Resources, after: Resources) -> list[str]:
        """What is above the margin, in words; empty when everything is within it."""
        over = []
        if after.threads > before.threads + self.threads:
            over.append(f"threads {before.threads} -> {after.threads} (margin {self.threads})")
        if after.fds > before.fds + self.fds:
            over.append(f"open fds {before.fds} -> {after.fds} (margin {self.fds})")
        if self.rss_kb is not None and after.rss_kb > before.rss_kb + self.rss_kb:
            over.append(
                f"RSS {before.rss_kb // 1024} -> {after.rss_kb // 1024} MB "
                f"(margin {self.rss_kb // 1024} MB)"
            )
        return over


def _count(folder: Path) -> int:
    try:
        return len(os.listdir(folder))
    except OSError:  # The process is gone: it holds nothing.
        return 0


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def resources(pid: int) -> Resources:
    """Threads, open descriptors and RSS of process ``pid`` now (its own, not its
    children's: ``runh2server --noreload`` serves from the process it starts)."""
    return Resources(
        threads=_count(Path(f"/proc/{pid}/task")),
        fds=_count(Path(f"/proc/{pid}/fd")),
        rss_kb=_rss_kb(pid),
    )


def settle(pid: int, timeout: float = 5.0, interval: float = 0.25) -> Resources:
    """A reading taken once two in a row agree on threads and fds (or at the end of
    ``timeout``): the baseline of a quiet server."""
    deadline = time.monotonic() + timeout
    last = resources(pid)
    while time.monotonic() < deadline:
        time.sleep(interval)
        now = resources(pid)
        if (now.threads, now.fds) == (last.threads, last.fds):
            return now
        last = now
    return last


def wait_for_level(
    pid: int, before: Resources, margin: Margin, timeout: float = 10.0, interval: float = 0.1
) -> Resources:
    """Poll until ``pid`` is within ``margin`` of ``before`` (the reading then), or
    ``timeout`` passes (the last reading, for the caller to judge and report)."""
    deadline = time.monotonic() + timeout
    while True:
        now = resources(pid)
        if not margin.exceeded(before, now) or time.monotonic() > deadline:
            return now
        time.sleep(interval)


def _tls_socket(port: int, cafile: Trust) -> ssl.SSLSocket:
    """A TLS connection to ``HOST:port`` that agreed to h2, verifying the server
    against ``cafile`` (by the address ``HOST`` its certificate must name)."""
    context = client_context(cafile, alpn=["h2"])
    raw = socket.create_connection((HOST, port), timeout=10.0)
    try:
        with verified(cafile):
            tls = context.wrap_socket(raw, server_hostname=HOST)
    except BaseException:
        raw.close()
        raise
    if tls.selected_alpn_protocol() != "h2":
        tls.close()
        raise ConnectionError(f"{HOST}:{port} did not agree to h2")
    return tls


def _h2_client(window: int | None) -> h2.connection.H2Connection:
    connection = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True, header_encoding=None)
    )
    settings: dict[SettingCodes, int] = {SettingCodes.ENABLE_PUSH: 0}
    if window is not None:
        settings[SettingCodes.INITIAL_WINDOW_SIZE] = window
    connection.local_settings = h2.settings.Settings(client=True, initial_values=settings)
    connection.initiate_connection()
    return connection


def _send_gets(
    tls: ssl.SSLSocket, connection: h2.connection.H2Connection, port: int, path: str, count: int
) -> list[int]:
    streams = []
    for _ in range(count):
        stream_id = connection.get_next_available_stream_id()
        headers = [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", f"{HOST}:{port}"),
            (":path", path),
        ]
        connection.send_headers(stream_id, headers, end_stream=True)
        streams.append(stream_id)
    tls.sendall(connection.data_to_send())
    return streams


def _read_until(
    tls: ssl.SSLSocket,
    connection: h2.connection.H2Connection,
    wanted: type[h2.events.Event],
    count: int,
    timeout: float,
) -> int:
    """Read until ``count`` events of type ``wanted`` arrived (or the server closed,
    or ``timeout`` passed); how many did. Body data is acknowledged only if the
    window is open: a closed window is the point of a stalled client."""
    seen, deadline = 0, time.monotonic() + timeout
    while seen < count and (left := deadline - time.monotonic()) > 0:
        tls.settimeout(min(left, 1.0))
        try:
            data = tls.recv(65536)
        except TimeoutError:
            continue
        if not data:
            break
        for event in connection.receive_data(data):
            seen += isinstance(event, wanted)
            if isinstance(event, h2.events.DataReceived) and event.flow_controlled_length:
                connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        if outgoing := connection.data_to_send():
            tls.sendall(outgoing)
    return seen


def stall_and_drop(
    port: int,
    *,
    connections: int,
    requests: int,
    path: str,
    reset: bool = False,
    cafile: Trust,
) -> int:
    """Open ``connections`` at once with a stream window of 0, GET ``path``
    ``requests`` times on each, wait until the server has sent every response's
    headers (each response's body now waits for a window that never opens), then
    drop every socket without GOAWAY or TLS close (``reset``: with a TCP RST).

    Returns how many response headers arrived in all.
    """
    opened: list[tuple[ssl.SSLSocket, h2.connection.H2Connection]] = []
    try:
        for _ in range(connections):
            tls, connection = _tls_socket(port, cafile), _h2_client(window=0)
            opened.append((tls, connection))
            _send_gets(tls, connection, port, path, requests)
        return sum(
            _read_until(tls, conn, h2.events.ResponseReceived, requests, 20.0)
            for tls, conn in opened
        )
    finally:
        for tls, _ in opened:
            if reset:
                tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # close() without unwrap(): no close_notify, the TCP connection just ends.
            tls.close()


def short_requests(port: int, *, count: int, path: str, cafile: Trust) -> int:
    """``count`` times: connect, GET ``path`` and read it to its end, then GOAWAY
    and close, as ``curl --http2 URL`` does. Returns how many responses ended."""
    ended = 0
    for _ in range(count):
        tls, connection = _tls_socket(port, cafile), _h2_client(window=None)
        try:
            _send_gets(tls, connection, port, path, 1)
            ended += _read_until(tls, connection, h2.events.StreamEnded, 1, 20.0)
            with contextlib.suppress(h2.exceptions.ProtocolError, OSError):
                connection.close_connection()
                tls.sendall(connection.data_to_send())
        finally:
            tls.close()
    return ended


def idle_until_closed(
    port: int, *, path: str, timeout: float, cafile: Trust
) -> tuple[float, list[int]]:
    """GET ``path``, read it, then stay idle until the server closes the connection
    (or ``timeout`` passes). Returns the idle seconds and the error codes of the
    GOAWAY frames received meanwhile."""
    tls, connection = _tls_socket(port, cafile), _h2_client(window=None)
    try:
        _send_gets(tls, connection, port, path, 1)
        _read_until(tls, connection, h2.events.StreamEnded, 1, 20.0)
        started, goaways = time.monotonic(), []
        tls.settimeout(timeout)
        with contextlib.suppress(TimeoutError, OSError):
            while data := tls.recv(65536):
                for event in connection.receive_data(data):
                    if isinstance(event, h2.events.ConnectionTerminated):
                        goaways.append(int(event.error_code or 0))
        return time.monotonic() - started, goaways
    finally:
        tls.close()
