"""Keeps the pushes in flight on one HTTP/2 connection under a budget.

A server may not open more pushed streams than the client's
SETTINGS_MAX_CONCURRENT_STREAMS allows, but Hypercorn does not check it: with many
multiplexed pages that each push, a client sees too many streams and closes the
connection. A push counts from the moment it is promised until its promised
request (which the server runs through the app like any other) has been answered.
Connections are told apart by the scope's ``client`` address.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

__all__ = ["PushBudget"]


@dataclass
class _Connection:
    promised: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    last_seen: float = 0.0


class PushBudget:
    """Per-connection count of pushes promised and not yet answered.

    ``idle_after`` forgets a connection not heard from for that many seconds: a
    client that refuses push never requests what was promised, and its address
    may later be reused by a new connection.
    """

    def __init__(
        self,
        limit: int,
        *,
        max_connections: int = 10_000,
        idle_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.max_connections = max_connections
        self.idle_after = idle_after
        self._clock = clock
        self._connections: OrderedDict[Hashable, _Connection] = OrderedDict()

    def _connection(self, key: Hashable) -> _Connection:
        now = self._clock()
        connection = self._connections.get(key)
        if connection is None:
            connection = self._connections[key] = _Connection()
            while len(self._connections) > self.max_connections:
                self._connections.popitem(last=False)
        elif now - connection.last_seen > self.idle_after:
            # Promises nobody claimed will never be answered (the client refused
            # them); pushes being answered still hold their streams open.
            connection.in_flight = max(connection.in_flight - connection.promised.total(), 0)
            connection.promised.clear()
        self._connections.move_to_end(key)
        connection.last_seen = now
        return connection

    def acquire(self, key: Hashable, path: str) -> bool:
        """Count a push of ``path`` on connection ``key``; ``False`` if over budget."""
        connection = self._connection(key)
        if connection.in_flight >= self.limit:
            return False
        connection.in_flight += 1
        connection.promised[path] += 1
        return True

    def is_full(self, key: Hashable) -> bool:
        """Whether connection ``key`` has no room for a push now (an idle
        connection's stale promises are let go first, as :meth:`acquire` does)."""
        return self._connection(key).in_flight >= self.limit

    def expects(self, key: Hashable) -> bool:
        """Whether connection ``key`` has promises not yet claimed."""
        connection = self._connections.get(key)
        return connection is not None and bool(connection.promised)

    def claim(self, key: Hashable, path: str) -> bool:
        """``True`` if a request for ``path`` is the promised request of a push;
        the caller then calls :meth:`release` once it is answered."""
        connection = self._connections.get(key)
        if connection is None or connection.promised[path] <= 0:
            return False
        connection.promised[path] -= 1
        if not connection.promised[path]:
            del connection.promised[path]
        return True

    def release(self, key: Hashable) -> None:
        connection = self._connections.get(key)
        if connection is not None and connection.in_flight > 0:
            connection.in_flight -= 1
            connection.last_seen = self._clock()

    def forget(self, key: Hashable) -> None:
        """Drop connection ``key`` and what it had in flight."""
        self._connections.pop(key, None)

    def in_flight(self, key: Hashable) -> int:
        connection = self._connections.get(key)
        return connection.in_flight if connection else 0
