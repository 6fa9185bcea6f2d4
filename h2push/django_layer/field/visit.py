"""One page request's part in field learning: what the field says of its hints, whether
its visitor is asked for a report, and whether it is held out of its 103.

The middleware calls :func:`begin` (or :func:`begin_sync`) before the view and
:func:`finish` after it; nothing here runs unless ``H2PUSH_FIELD`` is on.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from h2push.core.linkheader import parse_link
from h2push.core.story import Fate, Source, Story
from h2push.django_layer.conf import conf
from h2push.django_layer.field import hints as field_hints
from h2push.django_layer.field import samples as field_samples
from h2push.django_layer.field.hints import NOTHING, FieldHints
from h2push.django_layer.field.page import insert_script, wants_report
from h2push.django_layer.preload import Preload

__all__ = [
    "FieldVisit",
    "begin",
    "begin_sync",
    "describe",
    "early_values",
    "finish",
    "hold_out",
    "learned_preloads",
    "tell",
]


@dataclass(slots=True)
class FieldVisit:
    hints: FieldHints = NOTHING
    asks: bool = False  # the page carries the report script
    holdout: bool = False  # the page goes without its 103, for comparison
    navigation: bool = False  # a top-level navigation, the only kind held out


def _navigation(request: HttpRequest) -> bool:
    return request.method == "GET" and request.headers.get("Sec-Fetch-Mode") == "navigate"


def _start(request: HttpRequest, found: FieldHints, counts: field_samples.Counts) -> FieldVisit:
    asks = request.method == "GET" and wants_report(counts)
    return FieldVisit(found, asks, navigation=_navigation(request))


def hold_out(field: FieldVisit) -> bool:
    """Whether this navigation, whose 103 is about to go out, goes without it for
    comparison; a held-out page always reports, or the comparison would starve."""
    if field.navigation and random.random() < conf.H2PUSH_FIELD_HOLDOUT:
        field.holdout = field.asks = True
    return field.holdout


def describe(field: FieldVisit) -> str:
    """The field's state for the story line and the toolbar panel."""
    found = field.hints
    words = [f"{found.samples} visitor{'' if found.samples == 1 else 's'} reported"]
    words.append(f"LCP {found.lcp.url}" if found.lcp is not None else "no LCP image")
    if found.unused:
        words.append(f"{len(found.unused)} unused")
    if found.single_client:
        words.append("every sample from one address (H2PUSH_FIELD_CLIENT_HEADER?)")
    if field.asks:
        words.append("this page reports")
    return ", ".join(words)


def tell(story: Story | None, field: FieldVisit, declared: Sequence[str]) -> None:
    """Record in the story what the field did to this page's links."""
    if story is None:
        return
    story.field = describe(field)
    if field.hints.lcp is not None:
        story.link(field.hints.lcp.url, Source.FIELD)
    for url in field.hints.unused:
        story.fate(url, Fate.DECLARED_UNUSED if url in declared else Fate.UNUSED)


async def begin(request: HttpRequest, route: str, own_origin: str) -> FieldVisit:
    group = field_hints.group_of_request(request.headers)
    found = await field_hints.hints_for(route, group, own_origin)
    return _start(request, found, await field_samples.sample_counts(route))


def begin_sync(request: HttpRequest, route: str, own_origin: str) -> FieldVisit:
    group = field_hints.group_of_request(request.headers)
    found = field_hints.hints_for_sync(route, group, own_origin)
    return _start(request, found, field_samples.sample_counts_sync(route))


def early_values(field: FieldVisit, declared: Sequence[str], learned: Sequence[str]) -> list[str]:
    """The 103's values: the declared ones, the LCP image, then the learned ones the
    visitors used."""
    values = list(declared)
    if field.hints.lcp is not None:
        values.append(field.hints.lcp.link_value())
    unused = field.hints.unused
    for value in learned:
        link = parse_link(value)
        if value not in values and (link is None or link.url not in unused):
            values.append(value)
    return values


def learned_preloads(field: FieldVisit, learned: Sequence[Preload]) -> list[Preload]:
    """The final header's learned preloads: the LCP image first, less the unused."""
    kept = [p for p in learned if p.url not in field.hints.unused]
    return [field.hints.lcp, *kept] if field.hints.lcp is not None else kept


def finish(
    request: HttpRequest,
    response: HttpResponseBase,
    route: str,
    own_origin: str,
    field: FieldVisit,
    hinted: Sequence[Preload],
) -> bool:
    """Put the report script in a successful HTML page whose visitor is asked;
    whether it went in."""
    if not field.asks or not _is_plain_html(response):
        return False
    assert isinstance(response, HttpResponse)
    urls = list(dict.fromkeys(p.url for p in hinted))[:32]
    return insert_script(request, response, route, own_origin, urls, field.holdout)


def _is_plain_html(response: HttpResponseBase) -> bool:
    # The middleware calls finish() only for a page that can teach (a 200 HTML answer
    # to a GET); what is left to ask is whether its bytes are there and readable.
    return isinstance(response, HttpResponse) and not response.has_header("Content-Encoding")
