"""Which URLs found in a page may become hints: same-origin static assets only.

The page's own URL is not known here, so only references that mean the same thing
on every page of the site are taken: root-relative paths under a root-relative
``STATIC_URL`` (or a path-relative one, when the page's ``<base href>`` is a path),
and absolute URLs under an absolute ``STATIC_URL`` (a CDN). A scheme-relative URL,
another origin, a dot segment (even percent-encoded), a backslash (browsers read
it as a slash), a URL over :data:`~h2push.core.linkheader.MAX_URL_LENGTH` or one the
:class:`~h2push.django_layer.preload.Preload` constructor refuses is never taken.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from h2push.core.linkheader import MAX_URL_LENGTH, has_dot_segments
from h2push.django_layer.preload import Preload, preload

__all__ = ["StaticScope", "resolve_base"]

# What HTML strips from both ends of a URL attribute before parsing it.
_ASCII_WHITESPACE = "\t\n\f\r "


class StaticScope:
    """The URLs under one ``STATIC_URL`` that a page or a stylesheet may name."""

    __slots__ = ("_absolute", "_prefix", "_prefix_path")

    def __init__(self, static_url: str) -> None:
        parts = urlsplit(static_url)
        self._absolute = bool(parts.scheme and parts.netloc)
        # Scheme and host compare without case; the path compares exactly.
        self._prefix = (
            f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
            if self._absolute
            else static_url
        )
        self._prefix_path = parts.path
        if not self._prefix_path.startswith("/") or (not self._absolute and parts.netloc):
            self._prefix = ""  # a relative or scheme-relative STATIC_URL: nothing is taken

    @property
    def usable(self) -> bool:
        return bool(self._prefix)

    def static_name(self, url: str) -> str | None:
        """The path under ``STATIC_URL`` that a taken ``url`` names (still quoted)."""
        path = urlsplit(url).path
        if not path.startswith(self._prefix_path):
            return None
        return path[len(self._prefix_path) :]

    def take(self, href: str, base: str | None = None) -> str | None:
        """``href`` as a URL under ``STATIC_URL``, or ``None`` when it is not one.

        ``base`` resolves a relative reference: a stylesheet's URL (already taken)
        for its ``url()``s, or a page's path-only ``<base href>``.
        """
        try:
            return self._take(href, base)
        except ValueError:  # urlsplit() refuses some malformed hosts ("http://[x")
            return None

    def _take(self, href: str, base: str | None) -> str | None:
        href = href.strip(_ASCII_WHITESPACE)
        if not href or len(href) > MAX_URL_LENGTH or "\\" in href:
            return None
        if href.startswith("//"):
            return None  # scheme-relative: the page's scheme is not known
        parts = urlsplit(href)
        if not parts.scheme and not href.startswith("/"):
            if base is None:
                return None  # relative to a page whose URL is not known
            href = urljoin(base, href)
            parts = urlsplit(href)
        if parts.scheme:
            if not self._absolute or parts.scheme.lower() not in ("http", "https"):
                return None
            parts = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower())
        url = parts._replace(fragment="").geturl()  # a fragment never reaches the server
        if not url.startswith(self._prefix) or has_dot_segments(urlsplit(url).path):
            return None
        return url if len(url) <= MAX_URL_LENGTH else None

    def preload(
        self,
        url: str,
        as_: str,
        crossorigin: str | None = None,
        type_: str | None = None,
        module: bool = False,
    ) -> Preload | None:
        """The :class:`Preload` of a taken URL; ``None`` where it refuses it."""
        try:
            found = preload(url, as_, crossorigin, False, type_, module)
        except ValueError:
            return None
        # Non-ASCII text is percent-encoded by the constructor, which lengthens it.
        return found if len(found.url) <= MAX_URL_LENGTH else None


def resolve_base(href: str | None) -> str | None:
    """The base a page's relative URLs resolve against, where it is known: only a
    root-relative ``<base href>`` (a path on the page's own origin)."""
    if href is None:
        return None
    href = href.strip(_ASCII_WHITESPACE)
    if not href.startswith("/") or href.startswith("//") or "\\" in href:
        return None
    return href
