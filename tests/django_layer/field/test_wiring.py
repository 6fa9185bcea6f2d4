"""Field learning wired into the middleware (issue 20), in process.

Pages come from :mod:`tests.support.apps.field_urls`: ``field/hero/`` has a hero
image (``/static/img/logo.png``, the LCP) below a stylesheet that loads a font.
Django's test client plays the browsers: it loads a page, reads the report script's
config from it, and posts the report ``h2push/field.js`` would send, from an address
of its own (``X-Forwarded-For``, which the settings name as the trusted proxy's
header). :class:`~h2push.testing.H2TestClient` runs the ASGI stack to show the 103
and the pushes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import Client, override_settings
from selectolax.lexbor import LexborHTMLParser

from h2push.core import caches as h2push_caches
from h2push.core.linkheader import split_links
from h2push.core.story import Reason
from h2push.django_layer.field import once
from h2push.django_layer.field import samples as field_samples
from h2push.django_layer.field import token as tokens
from h2push.django_layer.field.beacon import MAX_BODY_BYTES
from h2push.django_layer.field.encoding import MAX_SAMPLES
from h2push.django_layer.field.page import FIELD_PATH, signed_fingerprint
from h2push.testing import H2TestClient
from tests.support import failing_caches
from tests.support.apps.field_urls import NONCE, SIZES, SRCSET, TAGGED_HEADING

FIELD_URLS = "tests.support.apps.field_urls"
pytestmark = pytest.mark.urls(FIELD_URLS)

QUORUM = 3
OWN = "http://testserver"  # Django's test client's origin
HERO_PATH = "/field/hero/"
HERO_ROUTE = "testserver field/hero/"
SCRIPTS_PATH = "/field/scripts/"
HERO = "/static/img/logo.png"
HERO_LINK = f"<{HERO}>; rel=preload; as=image; fetchpriority=high"
HERO_SRCSET_LINK = f'{HERO_LINK}; imagesrcset="{SRCSET}"; imagesizes="{SIZES}"'
LEARNED_SCRIPT = "/static/js/app.js"
DECLARED_SCRIPT = "/static/js/explain.js"
SCRIPT_SRC = "/static/h2push/field.js"
VISITOR = "192.0.2.10"  # the visitor whose hints the tests look at
ATTACKER = "203.0.113.66"
NAVIGATION = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
FIELD_SETTINGS: dict[str, Any] = {
    "H2PUSH_FIELD": True,
    "H2PUSH_FIELD_QUORUM": QUORUM,
    "H2PUSH_FIELD_HOLDOUT": 0.0,
    "H2PUSH_FIELD_CLIENT_HEADER": "HTTP_X_FORWARDED_FOR",
}


def reporter(number: int) -> str:
    """The address of the ``number``-th distinct reporting visitor."""
    return f"198.51.100.{number}"


def forget() -> None:
    h2push_caches.forget()
    # The in-process one-sample-per-client memory is outside the per-process caches
    # that forget() clears: each test's clients start unseen.
    once._in_process.clear()


@pytest.fixture
def field_on() -> Iterator[None]:
    with override_settings(**FIELD_SETTINGS):
        forget()
        yield
    forget()


# --- helpers: a browser's part ------------------------------------------------------------


def page(client: Client, path: str, address: str = VISITOR) -> HttpResponse:
    response = client.get(path, headers={"X-Forwarded-For": address})
    assert response.status_code == 200, response.content[:300]
    assert isinstance(response, HttpResponse)
    return response


def script_tags(content: bytes) -> list[Any]:
    return LexborHTMLParser(content).css("script[data-h2push-field]")


def config_of(content: bytes) -> dict[str, Any]:
    """The report script's config in a page that carries exactly one script."""
    tags = script_tags(content)
    assert len(tags) == 1, content.decode()
    assert len(LexborHTMLParser(content).css(f'script[src="{SCRIPT_SRC}"]')) == 1
    config: dict[str, Any] = json.loads(tags[0].attributes["data-h2push-field"] or "")
    return config


