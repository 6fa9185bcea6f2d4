"""What the probe raises: one class per way a probe can fail, each with a one-line message.

Everything is a :class:`ProbeError`, so a caller that only wants to print the reason
catches that one class; the subclasses carry what a test may want to check.
"""

from __future__ import annotations

from h2.errors import ErrorCodes
from h2.settings import SettingCodes

from h2push.probe.headers import text

__all__ = [
    "ALPNError",
    "ConnectError",
    "ConnectionClosed",
    "GoAwayError",
    "InvalidURL",
    "ProbeError",
    "ProbeTimeout",
    "ProtocolViolation",
    "StreamResetError",
    "TLSError",
    "error_code_name",
    "setting_name",
]


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

    @classmethod
    def from_payload(cls, payload: bytes) -> GoAwayError:
        """The GOAWAY a frame payload describes; its message sums the frame up."""
        last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
        code = int.from_bytes(payload[4:8], "big")
        debug = payload[8:]
        summary = f"{error_code_name(code)}, last stream {last}"
        if debug:
            summary += f", debug data {text(debug)!r}"
        return cls(summary, code, last, debug)


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


def setting_name(code: int) -> str:
    """``SettingCodes`` name of an HTTP/2 setting, or its hex value if unknown."""
    try:
        return SettingCodes(code).name
    except ValueError:
        return f"0x{code:x}"
