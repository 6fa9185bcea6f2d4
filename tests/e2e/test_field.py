"""End to end: field learning under ``runh2server`` (issue 20).

The server serves :mod:`tests.support.apps.field_urls` with the settings of
:mod:`tests.support.apps.field_settings` (field learning on, a quorum of three, no
holdout, the client named by ``X-Forwarded-For``, the samples in a file cache this
test's ``manage.py h2push_field --json`` reads too). The h2 probe plays the browsers:
it loads a page, reads the report script's config and posts the report
``h2push/field.js`` would send, each visitor from an address of its own.

- Once three visitors report the hero image as their LCP ``<img>``, a cold visit's
  103 and final ``Link`` header carry it with ``fetchpriority=high``, and a client
  that takes push gets it pushed from the site's own origin; two visitors are not
  enough.
- Refused reports (forged, replayed, oversized, malformed, cross-origin, ...) each
  get their 4xx over real HTTP/2 and change nothing; a flood adds one sample.
- A learned script the quorum never used leaves the hints; a declared one stays.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from h2push.core.linkheader import split_links
from h2push.django_layer.field.page import FIELD_PATH, signed_fingerprint
from h2push.django_layer.field.token import WINDOW_SECONDS, issue
from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.constants import STATIC_DIR
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory, run_manage

pytestmark = pytest.mark.e2e

SETTINGS = "tests.support.apps.field_settings"
TIMEOUT = 30.0
QUORUM = 3
HERO_PATH = "/field/hero/"
SCRIPTS_PATH = "/field/scripts/"
HERO = "/static/img/logo.png"
HERO_LINK = f"<{HERO}>; rel=preload; as=image; fetchpriority=high"
LEARNED_SCRIPT = "/static/js/app.js"
DECLARED_SCRIPT = "/static/js/explain.js"
NAVIGATION = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}


def reporter(number: int) -> str:
    return f"198.51.100.{number}"


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir()
    return folder


@pytest.fixture
def server(h2server_factory: H2ServerFactory, cache_dir: Path) -> Iterator[ServerProcess]:
    server = h2server_factory(settings=SETTINGS, env={"H2PUSH_TEST_CACHE_DIR": str(cache_dir)})
    yield server
    assert server.alive(), server.errors()


def connect(server: ServerProcess, *, enable_push: bool = False) -> H2Connection:
    return H2Connection(
        server.host, server.port, enable_push=enable_push, cafile=cafile(server), timeout=TIMEOUT
    )


def own_origin(server: ServerProcess) -> str:
    return f"https://{server.host}:{server.port}"


def page(server: ServerProcess, path: str, address: str = "192.0.2.10", **options: Any) -> Exchange:
    """One page on a new connection (a cold visit), from ``address``."""
    headers = {"x-forwarded-for": address, **options.pop("headers", {})}
    with connect(server, **options) as connection:
        exchange = connection.request(path, headers=headers)
    assert exchange.status == 200, exchange.body[:300]
    return exchange


def config_of(exchange: Exchange) -> dict[str, Any]:
    tags = LexborHTMLParser(exchange.body).css("script[data-h2push-field]")
    assert len(tags) == 1, exchange.body.decode()
    config: dict[str, Any] = json.loads(tags[0].attributes["data-h2push-field"] or "")
    return config


def report(
    config: dict[str, Any], *, lcp: str | None = HERO, unused: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What ``h2push/field.js`` sends for the page of ``config``."""
    return {
        "v": 1,
        "route": config["r"],
        "fp": config["fp"],
        "token": config["t"],
        "vw": 1280,
        "lcp": None if lcp is None else {"url": lcp, "img": True},
        "lcpMs": 900,
        "fcpMs": 400,
        "interim": True,
        "imgs": config["i"],
        "hints": [
            {"url": url, "used": url not in unused, "initiator": "early-hints", "end": 120}
            for url in config["h"]
        ],
    }