def report(
    config: dict[str, Any],
    *,
    lcp: str | None = HERO,
    srcset: str | None = None,
    sizes: str | None = None,
    unused: tuple[str, ...] = (),
) -> dict[str, Any]:
    """What ``h2push/field.js`` sends for a page with ``config``: its LCP ``<img>``,
    and each URL the page was hinted, used unless named in ``unused``."""
    element: dict[str, Any] | None = None
    if lcp is not None:
        element = {"url": lcp, "img": True}
        if srcset is not None:
            element["srcset"] = srcset
        if sizes is not None:
            element["sizes"] = sizes
    return {
        "v": 1,
        "route": config["r"],
        "fp": config["fp"],
        "token": config["t"],
        "vw": 1280,
        "lcp": element,
        "lcpMs": 900,
        "fcpMs": 400,
        "interim": False,
        "imgs": config["i"],
        "hints": [
            {"url": url, "used": url not in unused, "initiator": "link", "end": 120}
            for url in config["h"]
        ],
    }


def send(
    client: Client,
    body: dict[str, Any] | bytes,
    address: str,
    *,
    origin: str | None = OWN,
    site: str | None = "same-origin",
    content_type: str = "text/plain;charset=UTF-8",
    **extra: Any,
) -> HttpResponse:
    """POST a report as ``navigator.sendBeacon`` does, from ``address``."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Forwarded-For": address}
    if origin is not None:
        headers["Origin"] = origin
    if site is not None:
        headers["Sec-Fetch-Site"] = site
    response = client.post(
        FIELD_PATH, data=data, content_type=content_type, headers=headers, **extra
    )
    assert isinstance(response, HttpResponse)
    return response


def visit_and_report(client: Client, path: str, address: str, **changes: Any) -> None:
    """One visitor loads ``path`` and reports on it, and the report is taken."""
    config = config_of(page(client, path, address).content)
    response = send(client, report(config, **changes), address)
    assert response.status_code == 204, response.content


def teach(client: Client, path: str) -> None:
    """Enough pages for the route's assets to be learned and stay put."""
    for _ in range(3):
        page(client, path)


# --- helpers: what h2push hints and keeps -------------------------------------------------


def links(response: HttpResponse) -> list[str]:
    return list(split_links(response.headers.get("Link") or ""))


def early_hints(path: str, headers: dict[str, str] | None = None) -> list[list[str]]:
    """The 103s a new HTTP/2 connection gets for ``path``."""
    h2 = H2TestClient()
    response = h2.get(path, headers=headers)
    assert response.status == 200, response.content[:300]
    return h2.early_hints


def stored(route: str = HERO_ROUTE) -> int:
    """The samples the store keeps for ``route``, every viewport group."""
    return sum(len(window.samples) for window in field_samples.get_windows_sync(route))


def field_command() -> dict[str, Any]:
    """What ``manage.py h2push_field --json`` prints."""
    out = StringIO()
    call_command("h2push_field", "--json", stdout=out)
    printed: dict[str, Any] = json.loads(out.getvalue())
    return printed


def command_samples(route: str = HERO_ROUTE) -> int:
    groups = [g for g in field_command()["groups"] if g["route"] == route]
    return sum(g["samples"] + g["holdout_samples"] for g in groups)


def h2push_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "h2push" and r.levelno == level]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]


# --- 1. off by default --------------------------------------------------------------------


def test_with_field_off_pages_carry_no_script_and_reports_are_not_answered() -> None:
    client = Client()
    content = page(client, HERO_PATH).content
    assert b"data-h2push-field" not in content
    assert SCRIPT_SRC.encode() not in content

    # A report h2push would take were the feature on: a token h2push issued itself.
    fingerprint, images = "0123456789abcdef01234567", [HERO]
    token = tokens.issue(HERO_ROUTE, signed_fingerprint(fingerprint, images, []), False)
    config = {"r": HERO_ROUTE, "fp": fingerprint, "t": token, "i": images, "h": []}
    response = send(client, report(config), VISITOR)
    assert response.status_code == 404  # Django's answer: no URL pattern has the path
    assert stored() == 0
    assert field_command()["groups"] == []

    # Control: the very same report is taken once the feature is on.
    with override_settings(**FIELD_SETTINGS):
        forget()
        assert send(client, report(config), VISITOR).status_code == 204
        assert stored() == 1
    forget()


