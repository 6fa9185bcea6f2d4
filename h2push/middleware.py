"""The Django layer: turns a request's registrations into ``Link: rel=preload`` headers.

It decides *what* a page preloads. How the links travel (a header only, an HTTP/2
push, a 103 Early Hints response) is the delivery layer's business
(:mod:`h2push.delivery`); the two meet only through :mod:`h2push.contract`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from h2push import learning, registry
from h2push.checks import refuse_invalid_settings
from h2push.conf import conf
from h2push.contract import EARLY_LINKS_SCOPE_KEY, SendEarlyLinks, SendEarlyLinksSync
from h2push.decorators import declared_preloads
from h2push.linkheader import (
    MAX_URL_LENGTH,
    join_links,
    parse_link,
    preconnect_value,
    split_links,
)
from h2push.preload import Preload

__all__ = ["PreloadMiddleware", "merge_preload_links"]

logger = logging.getLogger("h2push")

GetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


def merge_preload_links(
    header: str | None, preloads: Iterable[Preload], cap: int, own_origin: str | None = None
) -> tuple[str | None, list[Preload]]:
    """Merge ``preloads`` into a view's own ``Link`` header value.

    The view's links come first and are kept as they are; each preload is added
    once, in registration order, until the response has ``cap`` preload links. A
    preload on another origin than ``own_origin`` is preceded by a ``preconnect``
    to that origin. Returns the new header value and the preloads that were added.
    """
    values = list(split_links(header)) if header else []
    seen: set[str] = set()
    for value in values:
        link = parse_link(value)
        if link is not None and link.is_preload:
            seen.add(link.url)
    added: list[Preload] = []
    for preload in preloads:
        if preload.url in seen:
            continue
        if len(preload.url) > MAX_URL_LENGTH:
            logger.debug("Preload of a %d-character URL dropped: too long.", len(preload.url))
            continue
        if len(seen) >= cap:
            logger.debug("Preload of %s dropped: the response has %d already.", preload.url, cap)
            continue
        seen.add(preload.url)
        added.append(preload)
        origin = preload.origin
        if origin is not None and origin != own_origin:
            preconnect = preconnect_value(origin, preload.crossorigin is not None)
            if preconnect not in values:
                values.append(preconnect)
        values.append(preload.link_value())
    return (join_links(values) if values else None), added


@dataclass
class _Visit:
    """One request's route, found before the view, for the middleware's turn after it."""

    route: str | None
    own_origin: str
    view_started: float
    # What the store held for the route; None when it was not read (or failed).
    learned: learning.Learned | None = None


class PreloadMiddleware:
    """Collects the preloads registered while a response is built and writes them
    into its ``Link`` header. Runs without a thread hop under ASGI and WSGI alike.

    Where the delivery layer offers an early channel (the h2push ASGI adapter on a
    server with push or Early Hints, or the WSGI adapter under a server with
    ``wsgi.early_hints``), it also sends the links known before the view runs:
    those the view declared with a decorator and the static assets learned from the
    route's earlier pages, so they can be pushed or hinted while the view works.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | AsyncGetResponse) -> None:
        refuse_invalid_settings()
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        # Django calls process_view in the handler's own mode when the instance has
        # one; the other mode would cost every request a thread hop.
        self.process_view: Callable[..., object]
        if self.is_async:
            markcoroutinefunction(self)
            self.process_view = self.send_early_links
        else:
            self.process_view = self.send_early_links_sync
        learning.open_store()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        promises, token = registry.activate()
        try:
            response = self.get_response(request)
        finally:
            registry.deactivate(token)
        assert isinstance(response, HttpResponseBase)
        visit, learned = self._after_view(request, response, promises)
        if learned is not None and visit.route is not None:
            learning.write_sync(visit.route, learned)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        promises, token = registry.activate()
        try:
            response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        finally:
            registry.deactivate(token)
        visit, learned = self._after_view(request, response, promises)
        if learned is not None and visit.route is not None:
            await learning.write(visit.route, learned)
        return response

    async def send_early_links(
        self, request: HttpRequest, view: Callable[..., object], args: object, kwargs: object
    ) -> None:
        # The delivery layer offers the channel only where something can go out
        # early (a GET, with Early Hints on, on a server that can push or hint).
        send: SendEarlyLinks | None = getattr(request, "scope", {}).get(EARLY_LINKS_SCOPE_KEY)
        visit = self._visit(request) if send is not None else None
        if send is None or visit is None:
            return None
        if visit.route is not None and conf.H2PUSH_LEARN:
            visit.learned = await learning.read(visit.route)
        values = _early_values(view, visit)
        if values:
            await send(values)
        return None

    def send_early_links_sync(
        self, request: HttpRequest, view: Callable[..., object], args: object, kwargs: object
    ) -> None:
        send: SendEarlyLinksSync | None = request.META.get(EARLY_LINKS_SCOPE_KEY)
        visit = self._visit(request) if send is not None else None
        if send is None or visit is None:
            return None
        if visit.route is not None and conf.H2PUSH_LEARN:
            visit.learned = learning.read_sync(visit.route)
        values = _early_values(view, visit)
        if values:
            send(values)
        return None

    @staticmethod
    def _visit(request: HttpRequest) -> _Visit | None:
        """The request's route, kept for after the view; ``None`` if the route is
        known to answer too fast for anything sent early to gain."""
        host = request.get_host()
        visit = _Visit(
            learning.route_key(request, host),
            learning.request_origin(request, host),
            view_started=time.perf_counter(),
        )
        request._h2push_visit = visit  # type: ignore[attr-defined]
        if visit.route is not None and learning.get_view_times().is_fast(
            visit.route, conf.H2PUSH_EARLY_HINTS_MIN_VIEW_MS
        ):
            return None
        return visit

    def _after_view(
        self, request: HttpRequest, response: HttpResponseBase, promises: registry.PushPromises
    ) -> tuple[_Visit, learning.Learned | None]:
        """Write the ``Link`` header; time the view; the route's new entry if it changed."""
        visit: _Visit | None = request.__dict__.pop("_h2push_visit", None)
        added = self.add_links(request, response, promises, visit.own_origin if visit else None)
        if visit is None or visit.route is None:
            return _NO_VISIT, None
        elapsed_ms = (time.perf_counter() - visit.view_started) * 1000
        learning.get_view_times().record(visit.route, elapsed_ms)
        if visit.learned is None or not learning.is_learnable(request, response):
            return visit, None
        learned = visit.learned.observe(learning.learnable_links(added))
        return visit, (learned if learned != visit.learned else None)

    def add_links(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        promises: registry.PushPromises,
        own_origin: str | None = None,
    ) -> list[Preload]:
        own = registry.response_promises(response)
        if own:
            for preload in own.preloads():
                promises.add(preload)
        if not promises:
            return []
        preloads = promises.preloads()
        if own_origin is None and any(p.origin for p in preloads):
            own_origin = learning.request_origin(request)
        header, added = merge_preload_links(
            response.headers.get("Link"), preloads, conf.H2PUSH_MAX_PRELOADS, own_origin
        )
        if header:
            response.headers["Link"] = header
        response.push_promises = registry.PushPromises(added)  # type: ignore[attr-defined]
        return added


_NO_VISIT = _Visit(None, "", 0.0)


def _early_values(view: Callable[..., object], visit: _Visit) -> list[str]:
    """The ``Link`` values known before the view: declared first, then learned."""
    values = list(dict.fromkeys(d.resolve().link_value() for d in declared_preloads(view)))
    if visit.learned is not None:
        values.extend(v for v in visit.learned.agreed if v not in values)
    return values[: conf.H2PUSH_MAX_PRELOADS]
