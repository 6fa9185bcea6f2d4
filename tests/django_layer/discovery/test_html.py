"""What discovery takes from a page's markup, with the exact attributes of each hint."""

from __future__ import annotations

import pytest

from h2push.django_layer import discovery
from tests.django_layer.discovery.conftest import Found


def page(head: str, body: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ('<link rel="stylesheet" href="/static/a.css">', "</static/a.css>; rel=preload; as=style"),
        (
            '<link rel=stylesheet href="/static/a.css" crossorigin>',
            "</static/a.css>; rel=preload; as=style; crossorigin",
        ),
        (
            '<link rel=stylesheet href="/static/a.css" crossorigin="">',
            "</static/a.css>; rel=preload; as=style; crossorigin",
        ),
        (
            '<link rel=stylesheet href="/static/a.css" crossorigin="anonymous">',
            "</static/a.css>; rel=preload; as=style; crossorigin",
        ),
        (
            '<link rel=stylesheet href="/static/a.css" crossorigin="Use-Credentials">',
            "</static/a.css>; rel=preload; as=style; crossorigin=use-credentials",
        ),
        (
            # An unknown value is the anonymous state, as browsers read it.
            '<link rel=stylesheet href="/static/a.css" crossorigin="bogus">',
            "</static/a.css>; rel=preload; as=style; crossorigin",
        ),
        (
            '<link rel="stylesheet" href="/static/print.css" media="print">',
            "</static/print.css>; rel=preload; as=style",
        ),
        (
            '<link rel="STYLESHEET icon" href="/static/a.css" type="text/css">',
            "</static/a.css>; rel=preload; as=style",
        ),
        ('<script src="/static/app.js"></script>', "</static/app.js>; rel=preload; as=script"),
        (
            '<script src="/static/app.js" type="text/javascript" defer></script>',
            "</static/app.js>; rel=preload; as=script",
        ),
        (
            '<script src="/static/app.js" language="JavaScript"></script>',
            "</static/app.js>; rel=preload; as=script",
        ),
        (
            '<script src="/static/app.js" crossorigin=use-credentials async></script>',
            "</static/app.js>; rel=preload; as=script; crossorigin=use-credentials",
        ),
        (
            '<script type="module" src="/static/main.js"></script>',
            "</static/main.js>; rel=modulepreload",
        ),
        (
            '<script type=" MODULE " src="/static/main.mjs" crossorigin></script>',
            "</static/main.mjs>; rel=modulepreload; crossorigin",
        ),
        (
            # `nomodule` means nothing on a module script.
            '<script type="module" nomodule src="/static/main.js"></script>',
            "</static/main.js>; rel=modulepreload",
        ),
        (
            '<link rel="modulepreload" href="/static/chunk.js">',
            "</static/chunk.js>; rel=modulepreload",
        ),
        (
            '<link rel="modulepreload" href="/static/chunk.js" crossorigin="use-credentials">',
            "</static/chunk.js>; rel=modulepreload; crossorigin=use-credentials",
        ),
        (
            '<link rel="preload" as="font" href="/static/f.woff2" type="font/woff2" crossorigin>',
            "</static/f.woff2>; rel=preload; as=font; crossorigin; type=font/woff2",
        ),
        (
            '<link rel="preload" as="STYLE" href="/static/late.css">',
            "</static/late.css>; rel=preload; as=style",
        ),
        (
            '<link rel="preload" as="script" href="/static/x.js" crossorigin="use-credentials">',
            "</static/x.js>; rel=preload; as=script; crossorigin=use-credentials",
        ),
        (
            '<link rel="preload" as="fetch" href="/static/data.json">',
            "</static/data.json>; rel=preload; as=fetch; crossorigin",
        ),
    ],
)
def test_each_kind_carries_the_attributes_of_its_tag(found: Found, tag: str, expected: str) -> None:
    assert found(page(tag)) == [expected]