def post(
    server: ServerProcess,
    body: dict[str, Any] | bytes,
    address: str,
    *,
    method: str = "POST",
    origin: str | None = "own",
    site: str | None = "same-origin",
) -> Exchange:
    """A report as ``navigator.sendBeacon`` sends it, from ``address``."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = [("content-type", "text/plain;charset=UTF-8"), ("x-forwarded-for", address)]
    if origin is not None:
        headers.append(("origin", own_origin(server) if origin == "own" else origin))
    if site is not None:
        headers.append(("sec-fetch-site", site))
    with connect(server) as connection:
        return connection.request(
            FIELD_PATH, method=method, headers=headers, body=data if method == "POST" else b""
        )


def visit_and_report(server: ServerProcess, path: str, address: str, **changes: Any) -> None:
    config = config_of(page(server, path, address))
    answer = post(server, report(config, **changes), address)
    assert answer.status == 204, answer.body[:300]


def links(exchange: Exchange) -> list[str]:
    return exchange.links


def hint_links(exchange: Exchange) -> list[list[str]]:
    return [
        [value for field in interim.links for value in split_links(field)]
        for interim in exchange.early_hints
    ]


def field_groups(cache_dir: Path, tmp_path: Path, route_part: str) -> list[dict[str, Any]]:
    """``manage.py h2push_field --json``'s groups of the routes containing ``route_part``."""
    done = run_manage(
        tmp_path / "home",
        "h2push_field",
        "--json",
        "--route",
        route_part,
        settings=SETTINGS,
        env={"H2PUSH_TEST_CACHE_DIR": str(cache_dir)},
    )
    assert done.returncode == 0, done.stderr
    groups: list[dict[str, Any]] = json.loads(done.stdout)["groups"]
    return groups


def samples_of(groups: list[dict[str, Any]]) -> int:
    return sum(group["samples"] + group["holdout_samples"] for group in groups)


def test_the_quorums_hero_is_hinted_early_in_the_link_header_and_pushed(
    server: ServerProcess, cache_dir: Path, tmp_path: Path
) -> None:
    for number in range(1, QUORUM):
        visit_and_report(server, HERO_PATH, reporter(number))
    short = page(server, HERO_PATH, enable_push=True)
    assert HERO not in " ".join(links(short))
    assert HERO not in str(hint_links(short))
    assert HERO not in short.pushed_paths

    visit_and_report(server, HERO_PATH, reporter(QUORUM))

    cold = page(server, HERO_PATH, enable_push=True)
    [hint] = hint_links(cold)
    assert HERO_LINK in hint
    assert HERO_LINK in links(cold)
    promise = cold.promise_for(HERO)
    assert promise is not None
    assert promise.header(":authority") == f"{server.host}:{server.port}"
    assert promise.status == 200
    assert promise.body == (STATIC_DIR / "img" / "logo.png").read_bytes()
    # A browser's navigation (no push) gets the 103 with the image all the same.
    browser = page(server, HERO_PATH, headers=NAVIGATION)
    assert HERO_LINK in hint_links(browser)[0]
    assert browser.promises == []

    [desktop] = field_groups(cache_dir, tmp_path, "field/hero/")
    assert desktop["samples"] == QUORUM
    assert desktop["clients"] == QUORUM
    assert desktop["lcp_element"]["url"] == HERO
    assert desktop["lcp_element"]["clients"] == QUORUM


