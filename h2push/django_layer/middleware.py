"""The Django layer: turns a request's registrations into ``Link: rel=preload`` headers.

It decides *what* a page preloads. How the links travel (a header only, an HTTP/2
push, a 103 Early Hints response) is the delivery layer's business
(:mod:`h2push.delivery`); the two meet only through :mod:`h2push.core.contract`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import NamedTuple

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from h2push.core import caches
from h2push.core import story as stories
from h2push.core.contract import EARLY_LINKS_SCOPE_KEY, SendEarlyLinks, SendEarlyLinksSync
from h2push.core.linkheader import (
    MAX_URL_LENGTH,
    join_links,
    parse_link,
    preconnect_value,
    split_links,
)
from h2push.core.story import Fate, Reason, Source, Story
from h2push.django_layer import learning, origins, registry
from h2push.django_layer.checks import refuse_invalid_settings
from h2push.django_layer.conf import conf
from h2push.django_layer.field import handler as field_handler
from h2push.django_layer.field import visit as field_visit
from h2push.django_layer.preload import Preload
from h2push.django_layer.visit import Visit, without_missing_files

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
    preload of one of the site's asset origins (:mod:`h2push.django_layer.origins`)
    is preceded by a ``preconnect`` to that origin; a preload of any other origin
    than ``own_origin`` is left out. Returns the new header value and the preloads
    that were added.
    """
    merged = _merge(header, tuple(preloads), cap, own_origin)
    return merged.header, list(merged.added)


def _merge(
    header: str | None, preloads: tuple[Preload, ...], cap: int, own_origin: str | None
) -> _Merged:
    """:func:`merge_preload_links`' work, its log lines written on every call."""
    merged = _merge_once(header, preloads, cap, own_origin, origins.asset_origins())
    for url in merged.foreign:
        logger.debug("Preload of %s left out: not an origin of the site's.", url[:200])
    if merged.too_long or merged.over_cap:
        for url in merged.too_long:
            logger.debug("Preload of a %d-character URL dropped: too long.", len(url))
        for url in merged.over_cap:
            _warn_cap(url, cap)
    return merged


class _Merged(NamedTuple):
    header: str | None
    added: tuple[Preload, ...]
    too_long: tuple[str, ...]
    over_cap: tuple[str, ...]
    foreign: tuple[str, ...]


# A route's pages merge the same preloads into the same view header over and over:
# the result is worked out once (preloads are shared objects, cheap to compare).
@caches.per_process(1024)
def _merge_once(
    header: str | None,
    preloads: tuple[Preload, ...],
    cap: int,
    own_origin: str | None,
    assets: frozenset[str],
) -> _Merged:
    values = list(split_links(header)) if header else []
    seen: set[str] = set()
    for value in values:
        link = parse_link(value)
        if link is not None and link.is_preload:
            seen.add(link.url)
    added: list[Preload] = []
    too_long: list[str] = []
    over_cap: list[str] = []
    foreign: list[str] = []
    for preload in preloads:
        if preload.url in seen:
            continue
        if len(preload.url) > MAX_URL_LENGTH:
            too_long.append(preload.url)
            continue
        if not origins.is_trusted(preload.url, own_origin, assets):
            foreign.append(preload.url)
            continue
        if len(seen) >= cap:
            over_cap.append(preload.url)
            continue
        seen.add(preload.url)
        added.append(preload)
        origin = preload.origin
        if origin is not None and origin != own_origin:
            # A module script is fetched in CORS mode whatever its tag says.
            cors = preload.crossorigin is not None or preload.module
            preconnect = preconnect_value(origin, cors)
            if preconnect not in values:
                values.append(preconnect)
        values.append(preload.link_value())
    joined = join_links(values) if values else None
    return _Merged(joined, tuple(added), tuple(too_long), tuple(over_cap), tuple(foreign))


def _warn_cap(url: str, cap: int) -> None:
    """Once per process a WARNING (a page keeps more assets than the cap lets
    through, and that is a setting to look at); each drop at DEBUG."""
    if not caches.warn_once(
        logger,
        "H2PUSH_MAX_PRELOADS",
        "A response had more preloads than H2PUSH_MAX_PRELOADS (%d); %s and any further "
        "ones are left out. Raise the setting, or register fewer assets.",
        cap,
        url,
    ):
        logger.debug("Preload of %s dropped: the response has %d already.", url, cap)