# --- 2. the page side ---------------------------------------------------------------------


def test_a_page_carries_one_script_whose_token_verifies_for_its_route(field_on: None) -> None:
    config = config_of(page(Client(), HERO_PATH).content)
    assert config["u"] == FIELD_PATH
    assert config["r"] == HERO_ROUTE
    assert config["i"] == [HERO]
    signed = signed_fingerprint(config["fp"], config["i"], config["h"])
    claims = tokens.verify(config["t"], config["r"], signed)
    assert claims is not None
    assert claims.holdout is False
    # The token is the route's, and signs the images and hints the page was given.
    assert tokens.verify(config["t"], "testserver field/scripts/", signed) is None
    altered = signed_fingerprint(config["fp"], [*config["i"], "/static/img/x.png"], config["h"])
    assert tokens.verify(config["t"], config["r"], altered) is None


def test_the_script_goes_before_the_end_of_the_body(field_on: None) -> None:
    content = page(Client(), HERO_PATH).content
    tag = content.index(SCRIPT_SRC.encode())
    assert content.rindex(b"<script", 0, tag) > content.index(b"<p>Below the hero.</p>")
    assert b"</script></body>" in content[tag:]
    # The same page under ASGI.
    response = H2TestClient().get(HERO_PATH)
    assert config_of(response.content)["r"] == HERO_ROUTE


def test_the_report_script_is_never_one_of_the_pages_hints(field_on: None) -> None:
    """h2push put it there: discovery must not take it for an asset of the page."""
    client = Client()
    teach(client, HERO_PATH)
    response = page(client, HERO_PATH)
    assert "</static/css/discovery.css>; rel=preload; as=style" in links(response)
    assert SCRIPT_SRC not in " ".join(links(response))
    assert SCRIPT_SRC not in config_of(response.content)["h"]
    assert SCRIPT_SRC not in str(early_hints(HERO_PATH))


def test_the_template_tag_places_the_script(field_on: None) -> None:
    content = page(Client(), "/field/tagged/").content
    config_of(content)  # exactly one
    assert b"<!--h2push-field-->" not in content
    after_heading = content.split(TAGGED_HEADING.encode(), 1)[1]
    assert after_heading.startswith(b'<script src="' + SCRIPT_SRC.encode())
    # Not a second time before </body>.
    assert content.endswith(b"<p>After the script.</p></body></html>")


def test_the_script_carries_the_requests_csp_nonce(field_on: None) -> None:
    without = script_tags(page(Client(), HERO_PATH).content)
    assert "nonce" not in without[0].attributes
    middleware = [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "tests.support.apps.field_urls.csp_nonce_middleware",
        "h2push.middleware.PreloadMiddleware",
    ]
    with override_settings(MIDDLEWARE=middleware):
        tags = script_tags(page(Client(), HERO_PATH).content)
    assert len(tags) == 1
    assert tags[0].attributes["nonce"] == NONCE


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/field/json/", 200),
        ("GET", "/field/redirect/", 302),
        ("GET", "/field/stream/", 200),
        ("POST", HERO_PATH, 200),
    ],
    ids=["json", "redirect", "streaming", "post"],
)
def test_no_script_where_there_is_no_html_page_to_report_on(
    field_on: None, method: str, path: str, status: int
) -> None:
    client = Client()
    response = client.get(path) if method == "GET" else client.post(path)
    assert response.status_code == status
    if isinstance(response, StreamingHttpResponse):
        content = b"".join(response.streaming_content)
        assert b"</body>" in content  # a page the script could have gone into
    else:
        content = response.content
    assert SCRIPT_SRC.encode() not in content
    assert b"data-h2push-field" not in content


def test_content_length_counts_the_script(field_on: None) -> None:
    response = page(Client(), "/field/sized/")
    config_of(response.content)
    assert int(response["Content-Length"]) == len(response.content)


