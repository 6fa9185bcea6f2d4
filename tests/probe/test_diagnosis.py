"""h2probe's "Why" reasons (h2push.probe.diagnosis), from exchanges built in memory.

Most exchanges are results objects put together by hand; one comes from the sans-IO
protocol fed by an in-memory h2 server, to show the reasons read what a real
exchange holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import h2.config
import h2.connection
import h2.events

from h2push.probe.calls import Call
from h2push.probe.diagnosis import Cause, ClientSide, Reason, diagnose, format_reasons
from h2push.probe.headers import HeaderList
from h2push.probe.protocol import ProbeProtocol
from h2push.probe.request import Request, build_headers
from h2push.probe.results import Exchange, Interim, Promise

CSS = "</static/css/base.css>; rel=preload; as=style"
JS = "</static/js/app.js>; rel=preload; as=script"
AUTHORITY = "127.0.0.1:8443"


def promise(path: str, stream_id: int = 2, status: int | None = 200) -> Promise:
    return Promise(
        path=path,
        headers=[(":path", path)],
        stream_id=stream_id,
        parent_stream_id=1,
        received_at=0.001,
        status=status,
        finished_at=0.002,
        reset_code=8 if status is None else None,
    )


def exchange(
    *,
    links: Sequence[str] = (CSS, JS),
    hint: bool = True,
    promises: Sequence[Promise] | None = None,
    method: str = "GET",
    status: int = 200,
    request_headers: HeaderList | None = None,
    content_type: str = "text/html; charset=utf-8",
    server: str = "hypercorn-h2",
) -> Exchange:
    """A finished exchange; by default a page that got its 103 and both pushes."""
    headers: HeaderList = [("content-type", content_type), ("server", server)]
    if links:
        headers.append(("link", ", ".join(links)))
    interim = [Interim(103, [("link", value) for value in links], 0.001)] if hint else []
    if promises is None:
        promises = [promise("/static/css/base.css", 2), promise("/static/js/app.js", 4)]
    return Exchange(
        method=method,
        path="/page/",
        stream_id=1,
        request_headers=[
            (":method", method),
            (":authority", AUTHORITY),
            (":path", "/page/"),
            *(request_headers or []),
        ],
        status=status,
        headers=headers,
        body=b"<html></html>",
        trailers=[],
        interim=interim,
        promises=list(promises),
        events=[],
        started_at=0.0,
        finished_at=0.3,
    )


def causes(reasons: list[Reason]) -> list[Cause]:
    return [reason.cause for reason in reasons]


def text(reasons: list[Reason]) -> str:
    return "\n".join(format_reasons(reasons))


H2 = ClientSide(push_enabled=True, alpn="h2")


def test_a_page_with_its_103_and_pushes_needs_no_why() -> None:
    assert diagnose(exchange(), H2) == []
    assert format_reasons([]) == []


def test_not_http2_names_what_alpn_chose() -> None:
    reasons = diagnose(None, ClientSide(alpn="http/1.1"))
    assert causes(reasons) == [Cause.NOT_HTTP2]
    assert "ALPN gave http/1.1" in reasons[0].summary

    reasons = diagnose(None, ClientSide(alpn=None))
    assert "chose no ALPN protocol" in reasons[0].summary


def test_no_link_header_points_at_registering_learning_and_the_docs() -> None:
    reasons = diagnose(exchange(links=(), hint=False, promises=[]), H2)
    assert causes(reasons) == [Cause.NO_LINK_HEADER]
    output = text(reasons)
    assert "{% push_static %}" in output and "learned" in output
    assert "MIDDLEWARE" in output and "docs/discovery.rst" in output
    assert "discovery reads HTML pages only" not in output


def test_no_link_header_on_json_says_discovery_reads_html_only() -> None:
    page = exchange(links=(), hint=False, promises=[], content_type="application/json")
    assert "and this is application/json" in text(diagnose(page, H2))


def test_a_link_header_without_preloads() -> None:
    page = exchange(links=("<https://cdn.example>; rel=preconnect",), hint=False, promises=[])
    assert causes(diagnose(page, H2)) == [Cause.NO_PRELOADS]


def test_preloads_but_no_103_lists_new_route_threshold_and_server() -> None:
    reasons = diagnose(exchange(hint=False), H2)
    assert causes(reasons) == [Cause.NO_EARLY_HINTS]
    details = " ".join(reasons[0].details)
    assert "two pages of the route agreed" in details
    assert "H2PUSH_EARLY_HINTS_MIN_VIEW_MS" in details
    assert "HTTP/1.1" in details and "Daphne" in details


def test_a_server_known_to_send_no_103_is_named() -> None:
    reasons = diagnose(exchange(hint=False, server="Daphne"), H2)
    assert "the server (Daphne) sends no Early Hints at all." in reasons[0].details


def test_not_get_gets_no_103() -> None:
    reasons = diagnose(exchange(method="POST", hint=False), H2)
    assert causes(reasons) == [Cause.NOT_GET]
    assert "not POST" in reasons[0].summary


def test_sec_fetch_headers_of_a_fetch_explain_both_the_103_and_the_push() -> None:
    fetch_headers = [("sec-fetch-mode", "cors"), ("sec-fetch-dest", "empty")]
    page = exchange(hint=False, promises=[], request_headers=fetch_headers)
    reasons = diagnose(page, H2)
    assert causes(reasons) == [Cause.NOT_NAVIGATION, Cause.FROM_BROWSER]
    assert "sec-fetch-mode: cors" in reasons[0].summary
    assert "never pushes to browsers" in reasons[1].details[0]


def test_a_browser_navigation_gets_its_103_but_no_push() -> None:
    navigation = [("sec-fetch-mode", "navigate"), ("sec-fetch-dest", "document")]
    page = exchange(promises=[], request_headers=navigation)
    assert causes(diagnose(page, H2)) == [Cause.FROM_BROWSER]


def test_pushes_refused_by_the_probe() -> None:
    reasons = diagnose(exchange(promises=[]), ClientSide(push_enabled=False))
    assert causes(reasons) == [Cause.PUSH_REFUSED]
    assert "--no-push" in reasons[0].summary


def test_no_push_although_same_origin_preloads() -> None:
    reasons = diagnose(exchange(promises=[]), H2)
    assert causes(reasons) == [Cause.NO_PUSHES]
    assert "2 same-origin preloads" in reasons[0].summary


def test_absolute_same_origin_preload_counts_and_another_origin_does_not() -> None:
    own = f"<https://{AUTHORITY}/static/a.css>; rel=preload; as=style"
    reasons = diagnose(exchange(links=(own,), promises=[]), H2)
    assert "1 same-origin preload." in reasons[0].summary

    cdn = "<https://cdn.example/a.css>; rel=preload; as=style"
    assert causes(diagnose(exchange(links=(cdn,), promises=[]), H2)) == [Cause.NOTHING_TO_PUSH]


def test_every_preload_marked_nopush_points_at_the_digest() -> None:
    links = (CSS + "; nopush", JS + "; nopush")
    assert causes(diagnose(exchange(links=links, promises=[]), H2)) == [Cause.DIGEST]


def test_an_error_status_is_among_the_push_explanations() -> None:
    reasons = diagnose(exchange(status=404, promises=[]), H2)
    assert "GET answered 404" in reasons[0].details[-1]


def test_pushed_responses_that_are_not_2xx_are_flagged() -> None:
    pushes = [
        promise("/static/css/base.css", 2),
        promise("/static/css/typo.css", 4, status=404),
        promise("/static/js/app.js", 6, status=None),
    ]
    reasons = diagnose(exchange(promises=pushes), H2)
    assert causes(reasons) == [Cause.PUSH_FAILED, Cause.PUSH_RESET]
    assert reasons[0].summary.startswith("Pushed /static/css/typo.css answered 404")
    assert "reset before a response (CANCEL)" in reasons[1].summary


def test_the_why_section_is_wrapped_for_a_terminal() -> None:
    page = exchange(links=(), hint=False, promises=[], content_type="application/json")
    lines = format_reasons(diagnose(page, H2))
    assert lines[0] == "Why:"
    assert lines[1] == "- The response has no Link header."
    assert all(len(line) <= 88 for line in lines)
    assert all(line.startswith("    ") for line in lines[2:])


# -------------------------------------------------- through the sans-IO protocol


def served() -> Exchange:
    """One GET of ``/page/`` through ProbeProtocol, answered by an in-memory h2 server
    that pushes ``/static/missing.css`` (404) and sends the page with a Link header
    but no 103."""
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    server.initiate_connection()
    ticks = iter(range(1, 1000))
    client = ProbeProtocol(clock=lambda: next(ticks) / 1000)
    request = Request("/page/")
    call = Call(request, build_headers(request, None, authority=AUTHORITY))
    client.begin([call])

    def pump() -> list[h2.events.Event]:
        events = server.receive_data(client.data_to_send())
        client.receive_data(server.data_to_send(), next(ticks) / 1000)
        return events

    pump()
    client.send_queued()
    events = pump()
    stream = next(e.stream_id for e in events if isinstance(e, h2.events.RequestReceived))
    pushed = server.get_next_available_stream_id()
    server.push_stream(
        stream,
        pushed,
        [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", AUTHORITY),
            (":path", "/static/missing.css"),
        ],
    )
    server.send_headers(stream, [(":status", "200"), ("link", CSS)])
    server.send_data(stream, b"<html></html>", end_stream=True)
    server.send_headers(pushed, [(":status", "404")], end_stream=True)
    pump()
    assert client.batch_done
    return call.exchange()


def test_reasons_from_an_exchange_the_protocol_recorded() -> None:
    page = served()
    assert page.pushed_paths == ["/static/missing.css"]
    reasons = diagnose(page, H2)
    assert causes(reasons) == [Cause.NO_EARLY_HINTS, Cause.PUSH_FAILED]
    assert "/static/missing.css answered 404" in reasons[1].summary
