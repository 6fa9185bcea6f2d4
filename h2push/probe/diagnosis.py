"""Why a page got no 103 or no push, as far as the client can tell.

The server knows its reasons (h2push's own log says them); a client sees only what
arrived and what it asked for. From those, :func:`diagnose` lists the likely
reasons, most specific first, and flags pushed responses that did not succeed. It
does no I/O, so every reason can be checked against a hand-built
:class:`~h2push.probe.results.Exchange`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from enum import StrEnum

from h2push.core.linkheader import Link, parse_link, same_origin_path
from h2push.probe.errors import error_code_name
from h2push.probe.headers import values
from h2push.probe.results import Exchange

__all__ = ["Cause", "ClientSide", "Reason", "diagnose", "format_reasons"]

DOCS_HINT = "see the docs: docs/installation.rst, docs/early-hints.rst and docs/discovery.rst"

# Servers whose name in the ``server`` header settles the question: they never send a
# 103 (see the docs' serving page). Matched in lower case against the header.
NO_EARLY_HINTS_SERVERS = ("daphne", "granian")


class Cause(StrEnum):
    """The kind of a :class:`Reason`, for code and tests to match on."""

    NOT_HTTP2 = "not-http2"
    NO_LINK_HEADER = "no-link-header"
    NO_PRELOADS = "no-preloads"
    NOT_GET = "not-get"
    NOT_NAVIGATION = "not-navigation"
    NO_EARLY_HINTS = "no-early-hints"
    PUSH_REFUSED = "push-refused"
    FROM_BROWSER = "from-browser"
    NOTHING_TO_PUSH = "nothing-to-push"
    DIGEST = "digest"
    NO_PUSHES = "no-pushes"
    PUSH_FAILED = "push-failed"
    PUSH_RESET = "push-reset"


@dataclass(frozen=True, slots=True)
class ClientSide:
    """What the client did: whether it accepted pushes, and the protocol ALPN agreed
    on (``None`` when the server chose none)."""

    push_enabled: bool = True
    alpn: str | None = "h2"


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: a one-line ``summary`` and the likely explanations behind it."""

    cause: Cause
    summary: str
    details: tuple[str, ...] = ()

    def lines(self, width: int = 88) -> list[str]:
        """The reason as terminal lines: the summary, then each detail indented."""
        lines = textwrap.wrap(
            self.summary, width, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False
        )
        for detail in self.details:
            lines += textwrap.wrap(
                detail,
                width,
                initial_indent="    ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        return lines


def diagnose(exchange: Exchange | None, client: ClientSide) -> list[Reason]:
    """The likely reasons ``exchange`` got no 103 or no push, and its failed pushes.

    An empty list when a 103 and pushes both arrived and every push succeeded.
    ``exchange`` may be ``None`` when there was none because the server did not agree
    to HTTP/2; ``client.alpn`` then says what it chose.
    """
    if client.alpn != "h2" or exchange is None:
        return [_not_http2(client.alpn)]
    reasons: list[Reason] = []
    preloads = _preloads(exchange)
    if not exchange.early_hints or not exchange.promises:
        if not exchange.links:
            reasons.append(_no_link_header(exchange))
        elif not preloads:
            reasons.append(_no_preloads())
    if not exchange.early_hints:
        reasons.extend(_why_no_hint(exchange, preloads))
    if not exchange.promises:
        reasons.extend(_why_no_push(exchange, client, preloads))
    reasons.extend(_failed_pushes(exchange))
    return reasons


def format_reasons(reasons: list[Reason]) -> list[str]:
    """The command's "Why" section: a heading and each reason; nothing if none."""
    if not reasons:
        return []
    return ["Why:", *(line for reason in reasons for line in reason.lines())]


# -- what the request and response say -------------------------------------------------


def _preloads(exchange: Exchange) -> list[Link]:
    found = []
    for value in exchange.links:
        link = parse_link(value)
        if link is not None and link.is_preload:
            found.append(link)
    return found


def _authority(exchange: Exchange) -> str | None:
    found = values(exchange.request_headers, ":authority")
    return found[0].lower() if found else None


def _same_origin(exchange: Exchange, preloads: list[Link]) -> list[Link]:
    host = _authority(exchange)
    return [link for link in preloads if same_origin_path(link.url, "https", host) is not None]


def _sec_fetch(exchange: Exchange) -> dict[str, str]:
    return {
        name: value for name, value in exchange.request_headers if name.startswith("sec-fetch-")
    }


# -- the reasons -----------------------------------------------------------------------


def _not_http2(alpn: str | None) -> Reason:
    chose = f"ALPN gave {alpn}" if alpn else "the server chose no ALPN protocol"
    return Reason(
        Cause.NOT_HTTP2,
        f"The connection is not HTTP/2 ({chose}): no push, and no 103 that h2push sends.",
        (
            "h2push pushes and sends 103s from an ASGI server that speaks HTTP/2, such as "
            "runh2server (Hypercorn); over HTTP/1.1 pages carry their Link header only.",
        ),
    )


def _no_link_header(exchange: Exchange) -> Reason:
    details = [
        "h2push knew no asset for this page: nothing registered ({% push_static %}, "
        "@push_static, make_push_promise(), response.push_promises) and nothing learned "
        "or discovered for its route yet;",
        "or h2push's middleware is not in MIDDLEWARE (python manage.py check says so);",
    ]
    kind = exchange.header("content-type") or ""
    if not kind.startswith("text/html"):
        details.append(f"discovery reads HTML pages only, and this is {kind or 'untyped'};")
    details.append(DOCS_HINT + ".")
    return Reason(Cause.NO_LINK_HEADER, "The response has no Link header.", tuple(details))


def _no_preloads() -> Reason:
    return Reason(
        Cause.NO_PRELOADS,
        "The Link header has no rel=preload: nothing to push, and a 103 could carry "
        "only preconnects.",
    )


def _why_no_hint(exchange: Exchange, preloads: list[Link]) -> list[Reason]:
    if exchange.method != "GET":
        return [
            Reason(
                Cause.NOT_GET,
                f"No 103: h2push sends one to GET requests only, not {exchange.method}.",
            )
        ]
    fetch = _sec_fetch(exchange)
    mode, dest = fetch.get("sec-fetch-mode"), fetch.get("sec-fetch-dest")
    if mode not in (None, "navigate") or dest not in (None, "document"):
        shown = ", ".join(f"{name}: {value}" for name, value in fetch.items())
        return [
            Reason(
                Cause.NOT_NAVIGATION,
                f"No 103: the request is not a top-level navigation ({shown}).",
                ("h2push hints navigations only: browsers ignore a 103 on anything else.",),
            )
        ]
    if not preloads:
        return []  # Said already: no Link header, or no preload in it.
    return [_no_early_hints(exchange)]


def _no_early_hints(exchange: Exchange) -> Reason:
    details = [
        "the route may be new: h2push hints a learned link once two pages of the route "
        "agreed on it, so the third visit is the first with a 103 (run the probe again);",
        "the view may answer faster than H2PUSH_EARLY_HINTS_MIN_VIEW_MS, so a 103 would "
        "gain nothing;",
    ]
    server = (exchange.header("server") or "").lower()
    named = next((name for name in NO_EARLY_HINTS_SERVERS if name in server), None)
    if named:
        details.append(f"the server ({exchange.header('server')}) sends no Early Hints at all.")
    else:
        details.append(
            "or the server offers no Early Hints (HTTP/1.1 servers, Daphne, Granian, or a "
            "proxy that drops 1xx responses)."
        )
    return Reason(
        Cause.NO_EARLY_HINTS,
        "No 103, although the Link header has preloads. Likely:",
        tuple(details),
    )


def _why_no_push(exchange: Exchange, client: ClientSide, preloads: list[Link]) -> list[Reason]:
    if not client.push_enabled:
        return [
            Reason(
                Cause.PUSH_REFUSED,
                "No push: the probe refused pushes (--no-push, SETTINGS_ENABLE_PUSH=0), "
                "as every browser does.",
            )
        ]
    fetch = _sec_fetch(exchange)
    if fetch:
        return [
            Reason(
                Cause.FROM_BROWSER,
                f"No push: the request carried {', '.join(fetch)}, as browsers' requests do.",
                ("h2push never pushes to browsers: they all refuse push.",),
            )
        ]
    if not preloads:
        return []  # Said already: no Link header, or no preload in it.
    own = _same_origin(exchange, preloads)
    if not own:
        return [
            Reason(
                Cause.NOTHING_TO_PUSH,
                "No push: no preload in the Link header is of this origin; h2push pushes "
                "only same-origin absolute paths.",
            )
        ]
    if all(link.nopush for link in own):
        return [
            Reason(
                Cause.DIGEST,
                "No push: the server marked every preload nopush; its digest cookie says "
                "this client has them (did a -H 'cookie: ...' carry it?).",
            )
        ]
    return [_no_pushes(exchange, len(own))]


def _no_pushes(exchange: Exchange, count: int) -> Reason:
    details = [
        "the server offers no push (Uvicorn, Gunicorn, Daphne, a proxy or CDN in front);",
        "push is off (H2PUSH_ENABLED), or this connection's push budget is spent;",
    ]
    if exchange.method not in ("GET", "HEAD") or not 200 <= exchange.status < 300:
        details.append(
            f"h2push pushes for a GET or HEAD answered 2xx, and this was "
            f"{exchange.method} answered {exchange.status}."
        )
    plural = "" if count == 1 else "s"
    return Reason(
        Cause.NO_PUSHES,
        f"No push, although the Link header has {count} same-origin preload{plural}. Likely:",
        tuple(details),
    )


def _failed_pushes(exchange: Exchange) -> list[Reason]:
    reasons = []
    for promise in exchange.promises:
        if promise.status is None:
            code = error_code_name(promise.reset_code or 0)
            reasons.append(
                Reason(
                    Cause.PUSH_RESET,
                    f"Pushed {promise.path} was reset before a response ({code}).",
                )
            )
        elif not 200 <= promise.status < 300:
            reasons.append(
                Reason(
                    Cause.PUSH_FAILED,
                    f"Pushed {promise.path} answered {promise.status}, not 2xx: the client "
                    "got an error page instead of the asset (a typo in its name, or a file "
                    "missing from the static files?).",
                )
            )
    return reasons
