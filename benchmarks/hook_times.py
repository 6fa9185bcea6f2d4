"""CPU time of each of h2push's per-request steps, for ``in-process --hooks``.

cProfile's numbers for small functions are inflated by its own per-call cost, and a
coroutine's resumptions count as calls; this wraps a few of h2push's methods and
functions (chosen below, by name) with :func:`time.thread_time_ns` instead, so each
step's CPU time in the event loop's thread is measured with one clock read on either
side. The wrappers are installed before the applications are built (the middleware
keeps bound methods it finds at construction) and never removed: only a benchmark
process calls :func:`install`. A name that no longer exists is skipped and reported.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from harness.report import log

__all__ = ["install", "print_hooks", "reset"]

# (module, attribute path, label): the Django layer's steps, then the adapter's.
STEPS = (
    (
        "h2push.django_layer.middleware",
        "PreloadMiddleware.before_view",
        "before the view (with the early send)",
    ),
    ("h2push.django_layer.visit", "Visit.begin", "  Visit.begin: host, route key, origin"),
    ("h2push.django_layer.learning", "read_in_process", "  learning.read_in_process"),
    ("h2push.django_layer.visit", "Visit.early_values", "  Visit.early_values"),
    ("h2push.django_layer.middleware", "PreloadMiddleware.after_view", "after the view"),
    ("h2push.django_layer.middleware", "without_missing_files", "  without_missing_files"),
    ("h2push.django_layer.visit", "Visit.learned_preloads", "  Visit.learned_preloads"),
    (
        "h2push.django_layer.middleware",
        "PreloadMiddleware.add_links",
        "  add_links: the merged Link value",
    ),
    ("h2push.django_layer.visit", "Visit.finish", "  Visit.finish"),
    ("h2push.django_layer.visit", "_discovered", "    discovery (fingerprint, memory)"),
    ("h2push.django_layer.learning", "learnable_links", "    learnable_links"),
    ("h2push.django_layer.learning", "write", "learning.write"),
    ("h2push.delivery.asgi_middleware", "_ways", "adapter: _ways (push? 103?)"),
    ("h2push.delivery.responder", "Responder.__init__", "adapter: Responder()"),
    ("h2push.delivery.responder", "Responder.send_early_links", "adapter: early pushes and 103"),
    ("h2push.delivery.responder", "Responder.send", "adapter: Responder.send, all messages"),
)

_spent: Counter[str] = Counter()
_calls: Counter[str] = Counter()


def _timed(function: Callable[..., Any], label: str) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time_ns()
            try:
                return await function(*args, **kwargs)
            finally:
                _spent[label] += time.thread_time_ns() - started
                _calls[label] += 1

        return timed_async

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time_ns()
        try:
            return function(*args, **kwargs)
        finally:
            _spent[label] += time.thread_time_ns() - started
            _calls[label] += 1

    return timed


def install() -> list[str]:
    """Wrap every step found; return the names that were not found."""
    missing = []
    for module_name, path, label in STEPS:
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        function = getattr(owner, name, None) if owner is not None else None
        if function is None:
            missing.append(f"{module_name}.{path}")
            continue
        setattr(owner, name, _timed(function, label))
    return missing


def reset() -> None:
    _spent.clear()
    _calls.clear()


def print_hooks(requests: int, total_ms: float) -> None:
    """Microseconds per request of each step (nested steps are indented and are part
    of the step above them)."""
    log(f"\nh2push's steps, CPU of the event loop's thread, {requests} requests:")
    log(f"   {'us/request':>10}  {'calls/request':>13}  step")
    for _, _, label in STEPS:
        if _calls[label]:
            log(
                f"   {_spent[label] / requests / 1000:10.1f}  "
                f"{_calls[label] / requests:13.1f}  {label}"
            )
    log(f"   (all of the request, all threads: {total_ms * 1000:.0f} us/request)")
