"""The checks a page's report must pass before anything is learned from it.

A page's script sends its report with ``navigator.sendBeacon`` when the page is
hidden: a POST of one JSON object, as ``text/plain`` (what ``sendBeacon`` sends for
a string) or ``application/json``, UTF-8, at most :data:`MAX_BODY_BYTES` bytes.
:func:`check_request` checks the request (POST, same origin), :func:`read_report`
the body; :func:`check_token` then checks the report's token. Each answers a
:class:`Refusal` (an HTTP status and a short reason for one DEBUG line) for
anything it does not take, and never raises.

The report (version 1); every key is required unless marked optional, no other key
is allowed, and no key may appear twice::

    {
      "v": 1,
      "route": str,       # the route the page's token names, 1-1024 printable characters
      "fp": str,          # the page's fingerprint, as issued: 1-64 of [A-Za-z0-9._:-]
      "token": str,       # the page's token, as issued: 1-64 of [A-Za-z0-9._-]
      "vw": int,          # the viewport's width in CSS px, 1-20000
      "lcp": null | {     # the Largest Contentful Paint element's resource; null if none
        "url": URL,       # an <img>'s src attribute; a background's LCP entry url
        "img": bool,      # an <img>; false for a CSS background image
        "srcset": str,    # optional (or null), an <img>'s only: its srcset, each URL
                          # resolved (absolute or site-relative), at most 16 candidates,
                          # descriptors "<n>w" or "<n>x"; 1-2048 characters
        "sizes": str      # optional (or null), an <img>'s only: its sizes attribute,
                          # 1-512 of [A-Za-z0-9 ().,:%*/+<>=-]
      },
      "lcpMs": number | null,   # the LCP's startTime, ms
      "fcpMs": number | null,   # first-contentful-paint's startTime, ms
      "interim": bool,          # navigation entry's firstInterimResponseStart > 0
      "imgs": [URL],      # the page's own image URLs, as the page's script was given
                          # them (signed with the token), at most 32
      "hints": [          # one per URL the page was hinted, each URL once, at most 32
        {
          "url": URL,
          "used": bool,         # an element or a document.fonts face references it
          "initiator": str,     # its Resource Timing initiatorType, 0-32 of [a-z-];
                                # "" when it has no Resource Timing entry
          "end": number | null  # that entry's responseEnd, ms
        }
      ]
    }

Numbers are finite and at least 0; times at most 600000 (10 minutes); ``true`` and
``false`` are not numbers. A URL is at most
:data:`~h2push.core.linkheader.MAX_URL_LENGTH` printable ASCII characters without
spaces, ``<``, ``>``, ``"`` or ``\\``, and either site-relative (``/...``, not
``//``) or absolute ``http(s)`` on the page's own origin or one of the site's asset
origins (:mod:`~h2push.django_layer.origins`), with no ``.`` or ``..`` path segment,
even percent-encoded, and no path starting with ``//``. The script must leave out
URLs of any other origin: a report naming one is refused whole. URLs on the page's
own origin are kept site-relative (``srcset`` is kept as sent)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from h2push.django_layer.field import token as tokens
from h2push.django_layer.field.reporturls import checked_srcset, checked_url
from h2push.django_layer.field.sample import HintUse, LcpElement, Sample, ViewportGroup, group_of
from h2push.django_layer.origins import asset_origins, normalise_origin

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HINTS",
    "MAX_TIME_MS",
    "MAX_VIEWPORT_WIDTH",
    "MEDIA_TYPES",
    "Refusal",
    "Report",
    "check_request",
    "check_token",
    "read_report",
]

#: The largest report taken: 32 hints of ordinary URLs fit many times over.
MAX_BODY_BYTES = 16 * 1024
#: The most hints one report may list: more than any page h2push hints.
MAX_HINTS = 32
#: The latest time a report may give (10 minutes): a page that paints later tells
#: nothing about its hints.
MAX_TIME_MS = 600_000
#: The widest viewport a report may give, in CSS px.
MAX_VIEWPORT_WIDTH = 20_000
#: What a report may be sent as.
MEDIA_TYPES = frozenset({"text/plain", "application/json"})

_MAX_ROUTE_LENGTH = 1024
_FINGERPRINT = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_TOKEN = re.compile(rf"[A-Za-z0-9._-]{{1,{tokens.MAX_TOKEN_LENGTH}}}")
_INITIATOR = re.compile(r"[a-z-]{0,32}")
_SIZES = re.compile(r"[A-Za-z0-9 ().,:%*/+<>=-]{1,512}")
_REPORT_KEYS = frozenset({"v", "route", "fp", "token", "vw", "lcp", "lcpMs", "fcpMs", "imgs"})
_REPORT_KEYS |= {"interim", "hints"}
_LCP_KEYS = frozenset({"url", "img"})
_LCP_OPTIONAL_KEYS = frozenset({"srcset", "sizes"})
_HINT_KEYS = frozenset({"url", "used", "initiator", "end"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request or a report was not taken: its HTTP status, and a short reason
    (fixed words and at most a key's name, never what the client sent)."""

    status: int  # 400, 403, 405, 413, 415, or 429 (the handler's one sample an hour)
    reason: str


