"""What h2push learns of each route's preloads, to hint them before the view runs.

Only public static assets are learned, and only what the route's pages agree on:

- A URL is learnable if it lies under ``STATIC_URL`` (no dot segments, at most
  :data:`~h2push.core.linkheader.MAX_URL_LENGTH` long) and names a static file that
  exists. Anything else a page registers may be one user's private URL, or built
  from the request, and must never reach another visitor's 103.
- A link is hinted once two consecutive successful HTML responses of the route both
  had it. One request alone never decides what the next visitor is hinted; a page
  that changes its assets (a new hashed name) is hinted the new ones from the
  third visit, and a route whose pages differ is hinted what they share.
- A route is keyed by its URL pattern and the first ``ALLOWED_HOSTS`` entry its
  host matched, in Django's own order and rules. A host named in full keys its own
  routes; every host a pattern lets in (``.example.com``, ``*``) shares that
  pattern's key. Host values an attacker varies (ports, subdomains, any name under
  ``*``) therefore add no entries: at most one per route and entry.

A store that fails, answers slowly or hangs costs the request its hint, never the
page: see :func:`read` and :func:`write` (and :mod:`h2push.django_layer.stores`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.http.request import split_domain_port
from django.utils.http import is_same_domain

from h2push.core import caches
from h2push.core.linkheader import MAX_URL_LENGTH, has_dot_segments
from h2push.django_layer import hintable, staticnames
from h2push.django_layer.conf import conf, django_setting
from h2push.django_layer.preload import Preload, preload_from_link
from h2push.django_layer.stores import (
    CacheStore,
    LearnedStore,
    Links,
    MemoryStore,
    ViewTimes,
    get_store,
    get_view_times,
    open_store,
    read_links,
    read_links_sync,
    write_links,
    write_links_sync,
)

__all__ = [
    "CacheStore",
    "Learned",
    "LearnedStore",
    "Links",
    "MemoryStore",
    "ViewTimes",
    "get_store",
    "get_view_times",
    "is_learnable",
    "learnable_links",
    "names_missing_static_file",
    "next_entry",
    "open_store",
    "read",
    "read_in_process",
    "read_sync",
    "request_origin",
    "route_and_origin",
    "route_key",
    "write",
    "write_sync",
]


class Learned(NamedTuple):
    """A route's entry: the links its last two pages agreed on, and its last page's."""

    agreed: Links = ()
    seen: Links = ()

    def observe(self, links: Links) -> Learned:
        """The entry after one more page of the route that had ``links``."""
        return Learned(tuple(link for link in links if link in self.seen), links)

    def to_links(self) -> Links:
        # Stores keep plain tuples of Link values; "" is no Link value, so it can
        # mark where the agreed links end.
        return (*self.agreed, "", *self.seen) if self.seen else ()

    def preloads(self) -> tuple[Preload, ...]:
        """The agreed links as preloads (those h2push can read back)."""
        return _preloads(self.agreed)


# A store answers with the same few tuples over and over: read each once.
@caches.per_process(1024)
def _entry(links: Links) -> Learned:
    if "" not in links:
        return Learned()
    split = links.index("")
    return Learned(links[:split], links[split + 1 :])


@caches.per_process(1024)
def _preloads(links: Links) -> tuple[Preload, ...]:
    return tuple(p for p in map(preload_from_link, links) if p is not None)


def route_key(request: HttpRequest, host: str) -> str | None:
    """The route a request resolved to (shared by all its URLs) on ``host``, if any."""
    match = request.resolver_match
    if match is None:
        return None
    return f"{_host_key(host)} {match.route or match.view_name}"


def route_and_origin(request: HttpRequest) -> tuple[str | None, str]:
    """:func:`route_key` and :func:`request_origin` of a request, worked out once per
    raw ``Host``, scheme and route: every page request needs them, and Django's own
    ``get_host()`` checks ``ALLOWED_HOSTS`` anew each time."""
    match = request.resolver_match
    route = None if match is None else (match.route or match.view_name)
    # The raw host is what get_host() validates (a host it refuses is never cached);
    # Django's own method for it, private but unchanged since Django 1.9.
    raw_host: str = request._get_raw_host()  # type: ignore[attr-defined]
    key = (raw_host, request.scheme, route)
    known = _route_origins.get(key)
    if known is None:
        host = request.get_host()
        known = (route_key(request, host), request_origin(request, host))
        if len(_route_origins) >= _MAX_ROUTE_ORIGINS:
            _route_origins.clear()  # Host values an attacker varies must not fill memory
        _route_origins[key] = known
    return known


_MAX_ROUTE_ORIGINS = 1024
_route_origins: dict[tuple[str, str | None, str | None], tuple[str | None, str]] = {}
# ALLOWED_HOSTS, DEBUG, USE_X_FORWARDED_HOST, SECURE_PROXY_SSL_HEADER and more
# decide a request's host and scheme.
caches.on_forget(_route_origins.clear)


def _host_key(host: str) -> str:
    """The ``ALLOWED_HOSTS`` entry ``host`` matched (:data:`_NO_ENTRY` if none did)."""
    domain, _port = split_domain_port(host)
    return _allowed_entry(domain, tuple(settings.ALLOWED_HOSTS), settings.DEBUG)


# The key of a host no entry matches. get_host() refuses such a host before it gets
# here, but route_key() may be given any string: keying by the host itself would let
# every value a caller passes grow the store.
_NO_ENTRY = "?"


@caches.per_process(256)
def _allowed_entry(domain: str, allowed: tuple[str, ...], debug: bool) -> str:
    if debug and not allowed:
        # Django's own defaults for an empty ALLOWED_HOSTS under DEBUG.
        allowed = (".localhost", "127.0.0.1", "[::1]")
    # Django's validate_host(): "*" matches anything, ".example.com" the domain and
    # its subdomains; the first entry that matches names the key.
    matches = (entry for entry in allowed if entry == "*" or is_same_domain(domain, entry))
    return next(matches, _NO_ENTRY)


def is_learnable(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Only a successful HTML page teaches: not a redirect, an error or an asset."""
    return (
        response.status_code == 200
        and request.method == "GET"
        and (response.headers.get("Content-Type") or "").startswith("text/html")
    )


