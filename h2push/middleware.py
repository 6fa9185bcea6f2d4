"""The Django layer: turns a request's registrations into ``Link: rel=preload`` headers.

It decides *what* a page preloads. How the links travel (a header only, an HTTP/2
push, a 103 Early Hints response) is the ASGI adapter's business
(:mod:`h2push.asgi`), which reads nothing but the standard ``Link`` header.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from h2push import registry
from h2push.conf import conf
from h2push.linkheader import join_links, parse_link, split_links
from h2push.preload import Preload

__all__ = ["PreloadMiddleware", "merge_preload_links"]

logger = logging.getLogger("h2push")

GetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


def merge_preload_links(
    header: str | None, preloads: Iterable[Preload], cap: int
) -> tuple[str | None, list[Preload]]:
    """Merge ``preloads`` into a view's own ``Link`` header value.

    The view's links come first and are kept as they are; each preload is added
    once, in registration order, until the response has ``cap`` preload links.
    Returns the new header value and the preloads that were added.
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
        if len(seen) >= cap:
            logger.debug("Preload of %s dropped: the response has %d already.", preload.url, cap)
            continue
        seen.add(preload.url)
        added.append(preload)
        values.append(preload.link_value())
    return (join_links(values) if values else None), added


class PreloadMiddleware:
    """Collects the preloads registered while a response is built and writes them
    into its ``Link`` header. Runs without a thread hop under ASGI and WSGI alike."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | AsyncGetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        promises, token = registry.activate()
        try:
            response = self.get_response(request)  # type: ignore[assignment]
        finally:
            registry.deactivate(token)
        assert isinstance(response, HttpResponseBase)
        self.add_links(response, promises)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        promises, token = registry.activate()
        try:
            response = await self.get_response(request)  # type: ignore[misc]
        finally:
            registry.deactivate(token)
        self.add_links(response, promises)
        return response

    def add_links(self, response: HttpResponseBase, promises: registry.PushPromises) -> None:
        own = registry.response_promises(response)
        if own:
            for preload in own.preloads():
                promises.add(preload)
        if not promises:
            return
        header, added = merge_preload_links(
            response.headers.get("Link"), promises.preloads(), conf.H2PUSH_MAX_PRELOADS
        )
        if header:
            response.headers["Link"] = header
        response.push_promises = registry.PushPromises(added)  # type: ignore[attr-defined]