@dataclass(frozen=True, slots=True)
class Report:
    """A report that passed :func:`read_report` (its token still to be checked)."""

    route: str
    fingerprint: str
    token: str
    viewport_width: int
    lcp: LcpElement | None
    lcp_ms: float | None
    fcp_ms: float | None
    had_early_hint: bool
    hints: tuple[HintUse, ...]
    images: tuple[str, ...] = ()

    @property
    def group(self) -> ViewportGroup:
        return group_of(self.viewport_width)

    def sample(self, client: str, holdout: bool) -> Sample:
        """The sample to store: ``client`` is its sender's key, ``holdout`` comes from
        the verified token (never from the report itself)."""
        return Sample(
            route=self.route,
            group=self.group,
            client=client,
            lcp=self.lcp,
            lcp_ms=self.lcp_ms,
            fcp_ms=self.fcp_ms,
            had_early_hint=self.had_early_hint,
            holdout=holdout,
            hints=self.hints,
        )


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


def _refuse(reason: str, status: int = 400) -> _Refused:
    return _Refused(Refusal(status, reason))


def check_request(method: str, headers: Mapping[str, str], own_origin: str) -> Refusal | None:
    """``None`` if a request may carry a report to a page of ``own_origin``: a POST
    (405; the answer should say ``Allow: POST``) from a page of that very origin
    (403): ``Origin`` equal to it when sent, ``Sec-Fetch-Site: same-origin`` when
    sent, and one of the two sent (browsers send both with a beacon)."""
    if method != "POST":
        return Refusal(405, "not a POST")
    origin = _header(headers, "Origin")
    site = _header(headers, "Sec-Fetch-Site")
    if origin is None and site is None:
        return Refusal(403, "neither Origin nor Sec-Fetch-Site")
    if origin is not None:
        own = normalise_origin(own_origin)
        if own is None or normalise_origin(origin) != own:
            return Refusal(403, "another origin")
    if site is not None and site.strip().lower() != "same-origin":
        return Refusal(403, "not same-origin")
    return None


def read_report(
    body: bytes,
    content_type: str | None,
    own_origin: str,
    assets: frozenset[str] | None = None,
) -> Report | Refusal:
    """The report in ``body`` (sent as ``content_type`` to a page of ``own_origin``),
    or why it is refused: 413 for a body over :data:`MAX_BODY_BYTES`, 415 for a type
    not in :data:`MEDIA_TYPES` (or a charset other than UTF-8), 400 for anything else
    the module's schema does not take. ``assets`` are the trusted asset origins
    (the site's settings, :func:`~h2push.django_layer.origins.asset_origins`, if
    ``None``). Never raises, whatever the body holds."""
    if len(body) > MAX_BODY_BYTES:
        return Refusal(413, "body too large")
    if not _media_type_taken(content_type):
        return Refusal(415, "not text/plain or application/json in UTF-8")
    try:
        data = _parse_json(body)
        trusted = asset_origins() if assets is None else assets
        return _report(data, own_origin, trusted)
    except _Refused as refused:
        return refused.refusal


