"""Who sent a report, as far as h2push needs to know, and one sample per client.

A conclusion needs several distinct clients to agree, so h2push must tell clients
apart without keeping anything that names one: :func:`client_key` is a keyed hash of
the client's address (a key derived from ``SECRET_KEY``, so the hash cannot be
reversed by hashing every IPv4 address), and an IPv6 client is its /64 network,
since one subscriber is handed a whole /64 and could otherwise be many clients.

:func:`client_address` finds the address: the connection's peer, or behind a proxy
the address that proxy wrote into the header named by ``H2PUSH_FIELD_CLIENT_HEADER``.

:class:`OncePerWindow` lets each client add one sample per route per time window,
in this process's memory. Any class with its ``allow`` method (:class:`Limiter`)
can take its place, such as one kept in a store shared by workers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Protocol

from django.conf import settings
from django.utils.crypto import salted_hmac

from h2push.core import caches

__all__ = [
    "IPV6_PREFIX",
    "MAX_CLIENT_KEYS",
    "Limiter",
    "OncePerWindow",
    "client_address",
    "client_key",
]

#: The IPv6 network one client is taken to hold: ISPs give a subscriber at least a
#: /64 (RFC 6177), and a host picks addresses in it at will (privacy addresses).
IPV6_PREFIX = 64
#: The most (route, client) pairs :class:`OncePerWindow` remembers in one process.
MAX_CLIENT_KEYS = 10_000

_KEY_BYTES = 16  # 128 bits: no two clients of a site share a key by chance
_SALT = "h2push.field.client"


def client_key(address: str) -> str:
    """A keyed hash of ``address`` that tells clients apart and names none (22
    URL-safe characters). Spellings of one address give one key (``::1`` and
    ``0:0::1``, an IPv4 address and its IPv6-mapped form), and so do all addresses of
    one IPv6 /64. A value that is no IP address is hashed as it is."""
    digest = hmac.new(
        _derived_key(settings.SECRET_KEY), _canonical(address).encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:_KEY_BYTES]).decode("ascii").rstrip("=")


def client_address(meta: Mapping[str, str], header: str | None) -> str:
    """The client's address from a request's ``META``: ``REMOTE_ADDR``, or when
    ``header`` (a ``META`` key such as ``"HTTP_X_FORWARDED_FOR"``) names the header a
    trusted proxy writes, the address that proxy appended to it. An empty string if
    there is neither."""
    if header:
        value = meta.get(header)
        if isinstance(value, str):
            # Each proxy appends the address it was connected from to whatever the
            # request already carried, and a client can send the header itself
            # with any addresses it likes: only the right-most entry, written by the
            # trusted proxy in front of this server, is not the client's own word.
            last = value.rsplit(",", 1)[-1].strip()
            if last:
                return _without_port(last)
        # No header: the request did not come through the proxy, so its peer is the
        # client itself.
    remote = meta.get("REMOTE_ADDR")
    return remote.strip() if isinstance(remote, str) else ""


class Limiter(Protocol):
    """Whether a client may add one more sample to a route in a time window."""

    def allow(self, route: str, client: str, window: int) -> bool:
        """``True`` the first time ``client`` asks for ``route`` in ``window`` (once
        said, the sample counts), ``False`` after that."""
        ...


class OncePerWindow:
    """One sample per client per route per time window, remembered in this process.

    It remembers the window of each (route, client) pair's last sample, the least
    recently seen pair forgotten first once there are ``max_keys`` of them: memory
    stays bounded (10,000 pairs take a few megabytes at most) however many clients a flood comes
    from. A forgotten pair may add a second sample in the same window, but only
    after ``max_keys`` other pairs came since its own; and a client's repeats never
    make a quorum, which counts distinct clients.

    ``window`` should be the current window (:func:`~h2push.django_layer.field.token.
    window_of`), not the token's: a token is good for two windows, so counting by
    the token's window would let a client send twice for one page.
    """

    def __init__(self, max_keys: int = MAX_CLIENT_KEYS) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.max_keys = max_keys
        self._last: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()  # WSGI servers answer beacons on many threads

    def allow(self, route: str, client: str, window: int) -> bool:
        key = (route, client)
        with self._lock:
            last = self._last.get(key)
            if last is not None and last >= window:
                self._last.move_to_end(key)
                return False
            self._last[key] = window
            self._last.move_to_end(key)
            while len(self._last) > self.max_keys:
                self._last.popitem(last=False)
            return True

    def clear(self) -> None:
        """Forget every client."""
        with self._lock:
            self._last.clear()

    def __len__(self) -> int:
        return len(self._last)


def _canonical(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address  # a Unix socket's peer, a proxy's "unknown": hashed as given
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def _without_port(entry: str) -> str:
    # Some proxies write "203.0.113.7:51234" or "[2001:db8::1]:51234"; an IPv6
    # address without brackets is all colons and stays as it is.
    if entry.startswith("["):
        return entry[1:].split("]", 1)[0]
    host, colon, port = entry.rpartition(":")
    if colon and "." in host and ":" not in host and port.isdigit():
        return host
    return entry


@caches.per_process(4)
def _derived_key(secret_key: str) -> bytes:
    # A key of its own: a client key is never a valid token MAC, nor the reverse.
    return salted_hmac(_SALT, "key", secret=secret_key, algorithm="sha256").digest()
