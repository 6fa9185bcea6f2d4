"""Where ``runh2server`` listens: ``runserver``'s ``addrport`` argument, read the same way.

:func:`parse_addrport` accepts a port (``8443``) or an address and a port
(``0.0.0.0:8443``, ``[::1]:8443``, ``localhost:8443``) and returns an
:class:`Address`. Its errors are :class:`StartupError`, worded like runserver's, so
the command can print them as they are.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

__all__ = ["DEFAULT_PORT", "Address", "StartupError", "parse_addrport"]

# runserver's 8000 is for plain HTTP; 8443 is the usual stand-in for 443.
DEFAULT_PORT = 8443

# runserver's own pattern, so the same arguments are accepted and refused.
_ADDRPORT = re.compile(
    r"""^(?:
(?P<addr>
    (?P<ipv4>\d{1,3}(?:\.\d{1,3}){3}) |         # IPv4 address
    (?P<ipv6>\[[a-fA-F0-9:]+\]) |               # IPv6 address
    (?P<fqdn>[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*) # FQDN
):)?(?P<port>\d+)$""",
    re.X,
)


class StartupError(Exception):
    """The server cannot start; the message is one readable line.

    Raised for an address that cannot be read here, and by :mod:`h2push.server.serving` for
    one that cannot be bound: to the user both are the same kind of failure.
    """


@dataclass(frozen=True)
class Address:
    """Where to listen. ``host`` has no brackets; ``ipv6`` picks the socket family."""

    host: str
    port: int
    ipv6: bool = False

    @property
    def netloc(self) -> str:
        """``host:port`` as in a URL: ``[::1]:8443``; ``0`` reads as ``0.0.0.0``."""
        host = "0.0.0.0" if self.host == "0" else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.netloc}/"

    @property
    def unspecified(self) -> bool:
        """Whether this listens on every interface (``0.0.0.0``, ``::``)."""
        return self.host in ("0", "0.0.0.0", "::")


def parse_addrport(
    addrport: str | None, *, ipv6: bool = False, default_port: int = DEFAULT_PORT
) -> Address:
    """Read ``runserver``'s ``addrport`` argument: a port, or ``addr:port``.

    Without an address: ``127.0.0.1`` (``::1`` with ``ipv6``). A bracketed address
    implies IPv6. Raises :class:`StartupError` with runserver's messages.
    """
    if ipv6 and not socket.has_ipv6:
        raise StartupError("Your Python does not support IPv6.")
    if not addrport:
        return Address("::1" if ipv6 else "127.0.0.1", default_port, ipv6)
    match = _ADDRPORT.match(addrport)
    if match is None:
        raise StartupError(f'"{addrport}" is not a valid port number or address:port pair.')
    addr, _ipv4, is_ipv6, fqdn, port_text = match.groups()
    port = int(port_text)
    if port > 65535:
        raise StartupError(f"{port} is not a valid port number (0 to 65535).")
    if addr:
        if is_ipv6:
            addr, ipv6 = addr[1:-1], True
        elif ipv6 and not fqdn:
            raise StartupError(f'"{addr}" is not a valid IPv6 address.')
    else:
        addr = "::1" if ipv6 else "127.0.0.1"
    return Address(addr, port, ipv6)