class PreloadMiddleware:
    """Collects the preloads registered while a response is built and writes them
    into its ``Link`` header, with the static assets the route's pages agreed on.
    Runs without a thread hop under ASGI and WSGI alike.

    Where the delivery layer offers an early channel (the h2push ASGI adapter on a
    server with push or Early Hints, or the WSGI adapter under a server with
    ``wsgi.early_hints``), it also sends the links known before the view runs:
    those the view declared with a decorator and the route's learned assets, so
    they can be pushed or hinted while the view works.
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
            self.process_view = self.before_view
        else:
            self.process_view = self.before_view_sync
        learning.open_store()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        if field_handler.answers(request):
            return field_handler.answer_report_sync(request)
        promises, token = registry.activate()
        try:
            response = self.get_response(request)
        finally:
            registry.deactivate(token)
        assert isinstance(response, HttpResponseBase)
        route, learned = self.after_view(request, response, promises)
        if route is not None and learned is not None:
            learning.write_sync(route, learned)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if field_handler.answers(request):
            return await field_handler.answer_report(request)
        promises, token = registry.activate()
        try:
            response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        finally:
            registry.deactivate(token)
        route, learned = self.after_view(request, response, promises)
        if route is not None and learned is not None:
            await learning.write(route, learned)
        return response

    async def before_view(
        self, request: HttpRequest, view: Callable[..., object], args: object, kwargs: object
    ) -> None:
        visit = request._h2push_visit = Visit.begin(request)  # type: ignore[attr-defined]
        if visit.reads_store and visit.route is not None:
            learned = learning.read_in_process(visit.route)  # the default: nothing to await
            visit.read(learned if learned is not None else await learning.read(visit.route))
        if conf.H2PUSH_FIELD and visit.route is not None:
            visit.field = await field_visit.begin(request, visit.route, visit.own_origin)
        # The delivery layer offers the channel only where something can go out
        # early (a GET, with Early Hints on, on a server that can push or hint).
        send: SendEarlyLinks | None = getattr(request, "scope", {}).get(EARLY_LINKS_SCOPE_KEY)
        values = _early_values(visit, view, send is not None)
        if send is not None and values:
            await send(values)
        return None

    def before_view_sync(
        self, request: HttpRequest, view: Callable[..., object], args: object, kwargs: object
    ) -> None:
        visit = request._h2push_visit = Visit.begin(request)  # type: ignore[attr-defined]
        if visit.reads_store and visit.route is not None:
            visit.read(learning.read_sync(visit.route))
        if conf.H2PUSH_FIELD and visit.route is not None:
            visit.field = field_visit.begin_sync(request, visit.route, visit.own_origin)
        send: SendEarlyLinksSync | None = request.META.get(EARLY_LINKS_SCOPE_KEY)
        values = _early_values(visit, view, send is not None)
        if send is not None and values:
            send(values)
        return None

    def after_view(
        self, request: HttpRequest, response: HttpResponseBase, promises: registry.PushPromises
    ) -> tuple[str | None, learning.Learned | None]:
        """Write the ``Link`` header; the route and its new entry, if the page changed it."""
        visit: Visit | None = request.__dict__.pop("_h2push_visit", None)
        own = registry.response_promises(response)
        if own:
            for preload in own.preloads():
                promises.add(preload)
        story = visit.story if visit is not None else None
        if story is not None:
            for preload in promises.preloads():
                story.link(preload.url, Source.REGISTERED)
        registered = without_missing_files(promises.preloads(), story) if promises else []
        learnable = visit is not None and learning.is_learnable(request, response)
        learned: tuple[Preload, ...] = ()
        if visit is not None and learnable:
            learned = visit.learned_preloads()  # a page's assets; not an error's or a redirect's
        added = self.add_links(
            request, response, [*registered, *learned], visit, learned_only=not registered
        )
        if visit is None:
            return None, None
        new_entry = visit.finish(response, registered, learnable)
        # After discovery read the page: the script is not one of the page's assets.
        if visit.field is not None and visit.route is not None and learnable:
            field_visit.finish(request, response, visit.route, visit.own_origin, visit.field, added)
        if visit.tells:
            stories.tell(visit.story)
        return visit.route, new_entry

    def add_links(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        preloads: list[Preload],
        visit: Visit | None = None,
        learned_only: bool = False,
    ) -> tuple[Preload, ...]:
        """Merge ``preloads`` into the response's ``Link`` header; those that made it
        become its ``push_promises``, and are returned. ``learned_only``: they are
        the route's learned links alone (nothing was registered)."""
        if not preloads:
            return ()
        own_origin = visit.own_origin if visit is not None else None
        if own_origin is None and any(p.origin for p in preloads):
            own_origin = learning.request_origin(request)
        view_header = response.headers.get("Link")
        # A settled route's pages merge the same links into the same view header.
        settled = visit.reusable if visit is not None and learned_only else None
        merged: _Merged | None = None if settled is None else settled.reused(("link", view_header))
        if merged is None:
            merged = _merge(view_header, tuple(preloads), conf.H2PUSH_MAX_PRELOADS, own_origin)
            if settled is not None and not (merged.too_long or merged.over_cap or merged.foreign):
                settled.keep(("link", view_header), merged)  # nothing to log on the next page
        if visit is not None and visit.story is not None:
            _tell_header(visit.story, preloads, merged, view_header)
        if merged.header:
            response.headers["Link"] = merged.header
        registry.set_response_promises(response, merged.added)
        return merged.added


def _early_values(visit: Visit, view: Callable[..., object], channel: bool) -> Sequence[str]:
    """What goes out early, if anything: nothing for a route too fast to gain."""
    visit.tell_field(view)
    if not visit.worth_hinting:
        visit.note(Reason.FAST_VIEW)
        return ()
    values = visit.early_values(view)
    if not channel:
        visit.note(Reason.NO_EARLY_CHANNEL)
    elif values and visit.field is not None and field_visit.hold_out(visit.field):
        visit.note(Reason.HOLDOUT)
        return ()
    return values


def _tell_header(
    story: Story, preloads: list[Preload], merged: _Merged, view_header: str | None
) -> None:
    own = {link.url for link in map(parse_link, split_links(view_header or "")) if link}
    for url in own:
        story.link(url, Source.VIEW)
        story.fate(url, Fate.LINK_HEADER)
    kept = {p.url for p in merged.added}
    for preload in preloads:
        if preload.url in kept:
            story.fate(preload.url, Fate.LINK_HEADER)
        elif len(preload.url) > MAX_URL_LENGTH:
            story.fate(preload.url, Fate.TOO_LONG)
        elif preload.url in merged.foreign:
            story.fate(preload.url, Fate.FOREIGN)
        elif preload.url not in own:
            story.fate(preload.url, Fate.OVER_CAP)
