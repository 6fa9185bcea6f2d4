"""Fonts that the site's stylesheets load through ``@font-face``, read from disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.django_layer.discovery.conftest import Found, StaticDir

PAGE = '<html><head><link rel=stylesheet href="/static/css/site.css"></head></html>'
CSS_HINT = "</static/css/site.css>; rel=preload; as=style"


def font(url: str, type_: str | None = "font/woff2") -> str:
    value = f"<{url}>; rel=preload; as=font; crossorigin"
    return value + (f"; type={type_}" if type_ else "")


def fonts_of(found: Found, static_dir: StaticDir, css: str, page: str = PAGE) -> list[str]:
    static_dir.write("css/site.css", css)
    return [value for value in found(page) if "as=font" in value]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('url("../fonts/a.woff2") format("woff2")', font("/static/fonts/a.woff2")),
        ("url(../fonts/a.woff2)", font("/static/fonts/a.woff2")),
        ("url('/static/fonts/a.woff2')", font("/static/fonts/a.woff2")),
        ("url(a.woff2?v=4#iefix)", font("/static/css/a.woff2?v=4")),
        ('url(../fonts/a.woff) format("woff")', font("/static/fonts/a.woff", "font/woff")),
        ("url(../fonts/a.woff)", font("/static/fonts/a.woff", "font/woff")),
        ("url(../fonts/a.ttf) format(truetype)", font("/static/fonts/a.ttf", "font/ttf")),
        ('url(../fonts/a.otf) format("opentype")', font("/static/fonts/a.otf", "font/otf")),
        ('url(../fonts/a.bin) format("woff2-variations")', font("/static/fonts/a.bin")),
        ("url(../fonts/a.font)", font("/static/fonts/a.font", None)),
        (
            'local("Inter"), local(Inter-Regular), url(../fonts/a.woff2) format("woff2")',
            font("/static/fonts/a.woff2"),
        ),
        (
            'url(../fonts/a.eot?#iefix) format("embedded-opentype"),'
            ' url(../fonts/a.svg#A) format("svg"), url(../fonts/a.woff2) format("woff2")',
            font("/static/fonts/a.woff2"),
        ),
        ("url(../fonts/a.eot), url(../fonts/a.woff)", font("/static/fonts/a.woff", "font/woff")),
        (
            'url(../fonts/a.woff2) format("woff2") tech(variations), url(../fonts/b.woff2)',
            font("/static/fonts/a.woff2"),
        ),
        (
            'url(../fonts/a.woff2) format("woff2") tech(incremental-future),'
            ' url(../fonts/b.woff2) format("woff2")',
            font("/static/fonts/b.woff2"),
        ),
        (
            'url(../fonts/a.x) format("unknown"), url(../fonts/b.woff) format("woff")',
            font("/static/fonts/b.woff", "font/woff"),
        ),
        (
            'url(../fonts/a.x) format("woff-x", "woff2")',  # the old list syntax
            font("/static/fonts/a.x"),
        ),
        (
            "url(https://fonts.example.com/a.woff2), url(../fonts/b.woff2)",
            None,  # the browser takes another origin's font: nothing of ours to hint
        ),
        ("url(data:font/woff2;base64,AAAA)", None),
        ("url(../../../../etc/passwd)", None),
        ("url(../fonts/%2e%2e/x.woff2)", None),
        ("local(Inter)", None),
        ("url()", None),
        ('"../fonts/a.woff2"', None),
    ],
)
def test_the_source_a_browser_would_pick(
    found: Found, static_dir: StaticDir, src: str, expected: str | None
) -> None:
    css = f"@font-face {{ font-family: Inter; src: {src}; }}"
    assert fonts_of(found, static_dir, css) == ([expected] if expected else [])


def test_fonts_come_after_the_page_assets_in_stylesheet_order(
    found: Found, static_dir: StaticDir
) -> None:
    static_dir.write("css/a.css", "@font-face{font-family:A;src:url(a.woff2)}")
    static_dir.write(
        "css/b.css",
        "@font-face{font-family:B;src:url(b.woff2)}@font-face{font-family:A;src:url(a.woff2)}",
    )
    page = (
        '<link rel=stylesheet href="/static/css/b.css" crossorigin=use-credentials>'
        '<link rel=stylesheet href="/static/css/a.css"><script src="/static/app.js"></script>'
    )
    assert found(page) == [
        "</static/css/b.css>; rel=preload; as=style; crossorigin=use-credentials",
        "</static/css/a.css>; rel=preload; as=style",
        "</static/app.js>; rel=preload; as=script",
        font("/static/css/b.woff2"),
        font("/static/css/a.woff2"),
    ]


def test_a_stylesheet_named_first_by_a_preload_still_has_its_fonts_read(
    found: Found, static_dir: StaticDir
) -> None:
    static_dir.write("css/site.css", "@font-face{font-family:A;src:url(a.woff2)}")
    page = (
        '<link rel=preload as=style href="/static/css/site.css">'
        '<link rel=stylesheet href="/static/css/site.css">'
    )
    assert found(page) == [CSS_HINT, font("/static/css/a.woff2")]


def test_only_rel_stylesheet_has_its_fonts_read(found: Found, static_dir: StaticDir) -> None:
    static_dir.write("css/site.css", "@font-face{font-family:A;src:url(a.woff2)}")
    page = '<link rel=preload as=style href="/static/css/site.css" onload="this.rel=1">'
    assert found(page) == [CSS_HINT]


def test_rules_a_browser_ignores_or_may_not_apply(found: Found, static_dir: StaticDir) -> None:
    css = """
    /* @font-face { font-family: C; src: url(comment.woff2) } */
    @font-face { src: url(no-family.woff2) }
    @font-face { font-family: N }
    @media (max-width: 30em) { @font-face { font-family: M; src: url(media.woff2) } }
    @font-face { font-family: Cy; src: url(cyrillic.woff2); unicode-range: U+0400-045F, U+0490 }
    @font-face { font-family: L; src: url(latin.woff2); unicode-range: U+0000-00FF, U+0131 }
    @font-face { font-family: W; src: url(wild.woff2); unicode-range: U+00?? }
    @layer base { @supports (display: grid) {
        @font-face { font-family: S; src: url(nested.woff2) format("woff2") }
    } }
    .x { background: url(bg.png); font-family: "src: url(rule.woff2)" }
    @font-face { font-family: T; src: url(first.woff2); src: url(last.woff2) }
    """
    assert fonts_of(found, static_dir, css) == [
        font("/static/css/latin.woff2"),
        font("/static/css/wild.woff2"),
        font("/static/css/nested.woff2"),
        font("/static/css/last.woff2"),
    ]


def test_imports_are_followed_for_their_fonts(found: Found, static_dir: StaticDir) -> None:
    static_dir.write("css/fonts/inter.css", "@font-face{font-family:I;src:url(../../f/i.woff2)}")
    static_dir.write("css/print.css", "@font-face{font-family:P;src:url(p.woff2)}")
    static_dir.write("css/loop.css", '@import "site.css";')
    css = (
        '@charset "utf-8"; @import url("fonts/inter.css") layer(fonts);'
        ' @import "print.css" print; @import "loop.css"; @import url(//evil.example/x.css);'
    )
    assert fonts_of(found, static_dir, css) == [font("/static/f/i.woff2")]


def test_imports_are_followed_only_so_deep(found: Found, static_dir: StaticDir) -> None:
    static_dir.write("css/c0.css", '@import "c1.css"; @font-face{font-family:F;src:url(0.woff2)}')
    static_dir.write("css/c1.css", '@import "c2.css"; @font-face{font-family:F;src:url(1.woff2)}')
    static_dir.write("css/c2.css", '@import "c3.css"; @font-face{font-family:F;src:url(2.woff2)}')
    static_dir.write("css/c3.css", "@font-face{font-family:F;src:url(3.woff2)}")
    result = fonts_of(found, static_dir, '@import "c0.css";')
    assert result == [
        font("/static/css/2.woff2"),
        font("/static/css/1.woff2"),
        font("/static/css/0.woff2"),
    ]


def test_missing_and_oversized_stylesheets_give_no_fonts(
    found: Found, static_dir: StaticDir
) -> None:
    from h2push.django_layer.discovery.stylesheets import MAX_SHEET_BYTES

    assert found(PAGE) == [CSS_HINT]  # no such file: the link itself stays
    big = "@font-face{font-family:A;src:url(a.woff2)}" + " " * MAX_SHEET_BYTES
    assert fonts_of(found, static_dir, big) == []


def test_an_edited_stylesheet_is_read_again(found: Found, static_dir: StaticDir) -> None:
    path = static_dir.write("css/site.css", "@font-face{font-family:A;src:url(a.woff2)}")
    assert found(PAGE)[1:] == [font("/static/css/a.woff2")]
    path.write_text("@font-face{font-family:A;src:url(b.woff)}")
    os.utime(path, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    assert found(PAGE)[1:] == [font("/static/css/b.woff", "font/woff")]


def test_a_stylesheet_with_an_encoding_of_its_own(found: Found, static_dir: StaticDir) -> None:
    css = '@charset "iso-8859-1"; @font-face{font-family:A;src:url(caf\xe9.woff2)}'
    static_dir.write("css/site.css", css.encode("latin-1"))
    assert found(PAGE)[1:] == [font("/static/css/caf%C3%A9.woff2")]


def test_hostile_css_does_not_escape(found: Found, static_dir: StaticDir) -> None:
    css = (
        "@font-face{font-family:A;src:url(/static/a\x01.woff2)}"
        "@font-face{font-family:B;src:url(\\2f static\\2f b.woff2)}"
        "@font-face{font-family:C;src:url(/static/c.woff2"
    )
    assert fonts_of(found, static_dir, css) == [
        font("/static/b.woff2"),
        font("/static/c.woff2"),
    ]


def test_a_stylesheet_of_a_cdn_static_url_is_read_from_disk(
    found: Found, static_dir: StaticDir, settings: Any
) -> None:
    settings.STATIC_URL = "https://cdn.example.com/static/"
    static_dir.write("css/site.css", "@font-face{font-family:A;src:url(../f/a.woff2)}")
    page = '<link rel=stylesheet href="https://cdn.example.com/static/css/site.css">'
    assert found(page, static_url="https://cdn.example.com/static/")[1:] == [
        font("https://cdn.example.com/static/f/a.woff2")
    ]


def test_manifest_hashed_names_after_collectstatic(
    found: Found, static_dir: StaticDir, settings: Any, tmp_path: Path
) -> None:
    static_dir.write(
        "css/site.css", '@font-face{font-family:A;src:url("../fonts/a.woff2") format("woff2")}'
    )
    static_dir.write("fonts/a.woff2", b"wOF2")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    settings.DEBUG = False
    from django.contrib.staticfiles.storage import staticfiles_storage

    css_url = staticfiles_storage.url("css/site.css")
    font_url = staticfiles_storage.url("fonts/a.woff2")
    assert css_url != "/static/css/site.css" and font_url != "/static/fonts/a.woff2"
    assert found(f'<link rel=stylesheet href="{css_url}">') == [
        f"<{css_url}>; rel=preload; as=style",
        font(font_url),
    ]


def test_development_reads_the_source_and_production_the_collected_copy(
    found: Found, static_dir: StaticDir, settings: Any
) -> None:
    static_dir.write("css/site.css", "@font-face{font-family:A;src:url(old.woff2)}")
    call_command("collectstatic", interactive=False, verbosity=0)
    static_dir.write("css/site.css", "@font-face{font-family:A;src:url(new.woff2)}")
    assert found(PAGE)[1:] == [font("/static/css/new.woff2")]
    settings.DEBUG = False
    assert found(PAGE)[1:] == [font("/static/css/old.woff2")]


def test_a_storage_not_on_this_disk_is_never_read(
    found: Found, static_dir: StaticDir, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "tests.django_layer.discovery.test_fonts.RemoteStorage"},
    }
    settings.DEBUG = False
    settings.STATICFILES_DIRS = []
    assert found(PAGE) == [CSS_HINT]


class RemoteStorage:
    """Stands for S3 and the like: reading it would be a network call."""

    def path(self, name: str) -> str:
        raise AssertionError("a remote storage must not be read")

    def url(self, name: str) -> str:
        return "/static/" + name
