"""h2push.django_layer.origins: which origins the site names as its own for hinting."""

from __future__ import annotations

import pytest
from django.core.checks import Error
from django.test import override_settings

from h2push.core.linkheader import early_hint_values
from h2push.django_layer.checks import setting_errors
from h2push.django_layer.origins import (
    asset_origins,
    is_trusted,
    normalise_origin,
    origin_of,
    trusted_values,
)

OWN = "https://shop.example"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://CDN.example.com:443/static/", "https://cdn.example.com"),
        ("http://cdn.example.com:80/", "http://cdn.example.com"),
        ("https://cdn.example.com:8443/x", "https://cdn.example.com:8443"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
        ("/static/", None),
        ("static/", None),
        ("//cdn.example.com/static/", None),
        ("ftp://cdn.example.com/", None),
        ("https://user@cdn.example.com/", None),
        ("https://cdn.example.com:99999/", None),
        ("https://[cdn/", None),
    ],
)
def test_origin_of(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://cdn.example.com", "https://cdn.example.com"),
        ("https://cdn.example.com/", "https://cdn.example.com"),
        ("https://cdn.example.com/static/", None),
        ("https://cdn.example.com?x", None),
        ("https://cdn.example.com#x", None),
        (" https://cdn.example.com", None),
        ("cdn.example.com", None),
        (42, None),
    ],
)
def test_an_asset_origin_setting_names_an_origin_and_nothing_more(
    value: object, origin: str | None
) -> None:
    assert normalise_origin(value) == origin


@override_settings(
    STATIC_URL="https://static.example/s/",
    MEDIA_URL="https://media.example:8443/m/",
    H2PUSH_ASSET_ORIGINS=["https://FONTS.example/"],
)
def test_the_static_media_and_named_origins_are_trusted() -> None:
    assert asset_origins() == {
        "https://static.example",
        "https://media.example:8443",
        "https://fonts.example",
    }


@override_settings(STATIC_URL="/static/", MEDIA_URL="/media/", H2PUSH_ASSET_ORIGINS=[])
def test_a_site_with_relative_urls_trusts_only_its_own_origin() -> None:
    assert asset_origins() == frozenset()


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("/static/a.css", True),
        ("static/a.css", True),
        ("https://shop.example/static/a.css", True),
        ("https://SHOP.example:443/static/a.css", True),
        ("https://cdn.example/static/a.css", True),
        ("//cdn.example/static/a.css", True),
        ("https://evil.example/static/a.css", False),
        ("//evil.example/a.css", False),
        ("https://cdn.example.evil.example/a.css", False),
        ("https://user@cdn.example/a.css", False),
        ("http://cdn.example/a.css", False),  # another scheme is another origin
        ("https://cdn.example:8443/a.css", False),
        ("javascript:alert(1)", False),
        ("data:text/css,x", False),
    ],
)
def test_is_trusted(url: str, trusted: bool) -> None:
    assert is_trusted(url, OWN, frozenset({"https://cdn.example"})) is trusted


@override_settings(H2PUSH_ASSET_ORIGINS=["https://cdn.example"])
def test_trusted_values_leave_out_any_link_to_an_unnamed_origin() -> None:
    values = (
        "</static/a.css>; rel=preload; as=style",
        "<https://cdn.example/b.js>; rel=preload; as=script",
        "<https://evil.example/c.js>; rel=preload; as=script",
        "<https://evil.example>; rel=preconnect",
        "not a link",
    )
    assert trusted_values(values, OWN) == values[:2]


def test_a_103_carries_an_asset_origins_preloads_after_a_preconnect() -> None:
    values = [
        "<https://cdn.example/s/a.css>; rel=preload; as=style",
        "<https://cdn.example/s/f.woff2>; rel=preload; as=font; crossorigin",
        "<https://other.example/x.js>; rel=preload; as=script",
        "</s/b.js>; rel=preload; as=script",
    ]
    assert early_hint_values(
        values, "https", "shop.example", frozenset({"https://cdn.example"})
    ) == (
        "<https://cdn.example>; rel=preconnect",
        values[0],
        "<https://cdn.example>; rel=preconnect; crossorigin",
        values[1],
        "<https://other.example>; rel=preconnect",
        values[3],
    )


def test_a_cross_origin_module_script_gets_the_cors_preconnect() -> None:
    values = ["<https://cdn.example/s/m.js>; rel=modulepreload"]
    cdn = frozenset({"https://cdn.example"})
    assert early_hint_values(values, "https", "shop.example", cdn) == (
        "<https://cdn.example>; rel=preconnect; crossorigin",
        values[0],
    )


@pytest.mark.parametrize(
    "value", ["https://cdn.example/static/", ["https://cdn.example/static/"], ["cdn.example"], [1]]
)
def test_a_wrong_asset_origins_setting_fails_check_e017(value: object) -> None:
    with override_settings(H2PUSH_ASSET_ORIGINS=value):
        errors = [e for e in setting_errors() if e.id == "h2push.E017"]
    assert len(errors) == 1
    assert isinstance(errors[0], Error)
    assert errors[0].hint and "scheme, host and port" in errors[0].hint


def test_a_right_asset_origins_setting_passes() -> None:
    with override_settings(H2PUSH_ASSET_ORIGINS=("https://cdn.example", "http://[::1]:8000")):
        assert [e for e in setting_errors() if e.id == "h2push.E017"] == []