# --- 3. the LCP image is learned ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "element", "expected"),
    [
        (HERO_PATH, {}, HERO_LINK),
        ("/field/hero-srcset/", {"srcset": SRCSET, "sizes": SIZES}, HERO_SRCSET_LINK),
    ],
    ids=["img", "img-srcset-sizes"],
)
def test_the_quorums_lcp_image_is_hinted_in_the_link_header_the_103_and_pushed(
    field_on: None, path: str, element: dict[str, str], expected: str
) -> None:
    client = Client()
    for number in range(1, QUORUM):
        visit_and_report(client, path, reporter(number), **element)
    # One visitor short of the quorum: nothing yet.
    assert HERO not in " ".join(links(page(client, path)))
    assert HERO not in str(early_hints(path))

    visit_and_report(client, path, reporter(QUORUM), **element)

    assert expected in links(page(client, path))
    h2 = H2TestClient()  # a new connection: a cold visit
    response = h2.get(path)
    assert response.status == 200
    [hint] = h2.early_hints
    assert expected in hint
    assert expected in split_links(response.header("link") or "")
    # A client that takes push gets it pushed, from the page's own origin.
    pushed = dict(h2.push_promises)
    assert HERO in pushed
    assert response.pushed[HERO].status == 200
    assert response.pushed[HERO].header("content-type") == "image/png"


# --- 4. unused hints ----------------------------------------------------------------------


def test_a_learned_script_nobody_uses_leaves_the_hints_and_a_declared_one_stays(
    field_on: None,
) -> None:
    client = Client()
    teach(client, SCRIPTS_PATH)
    before = " ".join(links(page(client, SCRIPTS_PATH)))
    assert LEARNED_SCRIPT in before and DECLARED_SCRIPT in before
    hint_before = " ".join(early_hints(SCRIPTS_PATH)[0])
    assert LEARNED_SCRIPT in hint_before and DECLARED_SCRIPT in hint_before

    for number in range(1, QUORUM + 1):
        visit_and_report(
            client,
            SCRIPTS_PATH,
            reporter(number),
            lcp=None,
            unused=(LEARNED_SCRIPT, DECLARED_SCRIPT),
        )

    after = links(page(client, SCRIPTS_PATH))
    assert LEARNED_SCRIPT not in " ".join(after)
    assert f"<{DECLARED_SCRIPT}>; rel=preload; as=script" in after
    assert "</static/css/base.css>; rel=preload; as=style" in after  # used: kept
    [hint] = early_hints(SCRIPTS_PATH)
    assert LEARNED_SCRIPT not in " ".join(hint)
    assert f"<{DECLARED_SCRIPT}>; rel=preload; as=script" in hint


# --- 5. refused reports -------------------------------------------------------------------


class NeverRead:
    """A WSGI input that fails the test if anyone reads the body."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the oversized body was read")

    readline = read


def _changed(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**body, **changes}


def _lcp(url: str) -> dict[str, Any]:
    return {"url": url, "img": True}


def refused_cases(config: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Per refused input: ``(status, body, send() options)``; ``other`` is the config
    of another route's page."""
    body = report(config)
    signed = signed_fingerprint(config["fp"], config["i"], config["h"])
    window, holdout, mac = config["t"].split(".")
    forged = f"{window}.{holdout}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    two_hours_ago = time.time() - 2 * tokens.WINDOW_SECONDS
    old = tokens.issue(config["r"], signed, False, now=two_hours_ago)
    oversized = json.dumps(body).encode() + b" " * (17 * 1024)  # valid JSON, too long
    without_token = {key: value for key, value in body.items() if key != "token"}
    return {
        "forged token": (403, _changed(body, token=forged), {}),
        "token of another route": (403, _changed(body, token=other["t"]), {}),
        "other route named": (403, _changed(body, route=other["r"]), {}),
        "replayed old window": (403, _changed(body, token=old), {}),
        "holdout claimed": (403, _changed(body, token=f"{window}.1.{mac}"), {}),
        "oversized": (413, oversized, {}),
        "oversized unread": (
            413,
            b"{}",
            {"CONTENT_LENGTH": str(17 * 1024), "wsgi.input": NeverRead()},
        ),
        "malformed json": (400, json.dumps(body).encode()[:-9], {}),
        "not a report type": (415, body, {"content_type": "application/x-www-form-urlencoded"}),
        "cross-origin": (403, body, {"origin": "https://attacker.example"}),
        "cross-site fetch": (403, body, {"site": "cross-site"}),
        "no origin, no sec-fetch-site": (403, body, {"origin": None, "site": None}),
        "token-less": (400, without_token, {}),
        "another origin's url": (400, _changed(body, lcp=_lcp("https://evil.example" + HERO)), {}),
        "image list altered": (403, _changed(body, imgs=[*body["imgs"], "/static/img/x.png"]), {}),
        "dot segments": (400, _changed(body, lcp=_lcp("/static/css/../img/logo.png")), {}),
        "encoded dot segments": (
            400,
            _changed(body, lcp=_lcp("/static/css/%2e%2e/img/logo.png")),
            {},
        ),
        "url over 2048": (400, _changed(body, lcp=_lcp("/static/img/" + "a" * 2048 + ".png")), {}),
    }


