"""Property-based: whatever a page or a stylesheet holds, discovery never raises, and
every hint is a same-origin static URL that is safe in a header."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from h2push.core.linkheader import MAX_URL_LENGTH, has_dot_segments
from h2push.django_layer import discovery
from h2push.django_layer.preload import Preload
from tests.django_layer.discovery.conftest import StaticDir

STATIC_URLS = ["/static/", "/", "/s/x/", "https://cdn.example.com/static/"]
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PROPERTY_SETTINGS = settings(
    max_examples=250,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pieces an attacker (or a careless template) puts into a URL.
hostile_text = st.text(
    alphabet=st.sampled_from(
        list("ab/.%2eE\\?#:;,'\"<> =&\t\n\r\x00\x01\x0b\x7f\x85\u00e9\u202e\ufeff\U0001f600")
    ),
    max_size=30,
)
plain_text = st.text(alphabet="ab/.", min_size=1, max_size=8)
url_start = st.sampled_from(
    [
        "/static/",
        "/static",
        "/",
        "//evil.example/static/",
        "/\\evil.example/static/",
        "https://evil.example/static/",
        "https://cdn.example.com/static/",
        "HTTPS://CDN.EXAMPLE.COM/static/",
        "https://cdn.example.com.evil.example/static/",
        "javascript:",
        "data:text/css,",
        "/static/../",
        "/static/%2e%2e/",
        "/static/.%2E/",
        "/static/%252e/",
        "static/",
        "../",
        " \t/static/",
        "https://[::1/static/",
        "",
    ]
)
huge_url = st.integers(min_value=MAX_URL_LENGTH - 20, max_value=3 * MAX_URL_LENGTH).map(
    lambda n: "/static/" + "a" * n
)
built_urls = st.builds(lambda a, b: a + b, url_start, hostile_text)
urls = st.one_of(built_urls, built_urls, built_urls, built_urls, huge_url)  # 1 in 5 huge

attribute_values = st.one_of(
    urls,
    st.sampled_from(
        [
            "stylesheet",
            "STYLESHEET",
            "alternate stylesheet",
            "preload",
            "modulepreload",
            "preload stylesheet",
            "module",
            "text/javascript",
            "application/json",
            "style",
            "script",
            "font",
            "image",
            "font/woff2",
            "font/woff2\r\nX: y",
            "use-credentials",
            "anonymous",
            "",
        ]
    ),
    hostile_text,
)
attribute_names = st.sampled_from(
    ["rel", "href", "src", "as", "type", "crossorigin", "nomodule", "disabled", "language", "x"]
)
tag_names = st.sampled_from(
    [
        "link",
        "script",
        "base",
        "style",
        "template",
        "noscript",
        "svg",
        "math",
        "foreignObject",
        "textarea",
        "img",
        "div",
        "head",
        "body",
        "!--",
        "/script",
        "/template",
    ]
)


@st.composite
def elements(draw: st.DrawFn) -> str:
    name = draw(tag_names)
    parts = [f"<{name}"]
    for attribute in draw(st.lists(st.tuples(attribute_names, attribute_values), max_size=5)):
        quote = draw(st.sampled_from(['"', "'", ""]))
        parts.append(f" {attribute[0]}={quote}{attribute[1]}{quote}")
    parts.append(draw(st.sampled_from([">", "/>", "", " >"])))
    parts.append(draw(st.one_of(st.just(""), hostile_text)))
    return "".join(parts)


# Tags that would be hinted if their URL were a safe static one, among the soup.
hintable = st.builds(
    str.format,
    st.sampled_from(
        [
            '<link rel=stylesheet href="{}">',
            "<script src='{}'></script>",
            "<script type=module src={}></script>",
            '<link rel=preload as=font type=font/woff2 crossorigin href="{}">',
            '<link rel=modulepreload href="{}">',
            '<base href="{}">',
        ]
    ),
    st.one_of(urls, st.builds("/static/{}".format, plain_text)),
)
tag_soup = st.lists(st.one_of(elements(), hintable), max_size=25).map("".join)

css_pieces = st.one_of(
    st.sampled_from(
        [
            "@font-face{",
            "}",
            "{",
            "font-family:A;",
            "src:",
            "url(",
            'url("',
            ")",
            '"',
            "'",
            ",",
            ";",
            'format("woff2")',
            "format(woff)",
            'format("svg")',
            "tech(variations)",
            "local(A)",
            "@import ",
            "@layer x{",
            "@supports (x:y){",
            "@media print{",
            "unicode-range:U+0-7F;",
            "unicode-range:U+400-4FF;",
            "/*",
            "*/",
            "\\",
            "\\2f ",
        ]
    ),
    urls,
    hostile_text,
)
relative_urls = st.builds(
    lambda a, b: a + b,
    st.sampled_from(["", "../", "../../", "./", "%2e%2e/", "fonts/", "/static/", "/s/x/"]),
    st.one_of(plain_text, plain_text, hostile_text),
)
font_faces = st.builds(
    "@font-face{{font-family:A;src:{}({}{}{}) {}}}".format,
    st.sampled_from(["url", "url", "url", "local"]),
    st.sampled_from(['"', "'", ""]),
    st.one_of(urls, relative_urls),
    st.sampled_from(['"', "'", ""]),
    st.sampled_from(['format("woff2")', "format(woff)", "", "", 'format("svg")', "tech(x)"]),
)
imports = st.builds("@import url({});".format, st.one_of(urls, relative_urls))
# Whole rules with hostile URLs, then pieces of nonsense (which may swallow what
# follows them, as they would in a browser); or nonsense alone.
hostile_css = st.one_of(
    st.builds(
        lambda rules, noise: "".join(rules + noise),
        st.lists(st.one_of(font_faces, font_faces, imports), min_size=1, max_size=8),
        st.lists(css_pieces, max_size=8),
    ),
    st.lists(css_pieces, max_size=30).map("".join),
)


def assert_safe(found: tuple[Preload, ...], static_url: str) -> None:
    parts = urlsplit(static_url)
    prefix = f"{parts.scheme}://{parts.netloc}{parts.path}".lower() if parts.netloc else static_url
    seen = set()
    for hint in found:
        url = hint.url
        assert url not in seen
        seen.add(url)
        assert len(url) <= MAX_URL_LENGTH
        assert url.isascii() and not CONTROL.search(url)
        assert not url.startswith("//") and "\\" not in url
        assert url.startswith(prefix)
        if parts.netloc:  # the same origin as STATIC_URL, compared without case
            assert urlsplit(url).netloc.lower() == parts.netloc.lower()
        assert not has_dot_segments(urlsplit(url).path)
        assert hint.as_ in ("style", "script", "font", "fetch")
        assert hint.crossorigin in (None, "anonymous", "use-credentials")
        value = hint.link_value()
        assert value.isascii() and value.isprintable()


@PROPERTY_SETTINGS
@given(content=st.binary(max_size=2048), charset=st.sampled_from([None, "utf-8", "latin-1", "x"]))
def test_random_bytes(content: bytes, charset: str | None) -> None:
    for static_url in STATIC_URLS:
        assert_safe(discovery.discover("bytes", content, charset, static_url), static_url)
    discovery.forget()


@PROPERTY_SETTINGS
@given(soup=tag_soup, static_url=st.sampled_from(STATIC_URLS))
def test_hostile_tag_soup(soup: str, static_url: str) -> None:
    content = soup.encode("utf-8", errors="surrogatepass")
    found = discovery.discover("soup", content, "utf-8", static_url)
    event(f"hints found: {min(len(found), 2)}")
    assert_safe(found, static_url)
    discovery.forget()


@PROPERTY_SETTINGS
@given(css=hostile_css, static_url=st.sampled_from(STATIC_URLS))
def test_hostile_stylesheets(
    static_dir: StaticDir, settings: Any, css: str, static_url: str
) -> None:
    discovery.forget()  # the stylesheet is rewritten: read it afresh
    static_dir.write("css/site.css", css.encode("utf-8", errors="surrogatepass"))
    static_dir.write("css/imported.css", css[::-1].encode("utf-8", errors="surrogatepass"))
    page = (
        f'<link rel=stylesheet href="{static_url}css/site.css">'
        f'<link rel=stylesheet href="{static_url}css/imported.css">'
    ).encode()
    found = discovery.discover("css", page, "utf-8", static_url)
    event(f"fonts found: {min(sum(hint.as_ == 'font' for hint in found), 2)}")
    assert_safe(found, static_url)


def test_the_css_strategy_reaches_fonts(static_dir: StaticDir) -> None:
    # The properties above mean something only if hostile CSS can yield fonts at all.
    static_dir.write("css/site.css", '@font-face{font-family:A;src:url("/static/a.woff2")}')
    page = b'<link rel=stylesheet href="/static/css/site.css">'
    found = discovery.discover("css", page, "utf-8", "/static/")
    assert [hint.as_ for hint in found] == ["style", "font"]