def check_token(report: Report, now: float | None = None) -> tokens.TokenClaims | Refusal:
    """The claims of ``report``'s token if it was issued for the report's route and
    fingerprint and is not too old (:func:`~h2push.django_layer.field.token.verify`);
    a 403 otherwise."""
    claims = tokens.verify(report.token, report.route, report.fingerprint, now)
    return Refusal(403, "token not valid") if claims is None else claims


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Django's request.headers ignores case; a plain dict may not.
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def _media_type_taken(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media_type, *params = content_type.split(";")
    if media_type.strip().lower() not in MEDIA_TYPES:
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            return False
    return True


def _parse_json(body: bytes) -> Any:
    try:
        # Decoded first: json.loads would guess UTF-16 or UTF-32 from raw bytes.
        text = body.decode("utf-8")
        return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except _Refused:
        raise
    except (ValueError, RecursionError) as error:  # RecursionError: deep nesting
        raise _refuse("not UTF-8 JSON") from error


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key could be read one way here and another elsewhere.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _refuse("a key twice")
    return result


def _no_constant(name: str) -> Any:
    raise _refuse("NaN or Infinity")


def _report(data: Any, own_origin: str, assets: frozenset[str]) -> Report:
    _keys(data, _REPORT_KEYS, frozenset(), "report")
    if type(data["v"]) is not int or data["v"] != 1:
        raise _refuse("v: not 1")
    return Report(
        route=_route(data["route"]),
        fingerprint=_matching(data["fp"], _FINGERPRINT, "fp"),
        token=_matching(data["token"], _TOKEN, "token"),
        viewport_width=_viewport_width(data["vw"]),
        lcp=_lcp(data["lcp"], own_origin, assets),
        lcp_ms=_time(data["lcpMs"], "lcpMs"),
        fcp_ms=_time(data["fcpMs"], "fcpMs"),
        had_early_hint=_bool(data["interim"], "interim"),
        hints=_hints(data["hints"], own_origin, assets),
        images=_images(data["imgs"], own_origin, assets),
    )


def _keys(data: Any, required: frozenset[str], optional: frozenset[str], where: str) -> None:
    if not isinstance(data, dict):
        raise _refuse(f"{where}: not an object")
    keys = data.keys()
    if not required <= keys:
        raise _refuse(f"{where}: a key missing")
    if not keys <= required | optional:
        raise _refuse(f"{where}: an unknown key")


def _route(value: Any) -> str:
    if type(value) is not str or not 0 < len(value) <= _MAX_ROUTE_LENGTH:
        raise _refuse("route: not a string of 1-1024 characters")
    if not value.isprintable():  # control, format and unpaired surrogate characters
        raise _refuse("route: an unprintable character")
    return value


def _matching(value: Any, pattern: re.Pattern[str], where: str) -> str:
    if type(value) is not str or pattern.fullmatch(value) is None:
        raise _refuse(f"{where}: not of its form")
    return value


def _viewport_width(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= MAX_VIEWPORT_WIDTH:
        raise _refuse("vw: not a width of 1-20000")
    return value


def _bool(value: Any, where: str) -> bool:
    if type(value) is not bool:
        raise _refuse(f"{where}: not true or false")
    return value


def _time(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if type(value) not in (int, float) or (type(value) is float and not math.isfinite(value)):
        raise _refuse(f"{where}: not a number")
    if not 0 <= value <= MAX_TIME_MS:
        raise _refuse(f"{where}: not a time of 0-600000 ms")
    return float(value)


def _lcp(value: Any, own_origin: str, assets: frozenset[str]) -> LcpElement | None:
    if value is None:
        return None
    _keys(value, _LCP_KEYS, _LCP_OPTIONAL_KEYS, "lcp")
    is_image = _bool(value["img"], "lcp.img")
    srcset, sizes = value.get("srcset"), value.get("sizes")
    if not is_image and (srcset is not None or sizes is not None):
        raise _refuse("lcp: srcset or sizes of a background image")
    if sizes is not None:
        _matching(sizes, _SIZES, "lcp.sizes")
    return LcpElement(
        url=_url(value["url"], "lcp.url", own_origin, assets),
        is_image=is_image,
        srcset=None if srcset is None else _srcset(srcset, own_origin, assets),
        sizes=sizes,
    )


def _hints(value: Any, own_origin: str, assets: frozenset[str]) -> tuple[HintUse, ...]:
    if not isinstance(value, list):
        raise _refuse("hints: not a list")
    if len(value) > MAX_HINTS:
        raise _refuse("hints: more than 32")
    hints = tuple(_hint(item, own_origin, assets) for item in value)
    if len({hint.url for hint in hints}) != len(hints):
        raise _refuse("hints: a URL twice")
    return hints


def _images(value: Any, own_origin: str, assets: frozenset[str]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _refuse("imgs: not a list")
    if len(value) > MAX_HINTS:
        raise _refuse("imgs: more than 32")
    return tuple(_url(item, "imgs", own_origin, assets) for item in value)


def _hint(value: Any, own_origin: str, assets: frozenset[str]) -> HintUse:
    _keys(value, _HINT_KEYS, frozenset(), "hint")
    return HintUse(
        url=_url(value["url"], "hint.url", own_origin, assets),
        used=_bool(value["used"], "hint.used"),
        initiator=_matching(value["initiator"], _INITIATOR, "hint.initiator"),
        response_end_ms=_time(value["end"], "hint.end"),
    )


def _url(value: Any, where: str, own_origin: str, assets: frozenset[str]) -> str:
    if type(value) is not str:
        raise _refuse(f"{where}: not a string")
    url, problem = checked_url(value, own_origin, assets)
    if url is None:
        raise _refuse(f"{where}: {problem}")
    return url


def _srcset(value: Any, own_origin: str, assets: frozenset[str]) -> str:
    if type(value) is not str:
        raise _refuse("lcp.srcset: not a string")
    problem = checked_srcset(value, own_origin, assets)
    if problem:
        raise _refuse(f"lcp.srcset: {problem}")
    return value
