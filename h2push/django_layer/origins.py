"""Which origins are the site's own for hinting: its own, and its asset origins.

A site that serves static or media files from another origin (a CDN, a storage
bucket: ``STATIC_URL = "https://cdn.example.com/static/"``) names that origin in its
settings, so h2push trusts it as its own for preloads: the origins of an absolute
``STATIC_URL`` and ``MEDIA_URL``, and those listed in ``H2PUSH_ASSET_ORIGINS``. A
preload of any other origin is never hinted, whoever named it (a page's HTML, a
registration, a learned entry). Push stays same-origin: a server cannot push
another origin's resource.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from h2push.core import caches
from h2push.core.linkheader import parse_link
from h2push.django_layer.conf import conf

__all__ = ["asset_origins", "is_trusted", "normalise_origin", "origin_of", "trusted_values"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """The origin (``scheme://host[:port]``, lower case, default port left out) of an
    absolute http(s) URL; ``None`` for a relative URL or anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a malformed host or port
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets in an origin
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def normalise_origin(value: object) -> str | None:
    """``value`` as an origin if it is one and nothing more (no path, query or
    fragment); ``None`` otherwise. What ``H2PUSH_ASSET_ORIGINS`` entries must be."""
    if not isinstance(value, str) or value != value.strip():
        return None
    origin = origin_of(value)
    if origin is None:
        return None
    parts = urlsplit(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in value:
        return None
    return origin


def _depends_on(setting: str) -> bool:
    return setting in ("STATIC_URL", "MEDIA_URL", "H2PUSH_ASSET_ORIGINS")


@caches.per_process(1, when=_depends_on)
def asset_origins() -> frozenset[str]:
    """The origins, other than a request's own, whose assets h2push may hint."""
    named = [settings.STATIC_URL or "", settings.MEDIA_URL or ""]
    origins = {origin_of(url) for url in named}
    origins.update(normalise_origin(value) for value in conf.H2PUSH_ASSET_ORIGINS)
    origins.discard(None)
    return frozenset(o for o in origins if o is not None)


def is_trusted(url: str, own_origin: str | None, assets: frozenset[str]) -> bool:
    """Whether a preload of ``url`` may be hinted on a page of ``own_origin``, given
    the site's ``assets`` origins: a relative URL is the page's own; an absolute one
    must name the page's origin or one of ``assets``."""
    return _is_trusted(url, own_origin, assets) if "//" in url or ":" in url else True


@caches.per_process(4096)
def _is_trusted(url: str, own_origin: str | None, assets: frozenset[str]) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.scheme and not parts.netloc:
        return True  # a path: the page's own origin
    origin = origin_of(f"https:{url}" if url.startswith("//") else url)
    if origin is None:
        return False  # another scheme, a user name, a malformed host or port
    own = None if own_origin is None else origin_of(own_origin + "/")
    return origin == own or origin in assets


def trusted_values(values: tuple[str, ...], own_origin: str | None) -> tuple[str, ...]:
    """``values`` (``Link`` values) less any link to an origin the site does not name."""
    return _trusted_values(values, own_origin, asset_origins())


@caches.per_process(1024)
def _trusted_values(
    values: tuple[str, ...], own_origin: str | None, assets: frozenset[str]
) -> tuple[str, ...]:
    return tuple(
        value
        for value in values
        if (link := parse_link(value)) is not None and is_trusted(link.url, own_origin, assets)
    )
