"""The delivery layer's reading and writing of ``Link`` headers for one request.

Which preloads of a response to push (same-origin, not ``nopush``, no dot segments,
within the URL bound), what a 103 may carry, and which request headers a promise
copies. Pure functions over the scope and header values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from h2push.core import caches
from h2push.core.contract import Scope
from h2push.core.linkheader import (
    early_hint_values,
    join_links,
    parse_link,
    same_origin_path,
    split_links,
)
from h2push.delivery.scope import request_origin

__all__ = [
    "MAX_COPIED_BYTES",
    "NEVER_COPIED",
    "Hint",
    "early_hint_links",
    "early_push_paths",
    "header_names",
    "hint_links",
    "mark_nopush",
    "paths_to_push",
    "push_paths",
]


def push_paths(link_headers: Iterable[bytes], scope: Scope) -> Iterator[str]:
    """The paths to push for a response with these ``link`` header values.

    Yields, once each and in order, the same-origin ``rel=preload`` targets not
    marked ``nopush``, as percent-encoded path plus query.
    """
    return paths_to_push(link_headers, *request_origin(scope))


def paths_to_push(link_headers: Iterable[bytes], scheme: str, host: str | None) -> Iterator[str]:
    """:func:`push_paths` for a request of this scheme and ``Host``."""
    seen: set[str] = set()
    for header in link_headers:
        for path in _header_push_paths(header, scheme, host):
            if path not in seen:
                seen.add(path)
                yield path


def early_push_paths(link_values: Iterable[str], scheme: str, host: str | None) -> tuple[str, ...]:
    """:func:`paths_to_push` for links sent early (before the response)."""
    values = link_values if isinstance(link_values, tuple) else tuple(link_values)
    return _early_push_paths(values, scheme, host)


# A route's early links are the same page after page: find their paths once.
@caches.per_process(1024)
def _early_push_paths(values: tuple[str, ...], scheme: str, host: str | None) -> tuple[str, ...]:
    return tuple(paths_to_push([join_links(values).encode()], scheme, host))


# A site's pages send the same few Link headers over and over: parse each once.
@caches.per_process(1024)
def _header_push_paths(header: bytes, scheme: str, host: str | None) -> tuple[str, ...]:
    try:
        text = header.decode("ascii")
    except UnicodeDecodeError:
        return ()
    paths = []
    for value in split_links(text):
        link = parse_link(value)
        if link is None or not link.is_preload or link.nopush:
            continue
        path = same_origin_path(link.url, scheme, host)
        if path is not None:
            paths.append(path)
    return tuple(paths)


def early_hint_links(
    link_values: Iterable[str], scope: Scope, asset_origins: frozenset[str] = frozenset()
) -> list[bytes]:
    """The ``link`` fields of this request's 103, encoded: one field, its values
    those fit for a 103 (see :func:`h2push.core.linkheader.early_hint_values`)
    comma-joined; no field if none is."""
    hint = hint_links(link_values, *request_origin(scope), asset_origins)
    return [hint.field] if hint is not None else []


class Hint(NamedTuple):
    """A 103's links: the values it carries, and the one ``link`` field they make."""

    values: tuple[str, ...]
    field: bytes


def hint_links(
    link_values: Iterable[str],
    scheme: str,
    host: str | None,
    asset_origins: frozenset[str] = frozenset(),
) -> Hint | None:
    """:func:`early_hint_links` for a request of this scheme and ``Host``."""
    values = link_values if isinstance(link_values, tuple) else tuple(link_values)
    return _hint(values, scheme, host, asset_origins)


# A route's 103 carries the same values every time: join and encode them once. They
# go comma-joined in one field (RFC 8288 allows it, as the final response's header
# does): one field to compress and frame instead of one per link.
@caches.per_process(1024)
def _hint(
    values: tuple[str, ...], scheme: str, host: str | None, asset_origins: frozenset[str]
) -> Hint | None:
    hinted = early_hint_values(values, scheme, host, asset_origins)
    return Hint(hinted, join_links(hinted).encode()) if hinted else None


def mark_nopush(
    link_headers: list[bytes], paths: set[str], scheme: str, host: str | None
) -> list[bytes]:
    """``link_headers`` with the preloads of ``paths`` marked ``nopush`` (for a
    request of this scheme and ``Host``)."""
    marked = []
    for header in link_headers:
        values = []
        for value in split_links(header.decode("latin-1")):
            link = parse_link(value)
            if (
                link is not None
                and link.is_preload
                and not link.nopush
                and same_origin_path(link.url, scheme, host) in paths
            ):
                value += "; nopush"
            values.append(value)
        marked.append(join_links(values).encode("latin-1"))
    return marked


# A promise carrying these would hand one request's credentials to another response.
NEVER_COPIED = frozenset({b"cookie", b"authorization", b"proxy-authorization"})
# What the copied headers of one promise may add up to: with the path and the host
# they must fit one HTTP/2 frame (16 KB unless the client allows more).
MAX_COPIED_BYTES = 4096


@caches.per_process(8)
def header_names(names: tuple[str, ...]) -> frozenset[bytes]:
    """Header names to copy as they appear in an ASGI scope (lower-case bytes),
    credentials left out whatever the caller asked."""
    return frozenset(name.lower().encode() for name in names) - NEVER_COPIED
