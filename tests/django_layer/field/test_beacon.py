"""h2push.django_layer.field.beacon: the report a page's script sends, what is taken
and what is refused (with which status)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings

from h2push.core.linkheader import MAX_URL_LENGTH
from h2push.django_layer.field.beacon import (
    MAX_BODY_BYTES,
    MAX_HINTS,
    Refusal,
    Report,
    read_report,
)
from h2push.django_layer.field.sample import HintUse, LcpElement, ViewportGroup
from tests.django_layer.field.reports import ASSETS, CDN, FINGERPRINT, OWN, ROUTE, report


def read(data: Any, content_type: str | None = "text/plain;charset=UTF-8") -> Report | Refusal:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return read_report(body, content_type, OWN, ASSETS)


def refused(data: Any, status: int = 400, content_type: str | None = "text/plain") -> str:
    result = read(data, content_type)
    assert isinstance(result, Refusal), result
    assert result.status == status, result
    return result.reason


def lcp(**changes: Any) -> dict[str, Any]:
    return {"url": "/static/hero.jpg", "img": True, **changes}


def hint(url: str = "/static/site.css", **changes: Any) -> dict[str, Any]:
    return {"url": url, "used": True, "initiator": "link", "end": 10, **changes}


# What is taken.


def test_a_report_is_read_into_what_a_sample_needs() -> None:
    result = read(report())
    assert isinstance(result, Report)
    assert result.route == ROUTE
    assert result.fingerprint == FINGERPRINT
    assert result.group is ViewportGroup.DESKTOP
    assert result.lcp == LcpElement("/static/hero.jpg", is_image=True)  # own origin: its path
    assert (result.lcp_ms, result.fcp_ms, result.had_early_hint) == (1234.5, 800.0, True)
    assert result.hints == (
        HintUse("/static/site.css", used=True, initiator="early-hints", response_end_ms=90.5),
        HintUse(f"{CDN}/static/font.woff2", used=True, initiator="css", response_end_ms=120.0),
        HintUse("/static/old.js", used=False, initiator="", response_end_ms=None),
    )
    sample = result.sample("client-key", holdout=True)
    assert (sample.client, sample.holdout, sample.group) == ("client-key", True, result.group)
    assert (sample.lcp, sample.hints) == (result.lcp, result.hints)


def test_a_report_with_nothing_measured_is_taken() -> None:
    result = read(report(lcp=None, lcpMs=None, fcpMs=None, interim=False, hints=[], vw=1))
    assert isinstance(result, Report)
    assert (result.lcp, result.hints, result.group) == (None, (), ViewportGroup.PHONE)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "Text/Plain; charset=utf-8",
        'text/plain; charset="utf-8"',
        "application/json",
    ],
)
def test_the_types_a_beacon_sends_are_taken(content_type: str) -> None:
    assert isinstance(read(report(), content_type), Report)


def test_an_image_with_its_srcset_and_sizes_is_taken() -> None:
    srcset = (
        "/static/hero-480.jpg 480w, https://shop.example/static/hero-800.jpg 800w,"
        f" {CDN}/img/w_1200,q_80/hero.jpg 1200w"  # a CDN's URL may hold commas
    )
    sizes = "(max-width: 600px) 100vw, (width >= 1200px) calc(50vw - 2rem), 50vw"
    result = read(report(lcp=lcp(srcset=srcset, sizes=sizes)))
    assert isinstance(result, Report)
    assert result.lcp == LcpElement("/static/hero.jpg", True, srcset, sizes)
    for density in ("/a.jpg, /b.jpg 2x", "/a.jpg 1x,/b.jpg 1.5x", "/a.jpg"):
        assert isinstance(read(report(lcp=lcp(srcset=density))), Report)
    assert isinstance(read(report(lcp=lcp(srcset=None, sizes=None))), Report)


def test_a_background_image_is_taken_without_srcset() -> None:
    result = read(report(lcp={"url": f"{CDN}/media/bg.webp", "img": False}))
    assert isinstance(result, Report)
    assert result.lcp == LcpElement(f"{CDN}/media/bg.webp", is_image=False)


def test_the_bounds_themselves_are_taken() -> None:
    long_url = "/static/" + "a" * (MAX_URL_LENGTH - len("/static/"))
    hints = [hint(f"/static/{n}.css") for n in range(MAX_HINTS)]
    data = report(vw=20_000, lcpMs=600_000, fcpMs=0, lcp=lcp(url=long_url), hints=hints)
    body = json.dumps(data).encode()
    body += b" " * (MAX_BODY_BYTES - len(body))  # white space JSON allows, to the byte
    assert isinstance(read_report(body, "text/plain", OWN, ASSETS), Report)


def test_urls_of_the_own_origin_are_kept_as_paths() -> None:
    urls = {
        f"{OWN}/static/a.css?v=2#x": "/static/a.css?v=2#x",
        "HTTPS://SHOP.EXAMPLE:443/static/b.css": "/static/b.css",
        f"{OWN}": "/",
        f"{CDN}/static/c.css": f"{CDN}/static/c.css",
        "/static/d.css": "/static/d.css",
    }
    result = read(report(hints=[hint(url) for url in urls]))
    assert isinstance(result, Report)
    assert [h.url for h in result.hints] == list(urls.values())


def test_the_site_settings_name_the_asset_origins_by_default() -> None:
    body = json.dumps(report()).encode()
    assert read_report(body, "text/plain", OWN).status == 400  # type: ignore[union-attr]
    with override_settings(H2PUSH_ASSET_ORIGINS=[CDN]):
        assert isinstance(read_report(body, "text/plain", OWN), Report)


# What is refused: the body as a whole.


def test_an_oversized_body_is_refused_before_it_is_read() -> None:
    body = json.dumps(report()).encode()
    body += b" " * (MAX_BODY_BYTES + 1 - len(body))
    assert refused(body, 413) == "body too large"
    assert refused(b"\xff" * (1 << 20), 413)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/html",
        "text/plain; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/jsonx",
    ],
)
def test_a_wrong_content_type_is_refused(content_type: str | None) -> None:
    refused(report(), 415, content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"{",
        b"\xff\xfe{}",
        json.dumps(report()).encode("utf-16"),
        b"\xef\xbb\xbf" + json.dumps(report()).encode(),  # a byte order mark
        b"[]",
        b"null",
        b"1",
        b'"report"',
        b"[" * 8000 + b"]" * 8000,  # deeper than the parser's recursion
        b'{"a":' * 2500 + b"1" + b"}" * 2500,
        json.dumps(report()).encode() + b"{}",
    ],
)
def test_a_malformed_body_is_refused(body: bytes) -> None:
    refused(body)


def test_nan_infinity_and_huge_numbers_are_refused() -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = json.dumps(report()).replace('"lcpMs": 1234.5', f'"lcpMs": {constant}')
        assert refused(body.encode()) == "NaN or Infinity"
    for number in ("1e999", "9" * 4000, "9" * 5000):  # inf, a huge int, past int's limit
        refused(json.dumps(report()).replace("1234.5", number).encode())


def test_a_key_given_twice_is_refused() -> None:
    body = json.dumps(report()).replace('"v": 1', '"v": 1, "vw": 300')
    assert refused(body.encode()) == "a key twice"


# What is refused: the schema.


@pytest.mark.parametrize(
    "changes",
    [
        {"v": 2},
        {"v": True},
        {"v": 1.0},
        {"v": "1"},
        {"route": ""},
        {"route": 5},
        {"route": "x" * 1025},
        {"fp": ""},
        {"fp": "fp with spaces"},
        {"fp": "x" * 65},
        {"token": None},
        {"token": "token=="},
        {"vw": 0},
        {"vw": 20_001},
        {"vw": 390.0},
        {"vw": True},
        {"vw": "390"},
        {"vw": -1},
        {"lcp": "/static/hero.jpg"},
        {"lcp": []},
        {"lcpMs": -1},
        {"lcpMs": -0.001},
        {"lcpMs": 600_000.5},
        {"fcpMs": 10**20},
        {"lcpMs": "1234"},
        {"fcpMs": True},
        {"interim": 1},
        {"interim": None},
        {"hints": None},
        {"hints": {}},
        {"hints": ["/static/site.css"]},
    ],
)
def test_wrong_types_and_values_are_refused(changes: dict[str, Any]) -> None:
    refused(report(**changes))


@pytest.mark.parametrize(
    "key", ["v", "route", "fp", "token", "vw", "lcp", "lcpMs", "interim", "imgs"]
)
def test_a_missing_key_is_refused(key: str) -> None:
    data = report()
    del data[key]
    assert refused(data) == "report: a key missing"


@pytest.mark.parametrize(
    "data",
    [
        report(cookie="sessionid=1"),
        report(lcp=lcp(id="hero")),
        report(hints=[hint(transferSize=0)]),
        report(lcp={"url": "/static/hero.jpg"}),
        report(hints=[{"url": "/static/site.css", "used": True, "initiator": "link"}]),
    ],
)
def test_unknown_and_missing_keys_are_refused_at_every_level(data: dict[str, Any]) -> None:
    refused(data)


@pytest.mark.parametrize(
    "changes",
    [
        {"used": "yes"},
        {"initiator": "Link"},
        {"initiator": "early_hints"},
        {"initiator": "a" * 33},
        {"initiator": None},
        {"end": -5},
        {"end": 600_001},
        {"end": "5"},
    ],
)
def test_a_wrong_hint_is_refused(changes: dict[str, Any]) -> None:
    refused(report(hints=[hint(**changes)]))


def test_too_many_hints_are_refused() -> None:
    hints = [hint(f"/static/{n}.css") for n in range(MAX_HINTS + 1)]
    assert refused(report(hints=hints)) == "hints: more than 32"


def test_a_hint_listed_twice_is_refused() -> None:
    hints = [hint("/static/a.css"), hint(f"{OWN}/static/a.css")]
    assert refused(report(hints=hints)) == "hints: a URL twice"


@pytest.mark.parametrize(
    "changes",
    [
        {"route": "shop.example\nproducts/"},
        {"route": "shop.example\x00"},
        {"route": "shop.example \u202eproducts"},  # a right-to-left override
        {"route": "shop.example \ud800"},  # an unpaired surrogate, as JSON may carry
        {"fp": "5120\t9f3a"},
        {"lcp": lcp(url="/static/hero\n.jpg")},
        {"lcp": lcp(url="/static/hero.jpg\x7f")},
        {"lcp": lcp(sizes="100vw\r\nSet-Cookie: x")},
        {"lcp": lcp(srcset="/a.jpg\x00 1x")},
        {"hints": [hint("/static/\u00e9.css")]},
    ],
)
def test_control_characters_are_refused(changes: dict[str, Any]) -> None:
    refused(report(**changes))


# What is refused: URLs.

ANOTHER_ORIGINS_URLS = [
    "https://evil.example/static/hero.jpg",
    "//evil.example/static/hero.jpg",
    "http://shop.example/static/hero.jpg",  # the page's host, but not its origin
    "https://shop.example:8443/static/hero.jpg",
    "https://shop.example.evil.example/static/hero.jpg",
    "https://cdn.example@evil.example/static/hero.jpg",
    "https://user@shop.example/static/hero.jpg",
    "http://cdn.example/static/hero.jpg",
    "javascript:alert(1)",
    "data:image/png;base64,AAAA",
    "ftp://shop.example/static/hero.jpg",
    "https:/evil.example/static/hero.jpg",
    "https:evil.example/static/hero.jpg",
    "https:///evil.example/",
    "https://[::1/",
    "https://shop.example:99999/",
    "static/hero.jpg",  # relative to the page: it could name anything
    "hero.jpg",
    "?x=1",
    "#top",
    "https://shop.example//evil.example/hero.jpg",  # its path alone would be "//evil..."
    "/\\evil.example/hero.jpg",  # a browser reads "\" as "/"
    "\\\\evil.example/hero.jpg",
    " /static/hero.jpg",  # (in a srcset, white space only separates candidates)
    "/static/hero.jpg ",
    "/static/<script>.jpg",
    '/static/"hero".jpg',
]


@pytest.mark.parametrize("url", ANOTHER_ORIGINS_URLS)
def test_another_origins_url_is_refused_wherever_it_is(url: str) -> None:
    for data in (
        report(lcp=lcp(url=url)),
        report(lcp={"url": url, "img": False}),
        report(hints=[hint(url)]),
    ):
        reason = refused(data)
        assert "evil" not in reason  # the reason never repeats what the client sent
    if url.strip() == url:
        refused(report(lcp=lcp(srcset=f"/static/hero-480.jpg 480w, {url} 800w")))
        refused(report(lcp=lcp(srcset=url)))


@pytest.mark.parametrize(
    "url",
    [
        "/static/../settings.py",
        "/static/./hero.jpg",
        "/static/..",
        "/..",
        "/static/%2e%2e/secret",
        "/static/%2E%2e/secret",
        "/static/.%2E/secret",
        "/static/%2e/hero.jpg",
        "/static/..%2fsecret",
        "/static/..%5csecret",
        "https://shop.example/static/../secret",
        "https://cdn.example/static/%2e%2e/secret",
    ],
)
def test_a_url_with_dot_segments_is_refused(url: str) -> None:
    assert refused(report(lcp=lcp(url=url))) == "lcp.url: a dot segment"
    assert refused(report(hints=[hint(url)])) == "hint.url: a dot segment"
    refused(report(lcp=lcp(srcset=f"{url} 2x")))


def test_a_url_over_the_length_bound_is_refused() -> None:
    too_long = "/static/" + "a" * (MAX_URL_LENGTH + 1 - len("/static/"))
    assert refused(report(lcp=lcp(url=too_long))) == "lcp.url: not 1-2048 characters"
    assert refused(report(hints=[hint(too_long)]))
    assert refused(report(lcp=lcp(url="")))


@pytest.mark.parametrize(
    "changes",
    [
        {"srcset": "/a.jpg 2x 480w"},  # two descriptors
        {"srcset": "/a.jpg 480px"},
        {"srcset": "/a.jpg 0w"},
        {"srcset": "/a.jpg (2x)"},
        {"srcset": "/a.jpg, 2x"},  # "2x" read as a URL
        {"srcset": ""},
        {"srcset": ", , ,"},
        {"srcset": ", ".join(f"/{n}.jpg {n + 1}x" for n in range(17))},
        {"srcset": "/a.jpg 1x, " + "/" + "b" * 2048 + " 2x"},
        {"srcset": 480},
        {"sizes": ""},
        {"sizes": "100vw; x"},
        {"sizes": 'calc("100vw")'},
        {"sizes": "x" * 513},
        {"sizes": 100},
    ],
)
def test_a_wrong_srcset_or_sizes_is_refused(changes: dict[str, Any]) -> None:
    refused(report(lcp=lcp(**changes)))


def test_a_background_image_has_no_srcset() -> None:
    refused(report(lcp={"url": "/static/bg.jpg", "img": False, "srcset": "/static/bg.jpg 1x"}))
    refused(report(lcp={"url": "/static/bg.jpg", "img": False, "sizes": "100vw"}))


def test_the_pages_images_are_kept_as_paths() -> None:
    taken = read(report())
    assert isinstance(taken, Report)
    assert taken.images == ("/static/hero.jpg", "/media/banner.png")


@pytest.mark.parametrize(
    "imgs",
    [
        "/static/hero.jpg",
        ["https://evil.example/hero.jpg"],
        ["/static/../secret.jpg"],
        [f"/static/{n}.jpg" for n in range(33)],
        [1],
    ],
    ids=["not-a-list", "another-origin", "dot-segments", "too-many", "not-a-string"],
)
def test_wrong_images_are_refused(imgs: Any) -> None:
    assert "imgs" in refused(report(imgs=imgs))
