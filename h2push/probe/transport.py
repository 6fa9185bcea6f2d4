"""The probe's socket: TCP, TLS with ALPN ``h2``, and reads and writes that never wait
longer than ``timeout``.

It knows nothing of HTTP/2; it turns every way a socket can fail into the matching
:class:`~h2push.probe.errors.ProbeError` with a one-line message that names the peer.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Final

from h2push.probe.errors import ALPNError, ConnectError, ConnectionClosed, ProbeTimeout, TLSError

__all__ = ["DEFAULT_TIMEOUT", "TLSTransport", "is_loopback", "make_ssl_context"]

DEFAULT_TIMEOUT: Final = 10.0
_READ_SIZE: Final = 65536


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a loopback address."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_ssl_context(
    *,
    verify: bool,
    cafile: str | os.PathLike[str] | None,
    ssl_context: ssl.SSLContext | None,
    alpn: Sequence[str],
) -> ssl.SSLContext:
    """The caller's context, or a new one that verifies (against ``cafile``) or not,
    in either case limited to TLS 1.2 or later and offering ``alpn``."""
    if ssl_context is not None:
        context = ssl_context
    elif verify:
        context = ssl.create_default_context(cafile=cafile)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    # RFC 9113 section 9.2: HTTP/2 over TLS needs TLS 1.2 or later.
    if context.minimum_version < ssl.TLSVersion.TLSv1_2:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(list(alpn))
    return context


class TLSTransport:
    """One TLS connection to ``host:port`` that agreed to ``h2``.

    :meth:`open` connects; afterwards :meth:`send` and :meth:`receive` move bytes,
    and a broken or closed connection closes the transport (:attr:`closed`).
    The ``*_at`` attributes are :func:`time.monotonic` values of the milestones.
    """

    def __init__(
        self, host: str, port: int, *, server_hostname: str, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.host = host
        self.port = port
        self.server_hostname = server_hostname
        self.timeout = timeout
        self.closed = False
        self._sock: ssl.SSLSocket | None = None
        self.connect_started_at = 0.0
        self.tcp_connected_at = 0.0
        self.tls_connected_at = 0.0

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    # -- what was negotiated -----------------------------------------------------------

    @property
    def tls_version(self) -> str | None:
        return self._sock.version() if self._sock else None

    @property
    def cipher(self) -> str | None:
        cipher = self._sock.cipher() if self._sock else None
        return cipher[0] if cipher else None

    @property
    def alpn_protocol(self) -> str | None:
        return self._sock.selected_alpn_protocol() if self._sock else None

    # -- connecting --------------------------------------------------------------------

    def open(self, context: ssl.SSLContext, alpn: Sequence[str]) -> None:
        """Connect TCP, shake hands over TLS and insist that the server chose ``h2``."""
        self.connect_started_at = time.monotonic()
        raw = self._connect_tcp()
        self.tcp_connected_at = time.monotonic()
        # Small frames (SETTINGS acks, WINDOW_UPDATEs) must not wait for Nagle.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self._handshake(raw, context)
        self.tls_connected_at = time.monotonic()
        negotiated = sock.selected_alpn_protocol()
        if negotiated != "h2":
            sock.close()
            if negotiated is None:
                detail = "negotiated no ALPN protocol (does it speak HTTP/2 over TLS?)"
            else:
                detail = f"chose {negotiated!r}"
            raise ALPNError(
                f"{self._where} did not agree to HTTP/2: offered {list(alpn)}, server {detail}",
                negotiated,
            )
        self._sock = sock

    def _connect_tcp(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except ConnectionRefusedError:
            raise ConnectError(f"connection refused by {self._where}") from None
        except socket.gaierror as exc:
            raise ConnectError(f"cannot resolve host {self.host!r}: {exc.strerror}") from None
        except TimeoutError:
            raise ProbeTimeout(
                f"timed out after {self.timeout:g} s connecting to {self._where}"
            ) from None
        except OSError as exc:
            raise ConnectError(f"cannot connect to {self._where}: {exc.strerror or exc}") from None

    def _handshake(self, raw: socket.socket, context: ssl.SSLContext) -> ssl.SSLSocket:
        where = self._where
        try:
            return context.wrap_socket(raw, server_hostname=self.server_hostname)
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

    # -- moving bytes ------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write all of ``data``; nothing to do for none, or once closed."""
        if not data or self._sock is None:
            return
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise ProbeTimeout(
                f"timed out after {self.timeout:g} s sending to {self._where}"
            ) from None
        except OSError as exc:
            self.close()
            raise ConnectionClosed(
                f"the connection to {self._where} broke while sending: {exc.strerror or exc}"
            ) from None

    def receive(self, waiting_for: Callable[[], str]) -> tuple[bytes, float]:
        """The next bytes from the server and the :func:`time.monotonic` they came at.

        ``waiting_for()`` words what was expected, for the message if none came.
        """
        if self._sock is None:
            raise ConnectionClosed(f"the connection to {self._where} is closed")
        try:
            data = self._sock.recv(_READ_SIZE)
        except TimeoutError:
            raise ProbeTimeout(
                f"no data from {self._where} for {self.timeout:g} s "
                f"while waiting for {waiting_for()}"
            ) from None
        except OSError as exc:
            self.close()
            raise ConnectionClosed(
                f"the connection to {self._where} broke while waiting for "
                f"{waiting_for()}: {exc.strerror or exc}"
            ) from None
        at = time.monotonic()
        if not data:
            self.close()
            raise ConnectionClosed(
                f"{self._where} closed the connection while the probe was "
                f"waiting for {waiting_for()}"
            )
        return data, at

    def close(self) -> None:
        """Close the socket; the transport cannot be opened again."""
        self.closed = True
        if self._sock is not None:
            self._sock.close()
            self._sock = None