REFUSED = [
    "forged token",
    "token of another route",
    "other route named",
    "replayed old window",
    "holdout claimed",
    "oversized",
    "oversized unread",
    "malformed json",
    "not a report type",
    "cross-origin",
    "cross-site fetch",
    "no origin, no sec-fetch-site",
    "token-less",
    "another origin's url",
    "image list altered",
    "dot segments",
    "encoded dot segments",
    "url over 2048",
]


@pytest.mark.parametrize("case", [*REFUSED, "get"])
def test_a_refused_report_changes_nothing(
    field_on: None, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    client = Client()
    # One visitor short of the quorum: a report that got through would complete it.
    for number in range(1, QUORUM):
        visit_and_report(client, HERO_PATH, reporter(number))
    other = config_of(page(client, "/field/hero-srcset/").content)
    config = config_of(page(client, HERO_PATH, reporter(QUORUM)).content)
    hints_before = links(page(client, HERO_PATH))
    assert HERO not in " ".join(hints_before)
    caplog.set_level(logging.DEBUG, logger="h2push")
    caplog.clear()

    response: HttpResponse
    if case == "get":
        got = client.get(FIELD_PATH, headers={"X-Forwarded-For": reporter(QUORUM)})
        assert isinstance(got, HttpResponse)
        response = got
        assert response.status_code == 405
        assert response["Allow"] == "POST"
    else:
        status, body, options = refused_cases(config, other)[case]
        response = send(client, body, reporter(QUORUM), **options)
        assert response.status_code == status

    assert response.content == b""
    [line] = h2push_lines(caplog, logging.DEBUG)
    assert line.startswith(f"Field report refused ({response.status_code})")
    assert warnings_of(caplog) == []
    assert stored() == QUORUM - 1
    assert command_samples() == QUORUM - 1
    assert links(page(client, HERO_PATH)) == hints_before
    assert HERO not in str(early_hints(HERO_PATH))


def test_a_body_without_content_length_is_read_no_further_than_the_bound(
    field_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP/2 (and chunked HTTP/1.1) may send a body without Content-Length: h2push
    reads one byte past 16 KB of it to know it is too long, not the whole body."""
    read: list[int] = []
    real_read = HttpRequest.read

    def counting_read(self: HttpRequest, *args: Any, **kwargs: Any) -> bytes:
        data: bytes = real_read(self, *args, **kwargs)
        read.append(len(data))
        return data

    h2 = H2TestClient()
    monkeypatch.setattr(HttpRequest, "read", counting_read)
    headers = {"origin": "https://testserver", "content-type": "text/plain"}
    response = h2.post(FIELD_PATH, b" " * (1024 * 1024), headers=headers)
    assert response.status == 413
    assert sum(read) <= MAX_BODY_BYTES + 1


def test_the_refusal_cases_would_have_completed_the_quorum_if_taken(field_on: None) -> None:
    """Control for the test above: the same third visitor's valid report does."""
    client = Client()
    for number in range(1, QUORUM):
        visit_and_report(client, HERO_PATH, reporter(number))
    config = config_of(page(client, HERO_PATH, reporter(QUORUM)).content)
    assert send(client, report(config), reporter(QUORUM)).status_code == 204
    assert stored() == QUORUM
    assert HERO_LINK in links(page(client, HERO_PATH))


STRANGER = "/static/img/elsewhere.png"


@pytest.mark.parametrize(
    ("path", "element"),
    [
        (HERO_PATH, {"lcp": STRANGER}),
        ("/field/hero-srcset/", {"srcset": f"{HERO} 640w, {STRANGER} 1280w", "sizes": SIZES}),
    ],
    ids=["src", "srcset-candidate"],
)
def test_an_lcp_image_the_page_did_not_name_is_never_learned(
    field_on: None, path: str, element: dict[str, Any]
) -> None:
    """The page's images (each ``<img>``'s src and srcset candidates) are signed with
    its token: a report cannot add one. An LCP naming another image (one a script
    added) keeps its timings, never its URLs."""
    client = Client()
    route = f"testserver {path.lstrip('/')}"
    for number in range(1, QUORUM + 2):
        config = config_of(page(client, path, reporter(number)).content)
        assert STRANGER not in config["i"]
        response = send(client, report(config, **element), reporter(number))
        assert response.status_code == 204
    [desktop] = [g for g in field_command()["groups"] if g["route"] == route]
    assert desktop["samples"] == QUORUM + 1
    assert desktop["lcp_element"] is None
    final = " ".join(links(page(client, path)))
    assert STRANGER not in final
    assert HERO not in final
    assert STRANGER not in str(early_hints(path))


def test_a_flood_from_one_client_adds_one_sample(
    field_on: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    config = config_of(page(client, HERO_PATH, ATTACKER).content)
    caplog.set_level(logging.DEBUG, logger="h2push")
    statuses = [send(client, report(config), ATTACKER).status_code for _ in range(20)]
    assert statuses == [204] + [429] * 19
    assert stored() == 1
    assert command_samples() == 1
    refused = h2push_lines(caplog, logging.DEBUG)
    assert refused == ["Field report refused (429): one sample per client and route an hour."] * 19
    assert warnings_of(caplog) == []


# --- 6. one address against everyone else -------------------------------------------------


def test_one_address_never_changes_what_another_visitor_is_hinted(field_on: None) -> None:
    client = Client()
    teach(client, HERO_PATH)
    link_before = links(page(client, HERO_PATH))
    hint_before = early_hints(HERO_PATH)
    assert link_before and hint_before  # the route has hints the attacker could change

    reports = 3 * QUORUM
    for attempt in range(reports):
        # Each report from a new page (a valid token), with X-Forwarded-For entries of
        # its own choosing in front of the one the trusted proxy appends.
        forwarded = f"{reporter(attempt + 1)}, 10.0.{attempt}.1, {ATTACKER}"
        config = config_of(page(client, HERO_PATH, forwarded).content)
        body = report(config, unused=tuple(config["h"]))
        assert send(client, body, forwarded).status_code == 204
        # As if the next hour had come: the address may add one sample more.
        once._in_process.clear()

    [desktop] = [g for g in field_command()["groups"] if g["route"] == HERO_ROUTE]
    assert desktop["samples"] == reports  # every report was taken...
    assert desktop["clients"] == 1  # ...from one client
    assert desktop["single_client"] is True
    assert links(page(client, HERO_PATH, VISITOR)) == link_before
    assert early_hints(HERO_PATH) == hint_before


# --- 7. a store that is down --------------------------------------------------------------


@pytest.fixture
def store_down(field_on: None) -> Iterator[None]:
    failing_caches.reset(down=True)
    with override_settings(**failing_caches.learned_store("FlakyCache")):
        yield
    failing_caches.reset(down=False)


@pytest.fixture
def store_hung(field_on: None) -> Iterator[None]:
    failing_caches.reset(down=False)
    hung = failing_caches.learned_store("SlowCache", H2PUSH_LEARN_TIMEOUT_MS=100)
    with override_settings(**hung):
        yield
    failing_caches.reset(down=False)


def test_a_store_that_is_down_still_answers_204_and_serves_pages(store_down: None) -> None:
    client = Client()
    response = page(client, HERO_PATH)
    assert b"<p>Below the hero.</p>" in response.content
    config = config_of(response.content)
    assert send(client, report(config), reporter(1)).status_code == 204
    assert b"<p>Below the hero.</p>" in page(client, HERO_PATH).content
    # Under ASGI too.
    h2 = H2TestClient()
    assert h2.get(HERO_PATH).status == 200
    body = json.dumps(report(config)).encode()
    headers = {
        "origin": "https://testserver",
        "sec-fetch-site": "same-origin",
        "content-type": "text/plain",
        "x-forwarded-for": reporter(2),
    }
    # The config was served on http://: under https:// the token still holds, the
    # origin is the ASGI request's own.
    assert h2.post(FIELD_PATH, body, headers=headers).status == 204


def test_a_store_that_hangs_still_answers_204_without_waiting(store_hung: None) -> None:
    client = Client()
    config = config_of(page(client, HERO_PATH).content)
    started = time.monotonic()
    assert send(client, report(config), reporter(1)).status_code == 204
    # The slow cache takes SLOW_READ_SECONDS per read; the beacon waits 100 ms.
    assert time.monotonic() - started < failing_caches.SLOW_READ_SECONDS
    assert b"<p>Below the hero.</p>" in page(client, HERO_PATH).content


# --- 8. holdout ---------------------------------------------------------------------------


def _story_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for line in h2push_lines(caplog, logging.DEBUG) if line.startswith("GET /field/")]


@pytest.mark.parametrize("holdout", [0.999999, 0.0], ids=["held-out", "not-held-out"])
def test_a_held_out_navigation_gets_no_103_and_its_token_says_so(
    field_on: None, caplog: pytest.LogCaptureFixture, holdout: float
) -> None:
    # A changed setting starts a new learned store: set it before the route learns.
    with override_settings(H2PUSH_FIELD_HOLDOUT=holdout):
        # Django's test client is no navigation (no Sec-Fetch-Mode): never held out.
        teach(Client(), HERO_PATH)
        h2 = H2TestClient()
        caplog.set_level(logging.DEBUG, logger="h2push")  # after the client's set-up
        response = h2.get(HERO_PATH, headers=NAVIGATION)
    assert response.status == 200
    config = config_of(response.content)
    signed = signed_fingerprint(config["fp"], config["i"], config["h"])
    claims = tokens.verify(config["t"], config["r"], signed)
    assert claims is not None
    [line] = _story_lines(caplog)
    if holdout:
        assert h2.early_hints == []
        assert claims.holdout is True
        assert config["t"].split(".")[1] == "1"
        assert Reason.HOLDOUT.value in line
    else:
        [hint] = h2.early_hints
        assert "</static/css/discovery.css>; rel=preload; as=style" in hint
        assert claims.holdout is False
        assert Reason.HOLDOUT.value not in line
    # The final Link header is the same either way: only the 103 is held back.
    assert "</static/css/discovery.css>; rel=preload; as=style" in split_links(
        response.header("link") or ""
    )


def test_only_a_navigation_about_to_get_a_103_is_held_out(
    field_on: None, caplog: pytest.LogCaptureFixture
) -> None:
    """A route with nothing to hint early has no 103 to hold back: its navigations
    are never counted as held out."""
    with override_settings(H2PUSH_FIELD_HOLDOUT=0.999999):
        h2 = H2TestClient()
        caplog.set_level(logging.DEBUG, logger="h2push")
        response = h2.get(HERO_PATH, headers=NAVIGATION)  # nothing learned yet
    assert response.status == 200
    assert h2.early_hints == []
    config = config_of(response.content)
    assert config["t"].split(".")[1] == "0"
    [line] = _story_lines(caplog)
    assert Reason.HOLDOUT.value not in line


def test_a_held_out_page_reports_even_once_the_route_asks_few_visitors(field_on: None) -> None:
    with override_settings(H2PUSH_FIELD_HOLDOUT=0.999999, H2PUSH_FIELD_SAMPLE=10**9):
        client = Client()
        teach(client, HERO_PATH)
        # A full window of samples: from now on one visitor in H2PUSH_FIELD_SAMPLE is
        # asked, which here is as good as none.
        for number in range(1, MAX_SAMPLES + 1):
            visit_and_report(client, HERO_PATH, reporter(number), lcp=None)
        assert script_tags(page(client, HERO_PATH).content) == []
        h2 = H2TestClient()
        response = h2.get(HERO_PATH, headers=NAVIGATION)
    assert response.status == 200
    assert h2.early_hints == []
    assert config_of(response.content)["t"].split(".")[1] == "1"
