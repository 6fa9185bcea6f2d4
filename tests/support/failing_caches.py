"""Django cache backends that misbehave on purpose, for the learned-store tests.

- :class:`FlakyCache` keeps its values in this process (shared by every instance,
  as Django builds one per thread and per async context) and fails every call with
  :class:`ConnectionError` while :data:`OUTAGE` is set: a Redis that went away and
  came back, without a Redis.
- :class:`SlowCache` answers every read after :data:`SLOW_READ_SECONDS`, as a cache
  on an overloaded network would.

:func:`learned_store` gives the settings that make one of them (or any cache) the
learned store; call :func:`reset` before each test.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

__all__ = ["OUTAGE", "SLOW_READ_SECONDS", "FlakyCache", "SlowCache", "learned_store", "reset"]

#: Set while the flaky cache is "down".
OUTAGE = threading.Event()
SLOW_READ_SECONDS = 2.0

_values: dict[str, Any] = {}


def learned_store(
    backend: str, location: str = "", alias: str = "h2push-learned", **more: Any
) -> dict[str, Any]:
    """Settings (for ``override_settings``) whose ``H2PUSH_LEARN_CACHE`` is a cache of
    ``backend``: a class of this module by name, or a dotted path."""
    if "." not in backend:
        backend = f"{__name__}.{backend}"
    return {
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            alias: {"BACKEND": backend, "LOCATION": location},
        },
        "H2PUSH_LEARN_CACHE": alias,
        **more,
    }


def reset(*, down: bool) -> None:
    """Forget every value and start up (``down=False``) or in an outage."""
    _values.clear()
    if down:
        OUTAGE.set()
    else:
        OUTAGE.clear()


def _check() -> None:
    if OUTAGE.is_set():
        raise ConnectionError("the test cache is down")


class FlakyCache(BaseCache):
    """A cache in this process that raises on every call during an outage."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        _check()
        return _values.get(self.make_and_validate_key(key, version=version), default)

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        _check()
        _values[self.make_and_validate_key(key, version=version)] = value

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        _check()
        _values.setdefault(self.make_and_validate_key(key, version=version), value)
        return True

    def delete(self, key: str, version: int | None = None) -> bool:
        _check()
        return _values.pop(self.make_and_validate_key(key, version=version), None) is not None

    def clear(self) -> None:
        _check()
        _values.clear()

    # The async methods answer in the event loop: BaseCache's would hop to a thread.
    async def aget(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self.get(key, default, version)

    async def aset(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self.set(key, value, timeout, version)

    async def adelete(self, key: str, version: int | None = None) -> bool:
        return self.delete(key, version)


class SlowCache(FlakyCache):
    """A working cache whose reads take :data:`SLOW_READ_SECONDS`."""

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        time.sleep(SLOW_READ_SECONDS)
        return super().get(key, default, version)

    async def aget(self, key: str, default: Any = None, version: int | None = None) -> Any:
        await asyncio.sleep(SLOW_READ_SECONDS)
        return super().get(key, default, version)
