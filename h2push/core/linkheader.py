"""Pure functions for RFC 8288 ``Link`` header values.

Both layers use these: the Django layer to merge its preloads into a view's own
``Link`` header, the delivery layer to read the preloads back out of the response
and to choose what a 103 may carry. Nothing here knows of Django or ASGI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from h2push.core import caches

__all__ = [
    "MAX_HOST_LENGTH",
    "MAX_URL_LENGTH",
    "Link",
    "early_hint_values",
    "has_dot_segments",
    "join_links",
    "parse_link",
    "preconnect_value",
    "same_origin_path",
    "split_links",
]

#: The longest URL h2push preloads, hints, pushes or learns. A PUSH_PROMISE must
#: fit one HTTP/2 frame (16 KB unless the client allows more), and a longer URL
#: is no asset a page shares with its other visitors.
MAX_URL_LENGTH = 2048
#: The longest ``Host`` h2push pushes for (a DNS name is at most 253 characters).
MAX_HOST_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Link:
    """One parsed link: its target and parameters (names lower-cased)."""

    url: str
    params: dict[str, str | None]

    @property
    def rels(self) -> frozenset[str]:
        return frozenset((self.params.get("rel") or "").lower().split())

    @property
    def is_preload(self) -> bool:
        """``rel=preload``, or ``rel=modulepreload`` (a preload of a module script)."""
        rels = self.rels
        return "preload" in rels or "modulepreload" in rels

    @property
    def nopush(self) -> bool:
        return "nopush" in self.params


def split_links(header_value: str) -> Iterator[str]:
    """Split a ``Link`` header into its comma-separated values.

    Commas inside ``<...>`` or a quoted string do not separate values.
    """
    start = 0
    in_brackets = in_quotes = escaped = False
    for index, char in enumerate(header_value):
        if in_brackets:
            # Inside <...> only ">" means anything: quotes there belong to the URL.
            in_brackets = char != ">"
        elif escaped:
            escaped = False
        elif in_quotes:
            if char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == "<":
            in_brackets = True
        elif char == ",":
            value = header_value[start:index].strip()
            if value:
                yield value
            start = index + 1
    value = header_value[start:].strip()
    if value:
        yield value


def parse_link(value: str) -> Link | None:
    """Parse one link value; ``None`` where it is not ``<url>; params``."""
    value = value.strip()
    if not value.startswith("<"):
        return None
    end = value.find(">")
    if end < 0:
        return None
    params: dict[str, str | None] = {}
    for param in _split_params(value[end + 1 :]):
        name, sep, raw = param.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        # RFC 8288: only the first occurrence of a parameter counts.
        params.setdefault(name, raw if sep else None)
    return Link(value[1:end].strip(), params)


def _split_params(text: str) -> Iterator[str]:
    start = 0
    in_quotes = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and in_quotes:
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif char == ";" and not in_quotes:
            yield text[start:index]
            start = index + 1
    yield text[start:]


def join_links(values: Iterable[str]) -> str:
    """One ``Link`` header value from several link values."""
    return ", ".join(values)


def preconnect_value(origin: str, crossorigin: bool) -> str:
    """The link that opens a connection to ``origin`` ahead of its assets."""
    return f"<{origin}>; rel=preconnect" + ("; crossorigin" if crossorigin else "")


def has_dot_segments(path: str) -> bool:
    """Whether ``path`` has a ``.`` or ``..`` segment, even percent-encoded: servers
    and clients resolve them, so such a path can name something else entirely."""
    segments = unquote(path).replace("\\", "/").split("/")
    return any(segment in (".", "..") for segment in segments)


def same_origin_path(url: str, scheme: str, host: str | None) -> str | None:
    """``url``'s path and query if it names a resource of the request's own origin.

    ``None`` for another origin, and for anything h2push never pushes or hints as a
    path: a URL over :data:`MAX_URL_LENGTH`, non-ASCII or unprintable text, a path
    with dot segments, or a relative reference (resolving one would need the page's
    URL; such links stay preload-only rather than risk naming the wrong resource).
    """
    if len(url) > MAX_URL_LENGTH or not url.isascii() or not url.isprintable() or " " in url:
        return None
    parts = urlsplit(url)
    if parts.scheme and parts.scheme.lower() != scheme:
        return None
    if parts.netloc and (host is None or parts.netloc.lower() != host):
        return None
    if not parts.path.startswith("/") or has_dot_segments(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def early_hint_values(
    values: Iterable[str],
    scheme: str,
    host: str | None,
    asset_origins: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """What of ``values`` a 103 may carry, once each and in order.

    A same-origin preload goes as it is. A preload of one of ``asset_origins`` (the
    site's static and media origins) goes too, after a ``preconnect`` to its origin
    (with ``crossorigin`` if the preload has it: a CORS fetch uses a connection of
    its own). A preload of any other origin becomes only a ``preconnect`` (a 103
    never asks the browser to fetch a resource of an origin the site does not name);
    a ``preconnect`` stays. Anything else, and any value with characters a header
    must not carry, is left out.
    """
    return _early_hint_values(tuple(values), scheme, host, asset_origins)


# A site's pages hint the same few lists over and over: work each out once.
@caches.per_process(1024)
def _early_hint_values(
    values: tuple[str, ...], scheme: str, host: str | None, asset_origins: frozenset[str]
) -> tuple[str, ...]:
    kept: dict[str, None] = {}
    own_origin = f"{scheme}://{host}"
    for value in values:
        link = parse_link(value) if _is_header_safe(value) else None
        if link is None:
            continue
        if link.is_preload:
            origin = _absolute_origin(link.url, scheme)
            if same_origin_path(link.url, scheme, host) is not None:
                kept.setdefault(value, None)
            elif origin is not None and origin != own_origin:
                # A module script is fetched in CORS mode whatever its tag says.
                cors = "crossorigin" in link.params or "modulepreload" in link.rels
                kept.setdefault(preconnect_value(origin, cors), None)
                if origin in asset_origins:
                    kept.setdefault(value, None)
        elif "preconnect" in link.rels:
            kept.setdefault(value, None)
    return tuple(kept)


def _is_header_safe(value: str) -> bool:
    return len(value) <= 2 * MAX_URL_LENGTH and value.isascii() and value.isprintable()


def _absolute_origin(url: str, scheme: str) -> str | None:
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    return f"{parts.scheme or scheme}://{parts.netloc}".lower()
