"""Fixtures of the end-to-end tests only.

- ``redis_server``: a :class:`harness.redis.RedisServer` (Debian's
  ``redis-server``) running on a free loopback port, empty, answering PING. The test
  may ``stop()`` it and ``start()`` it again on the same port (an outage); it is
  stopped when the test ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.redis import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    # Per test, not per session: a test that stops it must not take it from another.
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()
