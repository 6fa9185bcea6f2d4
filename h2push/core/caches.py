"""What h2push remembers per process, in one place, and forgotten together.

h2push keeps two kinds of per-process memory:

- caches of work whose inputs repeat per route or per name (a resolved static URL,
  a parsed ``Link`` value, a route's learnable links): :func:`per_process` makes one
  (an ``lru_cache``, so the hot path pays nothing more) and registers it;
- warnings a process gives once, because the cause repeats on every request (a
  server that refuses 103s, a cap that cuts links): :func:`warn_once`.

Some of it depends on Django's settings. The one ``setting_changed`` receiver
(:mod:`h2push.django_layer.conf`) calls :func:`forget` with the setting's name; each
registration says which settings it depends on (``when``), every setting by
default. Nothing here imports Django, so the delivery layer registers its caches too.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["forget", "on_forget", "per_process", "warn_once"]

T = TypeVar("T")
SettingFilter = Callable[[str], bool]

#: The most distinct warnings a process remembers: a cause built from what a client
#: sent must not grow this set (past it, a warning is simply not repeated).
MAX_WARNINGS = 256


def _every_setting(setting: str) -> bool:
    return True


_forgetters: list[tuple[SettingFilter, Callable[[], None]]] = []
_warned: set[Hashable] = set()
_lock = threading.Lock()


def per_process(
    maxsize: int | None = 1024, *, when: SettingFilter = _every_setting
) -> Callable[[Callable[..., T]], functools._lru_cache_wrapper[T]]:
    """An ``lru_cache`` of ``maxsize`` entries, cleared by :func:`forget` when a
    setting that ``when`` accepts changes."""

    def decorate(function: Callable[..., T]) -> functools._lru_cache_wrapper[T]:
        cached = functools.lru_cache(maxsize=maxsize)(function)
        on_forget(cached.cache_clear, when=when)
        return cached

    return decorate


def on_forget(forget_it: Callable[[], None], *, when: SettingFilter = _every_setting) -> None:
    """Call ``forget_it`` whenever a setting that ``when`` accepts changes: for memory
    that is not a function's cache (a dict of routes, a middleware's options)."""
    _forgetters.append((when, forget_it))


def forget(setting: str | None = None) -> None:
    """Forget what depends on ``setting`` (everything if ``None``), and the warnings
    given, so that a changed setting is warned about anew."""
    for when, forget_it in list(_forgetters):
        if setting is None or when(setting):
            forget_it()
    with _lock:
        _warned.clear()


def warn_once(logger: logging.Logger, cause: Hashable, message: str, *args: Any) -> bool:
    """Log ``message`` as a warning the first time ``cause`` is seen in this process
    (until the next :func:`forget`); ``True`` if it was logged."""
    with _lock:
        if cause in _warned or len(_warned) >= MAX_WARNINGS:
            return False
        _warned.add(cause)
    logger.warning(message, *args)
    return True
