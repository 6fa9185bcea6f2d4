"""h2push.django_layer.preload: the Preload model, its defaults and its refusals."""

from __future__ import annotations

import dataclasses

import pytest

from h2push.django_layer.preload import DESTINATIONS, Preload, destination_for


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/static/css/base.css", "style"),
        ("/static/CSS/BASE.CSS", "style"),
        ("/static/js/app.js", "script"),
        ("/static/js/app.mjs", "script"),
        ("/static/fonts/a.woff2", "font"),
        ("/static/fonts/a.woff", "font"),
        ("/static/fonts/a.ttf", "font"),
        ("/static/fonts/a.otf", "font"),
        ("/static/fonts/a.eot", "font"),
        ("/static/img/a.png", "image"),
        ("/static/img/a.jpg", "image"),
        ("/static/img/a.jpeg", "image"),
        ("/static/img/a.gif", "image"),
        ("/static/img/a.webp", "image"),
        ("/static/img/a.avif", "image"),
        ("/static/img/a.svg", "image"),
        ("/favicon.ico", "image"),
        ("/api/menu.json", "fetch"),
        ("/static/subs/en.vtt", "track"),
        ("/static/media/a.mp4", "video"),
        ("/static/media/a.webm", "video"),
        ("/static/media/a.mp3", "audio"),
        ("/static/media/a.ogg", "audio"),
        # Unknown or missing extensions fall back to fetch.
        ("/api/menu", "fetch"),
        ("/static/data.bin", "fetch"),
        ("/", "fetch"),
        # The extension is read from the path only, not the query or fragment.
        ("/static/css/base.css?v=3", "style"),
        ("/static/js/app.js#top", "script"),
        ("/api/data?format=.css", "fetch"),
        ("https://cdn.example/static/app.js", "script"),
        ("//cdn.example/fonts/a.woff2", "font"),
        # A dot in a directory name is not an extension.
        ("/static/v1.css/file", "fetch"),
    ],
)
def test_destination_inferred_from_extension(url: str, expected: str) -> None:
    assert destination_for(url) == expected
    assert Preload(url).as_ == expected


@pytest.mark.parametrize(
    ("url", "as_", "crossorigin"),
    [
        ("/static/fonts/a.woff2", "font", "anonymous"),
        ("/api/menu.json", "fetch", "anonymous"),
        ("/api/menu", "fetch", "anonymous"),
        ("/static/css/base.css", "style", None),
        ("/static/js/app.js", "script", None),
        ("/static/img/logo.png", "image", None),
    ],
)
def test_crossorigin_defaults_for_font_and_fetch_only(
    url: str, as_: str, crossorigin: str | None
) -> None:
    preload = Preload(url)
    assert preload.as_ == as_
    assert preload.crossorigin == crossorigin


def test_explicit_as_overrides_the_extension() -> None:
    preload = Preload("/static/js/module.js", as_="worker")
    assert preload.as_ == "worker"
    assert preload.crossorigin is None
    assert preload.link_value() == "</static/js/module.js>; rel=preload; as=worker"


def test_explicit_as_font_gets_crossorigin_default() -> None:
    preload = Preload("/static/fonts/face", as_="font")
    assert preload.crossorigin == "anonymous"
    assert preload.link_value() == "</static/fonts/face>; rel=preload; as=font; crossorigin"


def test_explicit_crossorigin_overrides_the_default() -> None:
    font = Preload("/static/fonts/a.woff2", crossorigin="use-credentials")
    assert font.crossorigin == "use-credentials"
    assert font.link_value() == (
        "</static/fonts/a.woff2>; rel=preload; as=font; crossorigin=use-credentials"
    )
    style = Preload("https://cdn.example/a.css", crossorigin="anonymous")
    assert style.link_value() == "<https://cdn.example/a.css>; rel=preload; as=style; crossorigin"


def test_nopush_flag_is_written() -> None:
    preload = Preload("/static/css/base.css", nopush=True)
    assert preload.nopush is True
    assert preload.link_value() == "</static/css/base.css>; rel=preload; as=style; nopush"
    font = Preload("/static/a.woff2", nopush=True)
    assert font.link_value() == "</static/a.woff2>; rel=preload; as=font; crossorigin; nopush"


@pytest.mark.parametrize(
    ("preload", "value"),
    [
        (Preload("/static/css/base.css"), "</static/css/base.css>; rel=preload; as=style"),
        (Preload("/static/js/app.js"), "</static/js/app.js>; rel=preload; as=script"),
        (Preload("/api/menu.json"), "</api/menu.json>; rel=preload; as=fetch; crossorigin"),
        (
            Preload("/static/css/base.css?v=1&x=%20"),
            "</static/css/base.css?v=1&x=%20>; rel=preload; as=style",
        ),
        (
            Preload("https://cdn.example/x.png"),
            "<https://cdn.example/x.png>; rel=preload; as=image",
        ),
        (Preload("relative/x.css"), "<relative/x.css>; rel=preload; as=style"),
    ],
)
def test_link_value_format(preload: Preload, value: str) -> None:
    assert preload.link_value() == value


