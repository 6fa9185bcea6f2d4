"""Property-based: whatever a client sends, the beacon's checks never raise, and no
report they take names a URL of an origin the site does not trust."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin, urlsplit

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from h2push.core.linkheader import MAX_URL_LENGTH, has_dot_segments
from h2push.django_layer.field.beacon import (
    MAX_BODY_BYTES,
    Refusal,
    Report,
    check_request,
    check_token,
    read_report,
)
from h2push.django_layer.origins import normalise_origin, origin_of
from tests.django_layer.field.reports import ASSETS, CDN, OWN, report

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow],
)
TRUSTED = {OWN, CDN}
PAGE = f"{OWN}/products/1/"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)

# What an attacker puts before, in and after the host of a URL.
scheme = st.sampled_from(
    ["", "http:", "https:", "HTTPS:", "hTtPs:", "javascript:", "data:", "ftp:", " ", "\\"]
)
slashes = st.sampled_from(["", "/", "//", "///", "\\\\", "/\\", "\\/", "\t//"])
authority = st.sampled_from(
    [
        "",
        "shop.example",
        "SHOP.example",
        "shop.example:443",
        "shop.example:8443",
        "shop.example:0",
        "cdn.example",
        "cdn.example:443",
        "evil.example",
        "shop.example.evil.example",
        "cdn.example@evil.example",
        "evil.example@shop.example",
        "evil.example#@shop.example",
        "evil.example\\@shop.example",
        "evil.example%2fshop.example",
        "[::1]",
        "[::1",
        "127.0.0.1",
        "shop.example:99999",
        "shop.example:x",
    ]
)
path = st.text(
    alphabet=st.sampled_from(
        list("ab/.%2eE5c\\?#:;@,'\"<> =&\t\n\r\x00\x7f\x85\u00e9\u202e\ufeff\U0001f600")
    ),
    max_size=30,
)
safe_path = st.text(alphabet=st.sampled_from(list("ab/.%2e5c?#:;@,'=&")), max_size=20)
trusted_start = st.sampled_from(
    ["/", "/static/", f"{OWN}/", f"{CDN}/", "HTTPS://SHOP.EXAMPLE:443/", "https://cdn.example"]
)
hostile_url = (
    st.builds(lambda *parts: "".join(parts), scheme, slashes, authority, path)
    # Near misses: a trusted start with odd paths, odd starts with plain paths.
    | st.builds(lambda start, rest: start + rest, trusted_start, path | safe_path)
    | st.builds(lambda *parts: "".join(parts), scheme, slashes, authority, safe_path)
)


def assert_trusted(url: str, *, as_sent: bool = False) -> None:
    """A URL a report was taken with: the page's own path, or an asset origin's (or
    the page's own origin's, for a ``srcset`` kept ``as_sent``)."""
    assert 0 < len(url) <= MAX_URL_LENGTH
    assert url.isascii() and url.isprintable() and " " not in url and "\\" not in url
    absolute = TRUSTED if as_sent else {CDN}
    assert (url.startswith("/") and not url.startswith("//")) or origin_of(url) in absolute
    assert origin_of(urljoin(PAGE, url)) in TRUSTED
    assert not has_dot_segments(urlsplit(url).path)


def urls_of(result: Report) -> list[str]:
    urls = [hint.url for hint in result.hints]
    if result.lcp is not None:
        urls.append(result.lcp.url)
    return urls


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=MAX_BODY_BYTES + 16), content_type=st.none() | st.text())
def test_arbitrary_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    result = read_report(body, content_type, OWN, ASSETS)
    assert isinstance(result, Refusal)
    assert result.status in (400, 413, 415)


@PROPERTY_SETTINGS
@given(value=json_values)
def test_arbitrary_json_never_raises(value: Any) -> None:
    result = read_report(json.dumps(value).encode(), "text/plain", OWN, ASSETS)
    assert isinstance(result, Refusal)


@PROPERTY_SETTINGS
@given(
    key=st.sampled_from(["v", "route", "fp", "token", "vw", "lcp", "lcpMs", "fcpMs", "interim"]),
    nested=st.sampled_from(["", "lcp.url", "lcp.img", "lcp.srcset", "lcp.sizes", "hint"]),
    value=json_values,
)
def test_a_report_with_any_value_anywhere_never_raises(key: str, nested: str, value: Any) -> None:
    data = report()
    if nested.startswith("lcp."):
        data["lcp"] = {"url": "/static/hero.jpg", "img": True, nested[4:]: value}
    elif nested == "hint":
        data["hints"] = [value]
    else:
        data[key] = value
    result = read_report(json.dumps(data).encode(), "application/json", OWN, ASSETS)
    event("taken" if isinstance(result, Report) else "refused")
    if isinstance(result, Report):
        assert check_token(result) is not None  # never raises either
        for url in urls_of(result):
            assert_trusted(url)


@PROPERTY_SETTINGS
@given(url=hostile_url, where=st.sampled_from(["lcp", "background", "hint", "srcset"]))
def test_no_report_taken_names_an_untrusted_origin(url: str, where: str) -> None:
    if where == "lcp":
        data = report(lcp={"url": url, "img": True})
    elif where == "background":
        data = report(lcp={"url": url, "img": False})
    elif where == "hint":
        data = report(hints=[{"url": url, "used": True, "initiator": "link", "end": 1}])
    else:
        data = report(lcp={"url": "/static/hero.jpg", "img": True, "srcset": f"{url} 2x"})
    result = read_report(json.dumps(data).encode(), "text/plain", OWN, ASSETS)
    event("taken" if isinstance(result, Report) else "refused")
    if not isinstance(result, Report):
        return
    for taken in urls_of(result):
        assert_trusted(taken)
    if where == "srcset":
        assert result.lcp is not None and result.lcp.srcset is not None
        candidate = result.lcp.srcset.split()[0].rstrip(",")
        assert_trusted(candidate, as_sent=True)


@PROPERTY_SETTINGS
@given(
    origin=st.none() | st.sampled_from([OWN, "https://SHOP.example:443", CDN, "null"]) | st.text(),
    site=st.none() | st.sampled_from(["same-origin", "same-site", "cross-site", "none"]),
    method=st.sampled_from(["POST", "GET", "PUT"]) | st.text(max_size=8),
)
def test_only_a_same_origin_post_passes(origin: str | None, site: str | None, method: str) -> None:
    headers = {name: value for name, value in (("Origin", origin), ("Sec-Fetch-Site", site))}
    refusal = check_request(method, {k: v for k, v in headers.items() if v is not None}, OWN)
    if refusal is None:
        assert method == "POST"
        assert origin is not None or site is not None
        assert origin is None or normalise_origin(origin) == OWN
        assert site is None or site == "same-origin"
    else:
        assert refusal.status in (403, 405)
