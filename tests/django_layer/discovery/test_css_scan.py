"""The stylesheet scanner finds what tinycss2 finds, at a fraction of the cost.

``read_sheet`` hands tinycss2 only the ``@import`` and ``@font-face`` rules the
scanner locates (:mod:`h2push.django_layer.discovery.cssscan`). Whatever a stylesheet holds, the
fonts and imports must be those of the reading the scanner replaced: tinycss2
tokenising the whole stylesheet.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import tinycss2  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from h2push.django_layer.discovery import css, cssscan
from h2push.django_layer.discovery.css import MAX_FONTS, MAX_IMPORTS, SheetContents, read_sheet
from h2push.django_layer.discovery.cssscan import MAX_BRACKET_DEPTH
from tests.django_layer.discovery.test_properties import PROPERTY_SETTINGS
from tests.support.apps import discovery_attacks as attacks


def tokenised_whole(data: bytes) -> SheetContents:
    """The reading before the scanner: tinycss2 tokenises the whole stylesheet."""
    rules, _encoding = tinycss2.parse_stylesheet_bytes(
        data, skip_comments=True, skip_whitespace=True
    )
    fonts: list[Any] = []
    imports: list[str] = []
    for rule in css._at_rules(rules, 0):
        if rule.lower_at_keyword == "import" and len(imports) < MAX_IMPORTS:
            href = css._import_href(rule.prelude)
            if href is not None:
                imports.append(href)
        elif rule.lower_at_keyword == "font-face" and len(fonts) < MAX_FONTS:
            source = None if rule.content is None else css._font_face_source(rule.content)
            if source is not None:
                fonts.append(source)
    return SheetContents(tuple(fonts), tuple(imports))


FONT_FACE = "@font-face{font-family:A;src:url(/f/a.woff2) format('woff2')}"
# Pieces that open, close or hide blocks, in every way tinycss2 reads them.
PIECES = [
    FONT_FACE,
    "@font-face{font-family:B;src:url(b.woff)}",
    "@FONT-FACE{font-family:C;src:url('c.ttf')}",
    "@font\\-face{font-family:D;src:url(d.woff2)}",
    "@import url(i.css);",
    "@import 'j.css' layer;",
    '@import "k.css" screen;',
    "@layer x{",
    "@supports (display:grid){",
    "@media print{",
    "@charset 'utf-8';",
    "a{color:red}",
    "b{background:url(x.png)}",
    "c{background:url( y.png )}",
    "d{background:url(a b)}",
    'e{background:url(a"b)}',
    'f{content:"}"}',
    "g{content:'{'}",
    'h{content:"a\\"b"}',
    'i{content:"x\n',
    "\\{",
    "\\}",
    "\\31 ",
    "\\",
    ".md\\:w-1\\/2",
    "url(",
    "url(a{b)",
    "url(a\\)b)",
    "xurl(",
    "#url(",
    "5url(",
    "/*",
    "*/",
    "/* { */",
    "<!--",
    "-->",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    "@",
    " ",
    "\n",
    "a",
    "src:url(/f/e.woff2)",
    "font-family:E",
    "unicode-range:U+0-7F",
]


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_the_scanner_finds_what_tinycss2_finds(text: str) -> None:
    data = text.encode()
    assert read_sheet(data) == tokenised_whole(data), text


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_the_fast_path_may_stop_at_any_window(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    # The fast path reads windows of 16 KB; windows of two characters cut at every
    # closing brace that a real stylesheet's window might end at.
    monkeypatch.setattr(cssscan, "_WINDOW", 2)
    data = text.encode()
    assert read_sheet(data) == tokenised_whole(data), text


@pytest.mark.parametrize(
    "text",
    [
        "a{b:url(x{y)}" + FONT_FACE,  # an unquoted url() may hold a brace
        "a{b:'}'}" + FONT_FACE,
        "a{b:c(}" + FONT_FACE,  # a brace inside parentheses closes nothing
        "/* " + FONT_FACE + " */",
        "a{" + FONT_FACE + "}",  # nested in a rule: not the stylesheet's
        "<!--" + FONT_FACE + "-->",  # skipped at the top level only
        "@layer x{<!--" + FONT_FACE + "}",
        "@media print{" + FONT_FACE + "}",
        "@layer a{@supports (x:y){" + FONT_FACE + "}}",
        "a{b:u\\rl(x{y)}" + FONT_FACE,  # an escaped url(): tokenised whole
        ".a\\31 url(x{y)" + FONT_FACE,
        "@import url(a.css) {}" + FONT_FACE,
        FONT_FACE[:-1],  # ends before its brace
    ],
)
def test_spellings_that_hide_or_reveal_a_rule(text: str) -> None:
    assert read_sheet(text.encode()) == tokenised_whole(text.encode())


def test_brackets_nested_too_deep_end_the_reading() -> None:
    contents = read_sheet(FONT_FACE.encode() + b"a{" + b"(" * (MAX_BRACKET_DEPTH + 1))
    assert [font.href for font in contents.fonts] == ["/f/a.woff2"]
    assert contents.unread is not None and "nested" in contents.unread


def test_a_reading_past_its_deadline_keeps_what_it_found() -> None:
    contents = read_sheet(attacks.many_font_faces(), deadline=time.thread_time() + 0.01)
    assert [font.href for font in contents.fonts] == [attacks.LATIN_FONT]
    assert contents.unread is not None


@pytest.mark.parametrize(
    "build", [attacks.ordinary_css, attacks.nested_css], ids=["ordinary", "nested"]
)
def test_a_megabyte_of_css_is_read_in_a_fraction_of_a_second(build: Any) -> None:
    data = build()
    started = time.process_time()
    contents = read_sheet(data)
    seconds = time.process_time() - started
    # tinycss2 alone took 2 to 6 s here; the scan takes about 0.05 s.
    assert seconds < 0.5, f"{seconds:.2f} s"
    if build is attacks.ordinary_css:
        assert contents == tokenised_whole(data)
