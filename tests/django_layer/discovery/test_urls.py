"""Which URLs discovery takes: same-origin static assets only."""

from __future__ import annotations

import pytest

from h2push.core.linkheader import MAX_URL_LENGTH
from h2push.django_layer.discovery.urls import StaticScope
from tests.django_layer.discovery.conftest import Found


def stylesheet(href: str) -> str:
    return f'<link rel=stylesheet href="{href}">'


@pytest.mark.parametrize(
    "href",
    [
        "//evil.example/static/x.css",
        "https://evil.example/static/x.css",
        "http://evil.example/static/x.css",
        "/\\evil.example/static/x.css",
        "/static\\..\\secret.css",
        "/static/../secret.css",
        "/static/./x.css",
        "/static/%2e%2e/secret.css",
        "/static/%2E%2e/secret.css",
        "/static/.%2E/secret.css",
        "/static/css/%2e/x.css",
        "/media/user/7/avatar.css",
        "/staticx/app.css",
        "/api/static/x.css",
        "static/x.css",
        "x.css",
        "javascript:alert(1)//static/x.css",
        "data:text/css,body{}",
        "vbscript:x",
        "ftp://host/static/x.css",
        "/static/a\x01b.css",
        "/static/a\x7fb.css",
        "/static/a\x85b.css",
        "/static/a b.css",
        "/static/a<b.css",
        "/static/" + "a" * MAX_URL_LENGTH + ".css",
        "/static/" + "\xe9" * (MAX_URL_LENGTH // 4) + ".css",
        "",
        "   ",
    ],
)
def test_urls_outside_static_url_or_unsafe_are_never_taken(found: Found, href: str) -> None:
    assert found(stylesheet(href)) == []


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/static/app.css", "/static/app.css"),
        ("/static/app.css?v=3", "/static/app.css?v=3"),
        ("/static/app.css#top", "/static/app.css"),
        ("/static/css/site.3f2a9c1b.css", "/static/css/site.3f2a9c1b.css"),
        ("/static/\u00e9t\u00e9.css", "/static/%C3%A9t%C3%A9.css"),
        ("/static/%C3%A9t%C3%A9.css", "/static/%C3%A9t%C3%A9.css"),
        ("/static/..x/a.css", "/static/..x/a.css"),
        ("/static/%252e%252e/a.css", "/static/%252e%252e/a.css"),
    ],
)
def test_same_origin_static_urls_are_taken(found: Found, href: str, expected: str) -> None:
    assert found(stylesheet(href)) == [f"<{expected}>; rel=preload; as=style"]


def test_an_absolute_static_url_takes_its_own_origin_only(found: Found) -> None:
    cdn = "https://cdn.example.com/static/"
    html = (
        stylesheet("https://CDN.example.com/static/a.css")
        + stylesheet("/static/b.css")
        + stylesheet("//cdn.example.com/static/c.css")
        + stylesheet("http://cdn.example.com/static/d.css")
        + stylesheet("https://cdn.example.com.evil.example/static/e.css")
        + stylesheet("https://user@cdn.example.com/static/f.css")
        + stylesheet("https://cdn.example.com/other/g.css")
    )
    assert found(html, static_url=cdn) == [
        "<https://cdn.example.com/static/a.css>; rel=preload; as=style"
    ]


@pytest.mark.parametrize("static_url", ["", "static/", "//cdn.example.com/static/", "ftp://x/s/"])
def test_a_static_url_that_names_no_fixed_place_takes_nothing(
    found: Found, static_url: str
) -> None:
    assert found(stylesheet("/static/a.css"), static_url=static_url) == []


def test_a_root_static_url_still_refuses_other_origins(found: Found) -> None:
    html = stylesheet("//evil.example/a.css") + stylesheet("/\\evil.example/a.css")
    html += stylesheet("/a.css")
    assert found(html, static_url="/") == ["</a.css>; rel=preload; as=style"]


def test_a_url_at_the_length_limit_is_taken() -> None:
    scope = StaticScope("/static/")
    longest = "/static/" + "a" * (MAX_URL_LENGTH - len("/static/"))
    assert scope.take(longest) == longest
    assert scope.take(longest + "a") is None


def test_malformed_hosts_are_refused_without_raising() -> None:
    scope = StaticScope("https://cdn.example.com/static/")
    assert scope.take("https://[cdn.example.com/static/a.css") is None
    assert scope.take("x.css", base="https://[bad/static/") is None


def test_a_stylesheet_base_resolves_and_cannot_climb_out() -> None:
    scope = StaticScope("/static/")
    assert scope.take("../fonts/a.woff2", "/static/css/site.css") == "/static/fonts/a.woff2"
    assert scope.take("../../../etc/passwd", "/static/css/site.css") is None
    assert scope.take("%2e%2e/x.woff2", "/static/css/site.css") is None
    assert scope.take("//evil.example/a.woff2", "/static/css/site.css") is None
