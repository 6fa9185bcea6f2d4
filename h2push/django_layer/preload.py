"""What a page asks to preload: one URL with its destination and flags."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.utils.encoding import iri_to_uri
from django.utils.html import escape

from h2push.core import caches
from h2push.core.linkheader import MAX_URL_LENGTH, parse_link

__all__ = [
    "DESTINATIONS",
    "Preload",
    "destination_for",
    "header_safe",
    "preload",
    "preload_from_link",
]

# The `as` values of the Fetch standard that `rel=preload` accepts.
DESTINATIONS = frozenset(
    {
        "audio",
        "document",
        "embed",
        "fetch",
        "font",
        "image",
        "object",
        "script",
        "style",
        "track",
        "video",
        "worker",
    }
)

# Fonts, module scripts and `fetch()` are fetched in CORS mode, so a preload
# without `crossorigin` would not match the later request and be fetched twice.
_CORS_DESTINATIONS = frozenset({"font", "fetch"})
_CORS_EXTENSIONS = frozenset({".mjs"})

_DESTINATION_BY_EXTENSION = {
    ".css": "style",
    ".js": "script",
    ".mjs": "script",
    ".woff2": "font",
    ".woff": "font",
    ".ttf": "font",
    ".otf": "font",
    ".eot": "font",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".avif": "image",
    ".svg": "image",
    ".ico": "image",
    ".json": "fetch",
    ".vtt": "track",
    ".mp4": "video",
    ".webm": "video",
    ".mp3": "audio",
    ".ogg": "audio",
}

# C0 controls, DEL and C1 controls: any of them in a header value can split or
# corrupt the response.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript"})
_CROSSORIGIN_VALUES = frozenset({"anonymous", "use-credentials"})
_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")


# What a quoted Link parameter (imagesrcset, imagesizes) must not hold.
_UNSAFE_IN_QUOTES = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]')

# C0 and C1 controls, space, DEL, and the characters that end or quote a Link target.
_UNSAFE_IN_HEADER = re.compile(r'[\x00-\x20\x7f-\x9f<>"]')


def _percent_encoded(match: re.Match[str]) -> str:
    return quote(match.group(), safe="")


def header_safe(url: str) -> str:
    """``url`` with what a header cannot carry (controls, spaces, ``<``, ``>``, ``"``)
    percent-encoded, as ``static()`` encodes a file name, and the white space around
    it dropped, as browsers drop it from an attribute.

    For the ways a view names a URL (``make_push_promise``, ``{% push_url %}``,
    ``push_promises.add``): a URL built from request input then names the same odd
    path instead of failing the page, whose 103 may have gone out. Discovery keeps
    refusing such URLs in a page's HTML, and :class:`Preload` itself refuses them."""
    if not isinstance(url, str):
        return url  # Preload says what is wrong with it
    return _UNSAFE_IN_HEADER.sub(_percent_encoded, url.strip("\t\n\f\r "))


def destination_for(url: str) -> str:
    """Guess the preload destination (`as=`) from the URL's file extension."""
    return _DESTINATION_BY_EXTENSION.get(_extension(urlsplit(url).path), "fetch")


def _extension(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def _check_url(url: str) -> None:
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"A preload URL must be a non-empty string, not {url!r}.")
    if _CONTROL_CHARACTERS.search(url):
        raise ValueError(f"A preload URL must not contain control characters: {url!r}.")
    if " " in url or "<" in url or ">" in url:
        raise ValueError(
            f"A preload URL must be percent-encoded (no spaces or angle brackets): {url!r}."
        )
    scheme = urlsplit(url).scheme.lower()
    if scheme in _FORBIDDEN_SCHEMES:
        raise ValueError(f"A {scheme}: URL cannot be preloaded or pushed: {url[:40]!r}.")
    if scheme not in ("", "http", "https"):
        raise ValueError(f"Only http(s) and relative URLs can be preloaded, not {url[:40]!r}.")


@dataclass(frozen=True, slots=True)
class Preload:
    """One resource a response asks the client to fetch early.

    ``as_`` defaults to the destination guessed from the file extension;
    ``crossorigin`` defaults to ``"anonymous"`` where the destination needs CORS.
    ``nopush`` keeps the preload link but tells servers not to push it. ``type_``
    is the link's ``type`` (a font's ``font/woff2``, so a browser that cannot use it
    skips it); ``module`` asks for a module script (``rel=modulepreload``). An image may carry
    ``fetchpriority`` and the ``imagesrcset``/``imagesizes`` of the ``<img>`` that uses
    it, so the browser preloads the candidate that tag will pick.
    """

    url: str
    as_: str = ""
    crossorigin: str | None = None
    nopush: bool = False
    type_: str | None = None
    module: bool = False
    fetchpriority: str | None = None
    imagesrcset: str | None = None
    imagesizes: str | None = None
    _link_value: str = field(init=False, repr=False, compare=False, default="")
    _origin: str | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        _check_url(self.url)
        # A header value must be ASCII: Django would MIME-encode the whole Link
        # header otherwise, losing every link in it.
        object.__setattr__(self, "url", iri_to_uri(self.url))
        parts = urlsplit(self.url)
        extension = _extension(parts.path)
        as_ = self.as_ or _DESTINATION_BY_EXTENSION.get(extension, "fetch")
        if as_ not in DESTINATIONS:
            raise ValueError(
                f"{as_!r} is not a preload destination; use one of {sorted(DESTINATIONS)}."
            )
        object.__setattr__(self, "as_", as_)
        crossorigin = self.crossorigin
        # A module script's credentials mode is the tag's own: copy, never guess.
        cors = as_ in _CORS_DESTINATIONS or extension in _CORS_EXTENSIONS
        if crossorigin is None and cors and not self.module:
            crossorigin = "anonymous"
        if crossorigin is not None and crossorigin not in _CROSSORIGIN_VALUES:
            raise ValueError(
                f"crossorigin must be 'anonymous' or 'use-credentials', not {crossorigin!r}."
            )
        object.__setattr__(self, "crossorigin", crossorigin)
        if self.type_ is not None and not _MIME_TYPE.fullmatch(self.type_):
            raise ValueError(f"type must be a MIME type such as 'font/woff2', not {self.type_!r}.")
        self._check_image_hints()
        object.__setattr__(self, "_link_value", self._format_link_value())
        if parts.netloc:
            object.__setattr__(
                self, "_origin", f"{parts.scheme or 'https'}://{parts.netloc}".lower()
            )

    def _check_image_hints(self) -> None:
        if self.fetchpriority not in (None, "high", "low", "auto"):
            raise ValueError(
                f"fetchpriority must be high, low or auto, not {self.fetchpriority!r}."
            )
        for name in ("imagesrcset", "imagesizes"):
            value = getattr(self, name)
            if value is None:
                continue
            if self.as_ != "image" or not isinstance(value, str):
                raise ValueError(f"{name} is for an image preload, as a string.")
            if len(value) > MAX_URL_LENGTH or _UNSAFE_IN_QUOTES.search(value):
                raise ValueError(f"{name} must be printable text without quotes: {value[:40]!r}.")

    def __hash__(self) -> int:
        # Preloads key h2push's per-route caches: the link value names every field
        # but ``as_`` of a module preload, and its string hash is computed once.
        return hash(self._link_value)

    @property
    def origin(self) -> str | None:
        """``scheme://host[:port]`` for an absolute URL, ``None`` for a relative one."""
        return self._origin

    def __str__(self) -> str:  # a template shows a preload as its URL, never as a repr
        return self.url

    def __html__(self) -> str:  # what autoescaping (Django's and Jinja2's) inserts
        return escape(self.url)

    def link_value(self) -> str:
        """The RFC 8288 ``Link`` header value that asks for this preload."""
        return self._link_value

    def _format_link_value(self) -> str:
        if self.module:
            value = f"<{self.url}>; rel=modulepreload"  # its destination is a script
        else:
            value = f"<{self.url}>; rel=preload; as={self.as_}"
        if self.crossorigin == "anonymous":
            value += "; crossorigin"
        elif self.crossorigin:
            value += f"; crossorigin={self.crossorigin}"
        if self.type_:
            value += f"; type={self.type_}"
        if self.fetchpriority:
            value += f"; fetchpriority={self.fetchpriority}"
        if self.imagesrcset:
            value += f'; imagesrcset="{self.imagesrcset}"'
        if self.imagesizes:
            value += f'; imagesizes="{self.imagesizes}"'
        if self.nopush:
            value += "; nopush"
        return value


def preload(
    url: str,
    as_: str = "",
    crossorigin: str | None = None,
    nopush: bool = False,
    type_: str | None = None,
    module: bool = False,
) -> Preload:
    """A :class:`Preload`, shared between requests that name the same one: pages
    register the same assets on every request, and checking a URL is not free."""
    if len(url) > MAX_URL_LENGTH:
        # No page's shared asset; a URL built from the request must not fill the cache.
        return Preload(url, as_, crossorigin, nopush, type_, module)
    return _shared_preload(url, as_, crossorigin, nopush, type_, module)


@caches.per_process(4096)
def _shared_preload(
    url: str, as_: str, crossorigin: str | None, nopush: bool, type_: str | None, module: bool
) -> Preload:
    return Preload(url, as_, crossorigin, nopush, type_, module)


@caches.per_process(1024)
def preload_from_link(value: str) -> Preload | None:
    """The :class:`Preload` a ``Link`` value of h2push's own asks for; ``None`` for
    anything else (or anything unsafe)."""
    link = parse_link(value)
    if link is None or not link.is_preload:
        return None
    params = link.params
    # A bare ``crossorigin`` (or an empty value) means anonymous.
    crossorigin = (params["crossorigin"] or "anonymous") if "crossorigin" in params else None
    try:
        if "imagesrcset" in params or "fetchpriority" in params:  # a field-learned image
            return Preload(
                link.url,
                params.get("as") or "",
                crossorigin,
                "nopush" in params,
                fetchpriority=params.get("fetchpriority"),
                imagesrcset=params.get("imagesrcset"),
                imagesizes=params.get("imagesizes"),
            )
        return preload(
            link.url,
            params.get("as") or "",
            crossorigin,
            "nopush" in params,
            params.get("type"),
            "modulepreload" in link.rels,
        )
    except ValueError:
        return None
