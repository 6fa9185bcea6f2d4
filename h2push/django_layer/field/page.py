"""The page side of field learning: which pages carry the report script, and what the
script is given.

A route asks every visitor until one of its viewport groups holds a full window of
samples, then one visitor in ``H2PUSH_FIELD_SAMPLE``: changes are still noticed, and
the script costs most visitors nothing. The script (``h2push/field.js``, external and
``defer``, with the request's CSP nonce where there is one) goes before ``</body>``,
or where the page put ``{% h2push_field %}``.

What the script is given is signed: the route, the page's fingerprint (a hash of its
HTML), the image URLs of the page's own HTML and the URLs it was hinted, so that a
report can name only what this page had (:func:`signed_fingerprint`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Iterable, Sequence

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.html import escape
from selectolax.lexbor import LexborHTMLParser

from h2push.django_layer.conf import conf, django_setting
from h2push.django_layer.field import token as tokens
from h2push.django_layer.field.encoding import MAX_SAMPLES, Counts
from h2push.django_layer.field.reporturls import checked_url, srcset_urls
from h2push.django_layer.origins import asset_origins

__all__ = [
    "FIELD_PATH",
    "MARKER",
    "MAX_IMAGES",
    "insert_script",
    "page_images",
    "signed_fingerprint",
    "under_static_or_media",
    "wants_report",
]

#: Where the page's script sends its report; answered by the middleware itself.
FIELD_PATH = "/__h2push__/field/"
#: What ``{% h2push_field %}`` leaves in a page: the script goes there.
MARKER = "<!--h2push-field-->"
#: The most image URLs of one page the script is given (the report's own bound).
MAX_IMAGES = 32
_BODY_END = b"</body>"


def wants_report(counts: Counts) -> bool:
    """Whether this visitor of a route with these sample ``counts`` is asked."""
    if max(counts.samples, default=0) < MAX_SAMPLES:
        return True
    return random.randrange(max(1, conf.H2PUSH_FIELD_SAMPLE)) == 0


def signed_fingerprint(page: str, images: Sequence[str], hinted: Sequence[str]) -> str:
    """What the token signs besides the route: the page's hash, and the images and
    hinted URLs given to its script, in order."""
    text = "\n".join([page, *images, "", *hinted])
    digest = hashlib.sha256(text.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def page_images(content: bytes, own_origin: str) -> list[str]:
    """The page's own image URLs under ``STATIC_URL`` or ``MEDIA_URL``, as a report
    will name them (site-relative on the page's origin), at most :data:`MAX_IMAGES`."""
    if not _prefixes():
        return []
    try:
        tree = LexborHTMLParser(content)
    except Exception:  # a page Lexbor cannot read has no images to offer
        return []
    found: dict[str, None] = {}
    for url in _image_urls(tree):
        checked, _ = checked_url(url, own_origin, asset_origins())
        if checked is not None and under_static_or_media(checked, own_origin):
            found.setdefault(checked, None)
            if len(found) >= MAX_IMAGES:
                break
    return list(found)


def _prefixes() -> tuple[str, ...]:
    named = (django_setting("STATIC_URL"), django_setting("MEDIA_URL"))
    return tuple(str(prefix) for prefix in named if prefix)


def _image_urls(tree: LexborHTMLParser) -> Iterable[str]:
    # Every URL an <img> may load: its src and its srcset candidates, so a report's
    # srcset can name only what the page had.
    for node in tree.css("img[src], img[srcset], link[rel=preload][as=image][href]"):
        value = node.attributes.get("src") or node.attributes.get("href")
        if value:
            yield value.strip()
        yield from srcset_urls(node.attributes.get("srcset") or "")


def under_static_or_media(url: str, own_origin: str) -> bool:
    """Whether ``url`` lies under ``STATIC_URL`` or ``MEDIA_URL`` (a site-relative
    one also when written with the page's own origin)."""
    for prefix in _prefixes():
        relative = prefix.startswith("/") and not prefix.startswith("//")
        if url.startswith(prefix) or (relative and url.startswith(own_origin + prefix)):
            return True
    return False


def insert_script(
    request: HttpRequest,
    response: HttpResponse,
    route: str,
    own_origin: str,
    hinted: Sequence[str],
    holdout: bool,
) -> bool:
    """Put the report script in the page; ``False`` if the page has no place for it."""
    content = response.content
    marker = MARKER.encode()
    at = content.find(marker)
    if at < 0:
        at = content.lower().rfind(_BODY_END)
        if at < 0:
            return False
    images = page_images(content, own_origin)
    # As a report will name them: site-relative on the page's own origin.
    hinted = [u for u in (checked_url(url, own_origin, asset_origins())[0] for url in hinted) if u]
    page = hashlib.blake2b(content, digest_size=12).hexdigest()
    config = {
        "u": request.META.get("SCRIPT_NAME", "").rstrip("/") + FIELD_PATH,
        "r": route,
        "fp": page,
        "t": tokens.issue(route, signed_fingerprint(page, images, hinted), holdout),
        "i": images,
        "h": list(hinted),
        "o": sorted(asset_origins()),
    }
    tag = _script_tag(request, json.dumps(config, separators=(",", ":")))
    end = at + len(marker) if content.startswith(marker, at) else at
    response.content = content[:at] + tag.encode() + content[end:]
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return True


def _script_tag(request: HttpRequest, config: str) -> str:
    # django-csp's request.csp_nonce, or Django's own (6.0 and later); reading a
    # lazy nonce makes the policy name it.
    nonce = getattr(request, "csp_nonce", None) or getattr(request, "_csp_nonce", None)
    nonce_attribute = f' nonce="{escape(str(nonce))}"' if nonce is not None else ""
    return (
        f'<script src="{escape(static("h2push/field.js"))}" defer{nonce_attribute} '
        f'data-h2push-field="{escape(config)}"></script>'
    )