def refused_answers(
    server: ServerProcess, config: dict[str, Any], other: dict[str, Any], client: str
) -> dict[str, tuple[int, Exchange]]:
    """Each refused report of the issue, sent as ``client``: its expected status and
    the server's answer."""
    body = report(config)
    signed = signed_fingerprint(config["fp"], config["i"], config["h"])
    old = issue(config["r"], signed, False, now=time.time() - 2 * WINDOW_SECONDS)
    window, holdout, mac = config["t"].split(".")
    forged = f"{window}.{holdout}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"

    def with_lcp(url: str) -> dict[str, Any]:
        return {**body, "lcp": {"url": url, "img": True}}

    return {
        "forged token": (403, post(server, {**body, "token": forged}, client)),
        "token of another route": (403, post(server, {**body, "token": other["t"]}, client)),
        "replayed old window": (403, post(server, {**body, "token": old}, client)),
        "oversized": (413, post(server, json.dumps(body).encode() + b" " * 17 * 1024, client)),
        "malformed json": (400, post(server, json.dumps(body).encode()[:-5], client)),
        "cross-origin": (403, post(server, body, client, origin="https://attacker.example")),
        "no origin, no sec-fetch-site": (403, post(server, body, client, origin=None, site=None)),
        "token-less": (400, post(server, {k: v for k, v in body.items() if k != "token"}, client)),
        "another origin's url": (
            400,
            post(server, with_lcp(f"https://evil.example{HERO}"), client),
        ),
        "dot segments": (400, post(server, with_lcp("/static/css/../img/logo.png"), client)),
        "url over 2048": (400, post(server, with_lcp("/static/" + "a" * 2100), client)),
        "get": (405, post(server, b"", client, method="GET")),
    }


def test_refused_reports_change_nothing_over_http2(
    server: ServerProcess, cache_dir: Path, tmp_path: Path
) -> None:
    for number in range(1, QUORUM):
        visit_and_report(server, HERO_PATH, reporter(number))
    third = reporter(QUORUM)
    config = config_of(page(server, HERO_PATH, third))
    other = config_of(page(server, "/field/hero-srcset/", third))
    body = report(config)
    refused = refused_answers(server, config, other, third)
    assert {case: answer.status for case, (_, answer) in refused.items()} == {
        case: status for case, (status, _) in refused.items()
    }
    assert refused["get"][1].header("allow") == "POST"
    assert all(answer.body == b"" for _, answer in refused.values())

    after = page(server, HERO_PATH)
    assert HERO not in " ".join(links(after))
    assert HERO not in str(hint_links(after))
    assert samples_of(field_groups(cache_dir, tmp_path, "field/hero/")) == QUORUM - 1
    # A refused report is no WARNING in the server's log (Django's 4xx line included),
    # where another 4xx is one (DEBUG is on: Django's console handler writes it).
    with connect(server) as connection:
        assert connection.request("/field/nowhere/").status == 404
    assert "Not Found: /field/nowhere/" in server.errors()
    assert FIELD_PATH not in server.errors()

    # Control: the third visitor's own valid report completes the quorum; a second
    # one from it in the same hour is refused and adds nothing.
    assert post(server, body, third).status == 204
    assert post(server, body, third).status == 429
    assert samples_of(field_groups(cache_dir, tmp_path, "field/hero/")) == QUORUM
    assert HERO_LINK in hint_links(page(server, HERO_PATH))[0]


def test_a_learned_script_nobody_uses_leaves_the_hints(server: ServerProcess) -> None:
    for _ in range(3):  # the route learns its assets
        page(server, SCRIPTS_PATH)
    before = page(server, SCRIPTS_PATH)
    assert LEARNED_SCRIPT in " ".join(links(before))
    assert LEARNED_SCRIPT in " ".join(hint_links(before)[0])

    for number in range(1, QUORUM + 1):
        visit_and_report(
            server,
            SCRIPTS_PATH,
            reporter(number),
            lcp=None,
            unused=(LEARNED_SCRIPT, DECLARED_SCRIPT),
        )

    after = page(server, SCRIPTS_PATH)
    [hint] = hint_links(after)
    assert LEARNED_SCRIPT not in " ".join(links(after))
    assert LEARNED_SCRIPT not in " ".join(hint)
    declared = f"<{DECLARED_SCRIPT}>; rel=preload; as=script"
    assert declared in links(after)
    assert declared in hint
