"""Where a request's preloads are collected while its response is built.

Each request handled by :class:`h2push.middleware.PreloadMiddleware` gets its own
:class:`PushPromises` in a context variable, so template tags, decorators and view
code register into it without being handed the request, and nothing registered for
one request can reach another (asgiref copies the context into the thread of a
sync view, so the same collection is shared with it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSet
from contextvars import ContextVar, Token
from typing import Any

from django.http import HttpResponseBase

from h2push.django_layer.preload import Preload, header_safe, preload

__all__ = [
    "PushPromises",
    "activate",
    "current",
    "deactivate",
    "install_response_attribute",
    "make_push_promise",
    "register",
]


class PushPromises(MutableSet[str]):
    """An ordered set of preload URLs, each with its :class:`Preload` details.

    It behaves like Quart's ``response.push_promises`` (a set of URLs) and keeps
    registration order; adding a URL already present keeps the first registration.
    """

    __slots__ = ("_preloads",)

    def __init__(self, items: Iterable[str | Preload] = ()) -> None:
        self._preloads: dict[str, Preload] = {}
        for item in items:
            self.add(item)

    @classmethod
    def of(cls, preloads: Iterable[Preload]) -> PushPromises:
        """The set of ``preloads`` (checked already: each URL once)."""
        promises = cls.__new__(cls)
        promises._preloads = {p.url: p for p in preloads}
        return promises

    def add(
        self,
        value: str | Preload,
        *,
        as_: str = "",
        crossorigin: str | None = None,
        nopush: bool = False,
    ) -> None:
        if not isinstance(value, Preload):
            value = preload(header_safe(value), as_, crossorigin, nopush)
        self._preloads.setdefault(value.url, value)

    def discard(self, value: str | Preload) -> None:
        self._preloads.pop(value.url if isinstance(value, Preload) else value, None)

    def __contains__(self, value: object) -> bool:
        if isinstance(value, Preload):
            value = value.url
        return value in self._preloads

    def __iter__(self) -> Iterator[str]:
        return iter(self._preloads)

    def __len__(self) -> int:
        return len(self._preloads)

    def __repr__(self) -> str:
        return f"PushPromises({list(self._preloads)!r})"

    def preloads(self) -> list[Preload]:
        """The registered preloads, in registration order."""
        return list(self._preloads.values())


_current: ContextVar[PushPromises | None] = ContextVar("h2push_push_promises", default=None)


def activate() -> tuple[PushPromises, Token[PushPromises | None]]:
    """Start collecting for a new request; pass the token to :func:`deactivate`."""
    promises = PushPromises()
    return promises, _current.set(promises)


def deactivate(token: Token[PushPromises | None]) -> None:
    _current.reset(token)


def current() -> PushPromises | None:
    """The collection of the request being handled, or ``None`` outside one."""
    return _current.get()


def make_push_promise(
    url: str, *, as_: str = "", crossorigin: str | None = None, nopush: bool = False
) -> Preload:
    """Register ``url`` to be preloaded (and pushed) with the current response.

    The counterpart of Quart's ``make_push_promise``; works in sync and async views.
    Raises :class:`ValueError` for an unsafe URL and :class:`RuntimeError` outside
    a request that :class:`~h2push.middleware.PreloadMiddleware` handles.
    """
    registered = preload(header_safe(url), as_, crossorigin, nopush)
    if not register(registered):
        raise RuntimeError(
            "make_push_promise() was called outside a request handled by "
            "h2push.middleware.PreloadMiddleware; add it to MIDDLEWARE."
        )
    return registered


def register(registered: Preload) -> bool:
    """Add ``registered`` to the current request's collection; ``False`` outside one."""
    promises = _current.get()
    if promises is None:
        return False
    promises.add(registered)
    return True


# A response's own set, made when first read or assigned.
_PROMISES = "_h2push_push_promises"
# The middleware's merged preloads, a tuple, kept apart until someone reads the set
# (few do, and every page request writes it).
_MERGED = "_h2push_merged_preloads"


class _PushPromisesAttribute:
    """``response.push_promises``: created empty on first use, per response."""

    def __get__(self, response: HttpResponseBase | None, owner: type) -> Any:
        if response is None:
            return self
        promises = response_promises(response)
        if promises is None:
            promises = response.__dict__[_PROMISES] = PushPromises()
        return promises

    def __set__(self, response: HttpResponseBase, value: Iterable[str | Preload]) -> None:
        response.__dict__.pop(_MERGED, None)
        response.__dict__[_PROMISES] = (
            value if isinstance(value, PushPromises) else PushPromises(value)
        )


def install_response_attribute() -> None:
    """Give every Django response a ``push_promises`` set, as Quart's responses have."""
    if not isinstance(HttpResponseBase.__dict__.get("push_promises"), _PushPromisesAttribute):
        HttpResponseBase.push_promises = _PushPromisesAttribute()  # type: ignore[attr-defined]


def set_response_promises(response: HttpResponseBase, preloads: tuple[Preload, ...]) -> None:
    """Give the response ``preloads`` (each URL once) as its ``push_promises``; the
    set is made if someone reads it."""
    response.__dict__.pop(_PROMISES, None)
    response.__dict__[_MERGED] = preloads


def response_promises(response: HttpResponseBase) -> PushPromises | None:
    """The response's own ``push_promises`` if the view used them, without creating them."""
    promises: PushPromises | None = response.__dict__.get(_PROMISES)
    if promises is None:
        merged: tuple[Preload, ...] | None = response.__dict__.pop(_MERGED, None)
        if merged is not None:
            promises = response.__dict__[_PROMISES] = PushPromises.of(merged)
    return promises