# Whether the URL names an existing static file, and cannot climb out of
# STATIC_URL: a ".." segment, even percent-encoded, is resolved by servers and clients.
@caches.per_process(4096, when=staticnames.names_files)
def _is_static_url(url: str, static_url: str) -> bool:
    if not static_url or not url.startswith(static_url) or len(url) > MAX_URL_LENGTH:
        return False
    path = urlsplit(url).path
    if has_dot_segments(path):
        return False
    return staticnames.exists(_static_name(url, static_url))


def names_missing_static_file(preload: Preload) -> bool:
    """Whether the URL lies under ``STATIC_URL`` but names no static file."""
    static_url = django_setting("STATIC_URL") or ""
    url = preload.url
    if not static_url or not url.startswith(static_url) or len(url) > MAX_URL_LENGTH:
        return False
    return not _is_static_url(url, static_url)


def request_origin(request: HttpRequest, host: str | None = None) -> str:
    return f"{request.scheme}://{host or request.get_host()}".lower()


def learnable_links(preloads: Iterable[Preload]) -> Links:
    """The ``Link`` values of the static assets among ``preloads`` that may be hinted
    to others (see :mod:`h2push.django_layer.hintable`)."""
    return _static_links(
        tuple(preloads), django_setting("STATIC_URL") or "", conf.H2PUSH_LEARN_MAX_FILE_BYTES
    )


def next_entry(learned: Learned, used: tuple[Preload, ...], cap: int) -> Learned | None:
    """The route's entry after a page that used ``used`` (its first ``cap``
    learnable links count); ``None`` if the page changed nothing."""
    static_url = django_setting("STATIC_URL") or ""
    return _next_entry(learned, used, cap, static_url, conf.H2PUSH_LEARN_MAX_FILE_BYTES)


# A stable route's pages give the same entry the same assets over and over.
@caches.per_process(1024)
def _next_entry(
    learned: Learned, used: tuple[Preload, ...], cap: int, static_url: str, max_bytes: int
) -> Learned | None:
    new = learned.observe(_static_links(used, static_url, max_bytes)[:cap])
    return None if new == learned else new


# A route's pages use the same assets over and over: sort them out once.
@caches.per_process(1024)
def _static_links(preloads: tuple[Preload, ...], static_url: str, max_bytes: int) -> Links:
    return tuple(
        dict.fromkeys(
            p.link_value()
            for p in preloads
            if _is_static_url(p.url, static_url)
            and hintable.fits(p, _static_name(p.url, static_url), max_bytes)
        )
    )


def _static_name(url: str, static_url: str) -> str:
    """The static file name ``url`` (under ``static_url``) names."""
    return unquote(urlsplit(url).path[len(urlsplit(static_url).path) :])


async def read(route: str) -> Learned | None:
    """The route's entry; ``None`` if the store failed, did not answer in time, or is
    left alone while it hangs (:func:`h2push.django_layer.stores.read_links`)."""
    links = await read_links(route)
    return None if links is None else _entry(links)


async def write(route: str, learned: Learned) -> None:
    await write_links(route, learned.to_links())


def read_in_process(route: str) -> Learned | None:
    """The route's entry if the store lives in this process (the default), read
    without waiting; ``None`` for a store elsewhere: await :func:`read` then."""
    store = get_store()
    return _entry(store.get_sync(route)) if isinstance(store, MemoryStore) else None


def read_sync(route: str) -> Learned | None:
    """:func:`read` for sync code (WSGI), with the same bound on the wait."""
    links = read_links_sync(route)
    return None if links is None else _entry(links)


def write_sync(route: str, learned: Learned) -> None:
    write_links_sync(route, learned.to_links())