@pytest.mark.parametrize(
    "tag",
    [
        '<link rel="alternate stylesheet" href="/static/alt.css" title="Alt">',
        '<link rel="stylesheet" href="/static/off.css" disabled>',
        '<link rel="stylesheet" href="/static/a.less" type="text/less">',
        '<link rel="stylesheet">',
        '<link rel="stylesheet" href="">',
        '<link rel="icon" href="/static/favicon.ico">',
        '<link rel="prefetch" href="/static/next.js">',
        '<link rel="preload" href="/static/no-as.js">',
        '<link rel="preload" as="image" href="/static/hero.jpg">',
        '<link rel="preload" as="video" href="/static/intro.mp4">',
        '<link rel="preload" as="nonsense" href="/static/x.js">',
        '<link rel="modulepreload" as="worker" href="/static/worker.js">',
        '<link rel="preload" as="font" href="/static/f.woff2" type="font/woff2;x=<1>">',
        '<script nomodule src="/static/legacy.js"></script>',
        '<script type="application/json" src="/static/data.json"></script>',
        '<script type="text/template" src="/static/t.html"></script>',
        '<script type="importmap" src="/static/map.json"></script>',
        '<script type="text/javascript; charset=utf-8" src="/static/x.js"></script>',
        '<script src="/static/x.js" language="vbscript"></script>',
        "<script>var inline = 1;</script>",
        '<script src=""></script>',
        '<img src="/static/logo.png">',
        '<img srcset="/static/logo.png 1x">',
        '<video src="/static/intro.mp4"></video>',
        '<a href="/static/doc.pdf">doc</a>',
        '<iframe src="/static/frame.html"></iframe>',
        '<div style="background: url(/static/bg.png)"></div>',
    ],
)
def test_what_is_not_a_render_blocking_asset_is_left_out(found: Found, tag: str) -> None:
    assert found(page(tag, tag)) == []


def test_document_order_once_each_head_and_body(found: Found) -> None:
    html = page(
        '<script src="/static/b.js"></script><link rel=stylesheet href="/static/a.css">'
        '<link rel=preload as=style href="/static/a.css">',
        '<script src="/static/b.js"></script><link rel=stylesheet href="/static/c.css">'
        '<script type=module src="/static/d.js"></script>',
    )
    assert found(html) == [
        "</static/b.js>; rel=preload; as=script",
        "</static/a.css>; rel=preload; as=style",
        "</static/c.css>; rel=preload; as=style",
        "</static/d.js>; rel=modulepreload",
    ]


def test_the_first_tag_that_names_a_url_decides_its_attributes(found: Found) -> None:
    html = page(
        '<link rel=preload as=script href="/static/m.js" crossorigin>'
        '<script type=module src="/static/m.js"></script>'
    )
    assert found(html) == ["</static/m.js>; rel=preload; as=script; crossorigin"]


def test_markup_a_browser_does_not_act_on_is_not_read(found: Found) -> None:
    html = page(
        "<!-- <link rel=stylesheet href=/static/comment.css> -->"
        "<noscript><link rel=stylesheet href=/static/noscript.css></noscript>"
        "<template><link rel=stylesheet href=/static/template.css>"
        "<script src=/static/template.js></script></template>"
        "<script>document.write('<script src=/static/written.js><\\/script>')</script>"
        "<style>/* <link rel=stylesheet href=/static/style.css> */</style>",
        "<textarea><link rel=stylesheet href=/static/textarea.css></textarea>"
        "<svg><script href=/static/svg.js></script><script src=/static/svg2.js></script>"
        "<link rel=stylesheet href=/static/svg.css></svg>"
        "<math><link rel=stylesheet href=/static/math.css></math>"
        "<title><link rel=stylesheet href=/static/title.css></title>"
        '<iframe srcdoc="<link rel=stylesheet href=/static/srcdoc.css>"></iframe>'
        "<xmp><script src=/static/xmp.js></script></xmp>"
        "<plaintext><link rel=stylesheet href=/static/plaintext.css>",
    )
    assert found(html) == []


def test_html_inside_an_svg_foreign_object_is_html(found: Found) -> None:
    html = page(
        "", "<svg><foreignObject><link rel=stylesheet href=/static/fo.css></foreignObject></svg>"
    )
    assert found(html) == ["</static/fo.css>; rel=preload; as=style"]


