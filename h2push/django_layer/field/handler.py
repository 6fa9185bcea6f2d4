"""The answer to a page's report, at :data:`~h2push.django_layer.field.page.FIELD_PATH`.

The middleware answers it before Django resolves the URL: no URLconf change, no
view, no CSRF token (a report changes nothing a visitor owns, and it must come
from the same origin). A report passes, in order: the request's checks (POST, same
origin, a size and a type), the body's schema, the page's token over what the page
was given, and the one-sample-per-client-per-window rule. Each refusal is a 4xx with
no body and one DEBUG line; a taken report is stored and answered 204, and a store
that fails still answers 204, since the page is never affected.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from django.http import HttpRequest, HttpResponse

from h2push.django_layer import learning
from h2push.django_layer.conf import conf
from h2push.django_layer.field import beacon, clients, hints, once
from h2push.django_layer.field import samples as field_samples
from h2push.django_layer.field import token as tokens
from h2push.django_layer.field.page import FIELD_PATH, signed_fingerprint
from h2push.django_layer.field.reporturls import checked_url, srcset_urls
from h2push.django_layer.field.sample import LcpElement, Sample
from h2push.django_layer.origins import asset_origins

__all__ = ["answer_report", "answer_report_sync", "answers"]

logger = logging.getLogger("h2push")

_FLOOD = beacon.Refusal(429, "one sample per client and route an hour")


def answer_report_sync(request: HttpRequest) -> HttpResponse:
    taken = _checked(request)
    if isinstance(taken, HttpResponse):
        return taken
    if not once.first_of_window_sync(taken.route, taken.client, tokens.window_of()):
        return _refused(_FLOOD)
    if field_samples.add_sample_sync(taken) is not None:
        hints.forget_route(taken.route)
    return HttpResponse(status=204)


async def answer_report(request: HttpRequest) -> HttpResponse:
    taken = _checked(request)
    if isinstance(taken, HttpResponse):
        return taken
    if not await once.first_of_window(taken.route, taken.client, tokens.window_of()):
        return _refused(_FLOOD)
    if await field_samples.add_sample(taken) is not None:
        hints.forget_route(taken.route)
    return HttpResponse(status=204)


def answers(request: HttpRequest) -> bool:
    """Whether the request is a report for h2push to answer."""
    return conf.H2PUSH_FIELD and request.path_info == FIELD_PATH


def _checked(request: HttpRequest) -> Sample | HttpResponse:
    """The report's sample, or the refusal to answer with."""
    own_origin = learning.request_origin(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    refusal = beacon.check_request(request.method or "", headers, own_origin)
    if refusal is None and _declared_length(request) > beacon.MAX_BODY_BYTES:
        refusal = beacon.Refusal(413, "body over the size bound")
    if refusal is not None:
        return _refused(refusal)
    # One byte past the bound tells a body too long: one sent without Content-Length
    # (HTTP/2, chunked HTTP/1.1) is not read whole into memory.
    body = request.read(beacon.MAX_BODY_BYTES + 1)
    read = beacon.read_report(body, request.content_type, own_origin)
    if isinstance(read, beacon.Refusal):
        return _refused(read)
    signed = signed_fingerprint(read.fingerprint, read.images, [h.url for h in read.hints])
    claims = tokens.verify(read.token, read.route, signed)
    if claims is None:
        return _refused(beacon.Refusal(403, "no valid token for the route"))
    address = clients.client_address(request.META, conf.H2PUSH_FIELD_CLIENT_HEADER)
    sample = read.sample(clients.client_key(address), claims.holdout)
    if sample.lcp is not None and not _named_by_page(sample.lcp, read.images, own_origin):
        # An LCP the page's own HTML did not name is not learned; the timings are.
        sample = _without_lcp(sample)
    return sample


def _named_by_page(lcp: LcpElement, images: tuple[str, ...], own_origin: str) -> bool:
    """Whether the LCP's URL and every URL of its srcset are among the page's own
    images (signed with its token): a report may not make visitors fetch anything
    else."""
    # Each candidate as the page's images are spelt (site-relative on the own origin).
    assets = asset_origins()
    spelt = (checked_url(url, own_origin, assets)[0] for url in srcset_urls(lcp.srcset or ""))
    return lcp.url in images and all(url in images for url in spelt)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return beacon.MAX_BODY_BYTES + 1  # a length no one can trust: refuse unread


def _without_lcp(sample: Sample) -> Sample:
    return replace(sample, lcp=None)


def _refused(refusal: beacon.Refusal) -> HttpResponse:
    logger.debug("Field report refused (%d): %s.", refusal.status, refusal.reason)
    response = HttpResponse(status=refusal.status)
    # Django logs every 4xx as a WARNING; a refused report is worth one DEBUG line.
    response._has_been_logged = True  # type: ignore[attr-defined]
    if refusal.status == 405:
        response["Allow"] = "POST"
    return response
