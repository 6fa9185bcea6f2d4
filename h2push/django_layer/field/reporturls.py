"""The URLs a page's report may name: its own origin's and its asset origins', each
safe to hint back in a ``Link`` header or a 103.

A report's URLs come from the browser (the LCP entry's ``url``, Resource Timing
names, an image's resolved ``srcset``), so they are serialized URLs: percent-encoded
ASCII, resolved, without dot segments. Anything else did not come from a page's
script as h2push serves it, and is refused rather than mended.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from h2push.core.linkheader import MAX_URL_LENGTH, has_dot_segments
from h2push.django_layer.origins import is_trusted, origin_of

__all__ = [
    "MAX_SRCSET_CANDIDATES",
    "MAX_SRCSET_LENGTH",
    "checked_srcset",
    "checked_url",
    "srcset_urls",
]

#: The longest ``srcset`` a report may give; it goes back out as ``imagesrcset``.
MAX_SRCSET_LENGTH = 2048
#: The most candidates a report's ``srcset`` may list.
MAX_SRCSET_CANDIDATES = 16

# Controls, space, DEL, non-ASCII, and what ends or quotes a Link target or a
# parameter. A backslash too: browsers read it as "/" in http(s) URLs, so "/\host"
# would be another origin.
_UNSAFE = re.compile(r'[^\x21-\x7e]|[<>"\\]')
# The same, but white space separates a srcset's candidates.
_UNSAFE_IN_SRCSET = re.compile(r'[^\x20-\x7e\t\n\f\r]|[<>"\\]')
_DESCRIPTOR = re.compile(r"[1-9][0-9]{0,5}w|[0-9]{1,3}(?:\.[0-9]{1,3})?x")
_WHITESPACE = " \t\n\f\r"


def checked_url(url: str, own_origin: str, assets: frozenset[str]) -> tuple[str | None, str]:
    """``(url, "")`` if a report may name ``url`` on a page of ``own_origin`` (a URL of
    that origin given as its path, query and fragment); ``(None, why not)``
    otherwise. ``assets`` are the site's trusted asset origins."""
    if not 0 < len(url) <= MAX_URL_LENGTH:
        return None, "not 1-2048 characters"
    if _UNSAFE.search(url):
        return None, "a character a URL does not carry"
    if url.startswith("/"):
        if url.startswith("//"):
            return None, "neither site-relative nor absolute"
        return _without_dot_segments(url, url)
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https") or not url[len(scheme) + 1 :].startswith("//"):
        return None, "neither site-relative nor absolute http(s)"
    origin = origin_of(url)
    if origin is None:
        return None, "no host, a user name or a bad port"
    if not is_trusted(url, own_origin, assets):
        return None, "another origin"
    parts = urlsplit(url)  # origin_of() parsed it: it does not raise
    if parts.path.startswith("//"):
        # As a path of its own origin it would read as "//host": another origin.
        return None, "a path starting with //"
    if origin == origin_of(own_origin + "/"):
        # One spelling per resource, so that visitors' reports agree: the page's own
        # origin's URLs as a page names them most often.
        local = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return _without_dot_segments(local + (f"#{parts.fragment}" if parts.fragment else ""), url)
    return _without_dot_segments(url, url)


def checked_srcset(srcset: str, own_origin: str, assets: frozenset[str]) -> str:
    """``""`` if a report may give ``srcset`` (each candidate's URL as
    :func:`checked_url` takes it, a ``<n>w`` or ``<n>x`` descriptor or none);
    why not otherwise."""
    if not 0 < len(srcset) <= MAX_SRCSET_LENGTH:
        return "not 1-2048 characters"
    if _UNSAFE_IN_SRCSET.search(srcset):
        return "a character a srcset does not carry"
    candidates = _candidates(srcset)
    if candidates is None:
        return "not a list of URLs and descriptors"
    if not 0 < len(candidates) <= MAX_SRCSET_CANDIDATES:
        return "no candidate, or more than 16"
    for url, descriptor in candidates:
        if descriptor and _DESCRIPTOR.fullmatch(descriptor) is None:
            return "a descriptor not <n>w or <n>x"
        checked, problem = checked_url(url, own_origin, assets)
        if checked is None:
            return f"a candidate's URL: {problem}"
    return ""


def srcset_urls(srcset: str) -> list[str]:
    """The candidate URLs of ``srcset``, read as HTML reads them (a URL may hold
    commas); none for a srcset that is not a list of URLs and descriptors."""
    return [url for url, _descriptor in _candidates(srcset) or ()]


def _candidates(srcset: str) -> list[tuple[str, str]] | None:
    """``srcset``'s (URL, descriptor) pairs, read as HTML reads them: a URL is a run
    of non-space characters (it may hold commas, as image CDNs' URLs do), ended by
    white space or by commas it ends with; a descriptor runs to the next comma.
    ``None`` for a candidate with more than one descriptor."""
    candidates: list[tuple[str, str]] = []
    position, end = 0, len(srcset)
    while True:
        while position < end and (srcset[position] in _WHITESPACE or srcset[position] == ","):
            position += 1
        if position >= end:
            return candidates
        start = position
        while position < end and srcset[position] not in _WHITESPACE:
            position += 1
        url = srcset[start:position]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = srcset.find(",", position)
            stop = end if comma < 0 else comma
            descriptor, position = srcset[position:stop].strip(_WHITESPACE), stop
        if len(descriptor.split()) > 1:
            return None
        candidates.append((url, descriptor))


def _without_dot_segments(result: str, url: str) -> tuple[str | None, str]:
    try:
        path = urlsplit(url).path
    except ValueError:  # a malformed IPv6 host
        return None, "not a URL"
    if has_dot_segments(path):
        return None, "a dot segment"
    return result, ""