def test_every_destination_is_accepted_explicitly() -> None:
    for destination in DESTINATIONS:
        assert Preload("/resource", as_=destination).as_ == destination
    assert "style" in DESTINATIONS and "font" in DESTINATIONS and "fetch" in DESTINATIONS


def test_preload_is_frozen_and_hashable() -> None:
    preload = Preload("/static/css/base.css")
    with pytest.raises(dataclasses.FrozenInstanceError):
        preload.url = "/other.css"  # type: ignore[misc]
    assert preload == Preload("/static/css/base.css", as_="style")
    assert len({preload, Preload("/static/css/base.css")}) == 1


def test_origin() -> None:
    assert Preload("/static/a.css").origin is None
    assert Preload("https://CDN.Example/a.css").origin == "https://cdn.example"
    assert Preload("http://cdn.example:8080/a.css").origin == "http://cdn.example:8080"
    assert Preload("//cdn.example/a.css").origin == "https://cdn.example"


@pytest.mark.parametrize(
    "url",
    [
        "/static/a.css\r\nSet-Cookie: x=1",
        "/static/a.css\nX-Injected: 1",
        "/static/a.css\r",
        "\n/static/a.css",
        "/static/\x00a.css",
        "/static/\ta.css",
        "/static/\x0ba.css",
        "/static/\x0ca.css",
        "/static/\x1ba.css",
        "/static/\x1fa.css",
        "/static/\x7fa.css",
        "/static/\x85a.css",
        "/static/\x9fa.css",
    ],
)
def test_control_characters_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        Preload(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/css,body{}",
        "DATA:text/css;base64,Ym9keXt9",
        "vbscript:msgbox",
    ],
)
def test_script_and_data_urls_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        Preload(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "/static/a b.css",
        "/static/<a>.css",
        "/static/a.css>; rel=preload; as=script, </evil.js",
        "<https://evil.example/x.js>",
        "ftp://files.example/a.css",
        "file:///etc/passwd",
        "mailto:someone@example.com",
        "blob:https://example.com/uuid",
    ],
)
def test_bad_urls_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        Preload(url)


@pytest.mark.parametrize("url", [None, b"/static/a.css", 42, ["/static/a.css"]])
def test_non_string_urls_rejected(url: object) -> None:
    with pytest.raises(ValueError):
        Preload(url)  # type: ignore[arg-type]


@pytest.mark.parametrize("as_", ["stylesheet", "Style", "css", "js", "image/png", "style; nopush"])
def test_unknown_destination_rejected(as_: str) -> None:
    with pytest.raises(ValueError, match="not a preload destination"):
        Preload("/static/a.css", as_=as_)


@pytest.mark.parametrize("crossorigin", ["", "true", "Anonymous", "credentials", "anonymous\r\n"])
def test_unknown_crossorigin_rejected(crossorigin: str) -> None:
    with pytest.raises(ValueError, match="crossorigin"):
        Preload("/static/a.css", crossorigin=crossorigin)


@pytest.mark.parametrize("url", ["/static/caf\u00e9.css", "/static/caf\u20ac.css", "/x\u2028.css"])
def test_non_ascii_url_is_rejected_or_made_ascii(url: str) -> None:
    """A Link header value must be ASCII: Django MIME-encodes a whole header value
    it cannot write as Latin-1 (``=?utf-8?b?...?=``), which would destroy every
    link in the header, the view's own ones included."""
    try:
        preload = Preload(url)
    except ValueError:
        return
    assert preload.link_value().isascii()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/static/caf\u00e9.css", "/static/caf%C3%A9.css"),
        ("/static/caf\u20ac.css?q=\u00e9", "/static/caf%E2%82%AC.css?q=%C3%A9"),
        ('/static/a"b.css', "/static/a%22b.css"),
        ("/static/a\\b.css", "/static/a%5Cb.css"),
        # Already percent-encoded URLs are kept as they are, never encoded twice.
        ("/static/caf%C3%A9.css", "/static/caf%C3%A9.css"),
        ("/static/a%20b.css?x=%2F&y=1", "/static/a%20b.css?x=%2F&y=1"),
    ],
)
def test_iri_urls_are_percent_encoded(url: str, expected: str) -> None:
    preload = Preload(url)
    assert preload.url == expected
    assert preload.link_value() == f"<{expected}>; rel=preload; as=style"


def test_module_scripts_get_crossorigin() -> None:
    module = Preload("/static/js/app.mjs")
    assert module.as_ == "script"
    assert module.crossorigin == "anonymous"
    assert module.link_value() == "</static/js/app.mjs>; rel=preload; as=script; crossorigin"
    assert Preload("/static/js/app.mjs", crossorigin="use-credentials").crossorigin == (
        "use-credentials"
    )
    assert Preload("/static/js/app.js").crossorigin is None


def test_absolute_http_and_https_urls_accepted() -> None:
    assert Preload("http://example.com/a.css").url == "http://example.com/a.css"
    assert Preload("HTTPS://example.com/a.js").as_ == "script"