def test_odd_but_valid_markup(found: Found) -> None:
    html = (
        "\ufeff<HTML><HEAD><LINK REL=StyleSheet HREF=/static/upper.css>"
        "<link rel=stylesheet href='/static/single.css'>"
        '<link\nrel="stylesheet"\n\thref="\n /static/padded.css \t">'
        "<link rel=stylesheet href=/static/first.css href=/static/second.css>"
        "<script src=/static/unclosed.js>"
    )
    assert found(html) == [
        "</static/upper.css>; rel=preload; as=style",
        "</static/single.css>; rel=preload; as=style",
        "</static/padded.css>; rel=preload; as=style",
        "</static/first.css>; rel=preload; as=style",
        "</static/unclosed.js>; rel=preload; as=script",
    ]


def test_entities_in_attributes_are_decoded(found: Found) -> None:
    html = page('<link rel=stylesheet href="/static/a.css?v=1&amp;t=2">')
    assert found(html) == ["</static/a.css?v=1&t=2>; rel=preload; as=style"]


def test_broken_and_empty_documents_find_nothing(found: Found) -> None:
    assert found("") == []
    assert found("<") == []
    assert found("<link rel=stylesheet href=/static/x.css") == []
    assert found(b"\x00\xff\xfe<<>>\x00") == []
    assert found(
        "<html><head><link rel=stylesheet href=/static/ok.css></head>" + "<div>" * 5000
    ) == ["</static/ok.css>; rel=preload; as=style"]


def test_the_response_charset_decodes_the_page(found: Found) -> None:
    html = page('<link rel=stylesheet href="/static/caf\xe9.css">').encode("latin-1")
    assert found(html, charset="iso-8859-1") == ["</static/caf%C3%A9.css>; rel=preload; as=style"]
    # An unknown charset reads as UTF-8, undecodable bytes as U+FFFD.
    assert found(html, charset="no-such-charset") == [
        "</static/caf%EF%BF%BD.css>; rel=preload; as=style"
    ]
    assert found(html, charset=None) == ["</static/caf%EF%BF%BD.css>; rel=preload; as=style"]


def test_a_byte_order_mark_wins_over_the_charset(found: Found) -> None:
    html = page('<link rel=stylesheet href="/static/caf\xe9.css">')
    assert found(b"\xef\xbb\xbf" + html.encode(), charset="iso-8859-1") == [
        "</static/caf%C3%A9.css>; rel=preload; as=style"
    ]
    assert found(b"\xff\xfe" + html.encode("utf-16-le"), charset="utf-8") == [
        "</static/caf%C3%A9.css>; rel=preload; as=style"
    ]


def test_a_root_relative_base_resolves_relative_urls(found: Found) -> None:
    html = page('<base href="/"><link rel=stylesheet href="static/a.css">')
    assert found(html) == ["</static/a.css>; rel=preload; as=style"]
    html = page('<base href="/static/css/"><link rel=stylesheet href="../js/../a.css">')
    assert found(html) == ["</static/a.css>; rel=preload; as=style"]


def test_relative_urls_without_a_usable_base_are_left_out(found: Found) -> None:
    # The page's own URL is not known, nor is what another origin's base means.
    assert found(page('<link rel=stylesheet href="static/a.css">')) == []
    html = page('<base href="https://other.example/"><link rel=stylesheet href="static/a.css">')
    assert found(html) == []
    html = page('<base href="//other.example/"><script src="static/a.js"></script>')
    assert found(html) == []


def test_only_the_first_base_counts(found: Found) -> None:
    html = page('<base target=_top><base href="/"><base href="/x/"><script src="static/a.js">')
    assert found(html) == ["</static/a.js>; rel=preload; as=script"]


def test_the_number_of_assets_per_page_is_bounded(found: Found) -> None:
    from h2push.django_layer.discovery.page import MAX_FOUND

    html = page("".join(f"<script src=/static/{n}.js></script>" for n in range(500)))
    result = found(html)
    assert len(result) == MAX_FOUND
    assert result[0] == "</static/0.js>; rel=preload; as=script"


def test_results_are_preloads_usable_as_they_are() -> None:
    html = page('<script type=module src="/static/m.js"></script>').encode()
    (hint,) = discovery.discover("route", html, "utf-8", "/static/")
    assert (hint.url, hint.as_, hint.crossorigin, hint.type_, hint.module) == (
        "/static/m.js",
        "script",
        None,
        None,
        True,
    )
