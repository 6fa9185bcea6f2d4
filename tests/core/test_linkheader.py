"""h2push.core.linkheader: splitting, parsing and joining RFC 8288 Link header values."""

from __future__ import annotations

import pytest

from h2push.core.linkheader import Link, join_links, parse_link, split_links


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("</a.css>; rel=preload", ["</a.css>; rel=preload"]),
        (
            "</a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script",
            ["</a.css>; rel=preload; as=style", "</b.js>; rel=preload; as=script"],
        ),
        # Commas inside <...> do not separate values.
        (
            "</a,b.css>; rel=preload, </c.css>; rel=preload",
            ["</a,b.css>; rel=preload", "</c.css>; rel=preload"],
        ),
        (
            "<https://example.com/x?a=1,2,3>; rel=preload,</d>; rel=next",
            ["<https://example.com/x?a=1,2,3>; rel=preload", "</d>; rel=next"],
        ),
        # Commas inside a quoted string do not either, escaped quotes included.
        (
            '</a>; rel=preload; title="x, y", </b>; rel=preload',
            ['</a>; rel=preload; title="x, y"', "</b>; rel=preload"],
        ),
        (
            r'</a>; title="say \"hi, there\"", </b>; rel=next',
            [r'</a>; title="say \"hi, there\""', "</b>; rel=next"],
        ),
        (
            r'</a>; title="back\\", </b>; rel=next',
            [r'</a>; title="back\\"', "</b>; rel=next"],
        ),
        # Whitespace and empty elements are dropped.
        (
            "  </a>; rel=preload  ,  ,, </b>; rel=preload ,",
            ["</a>; rel=preload", "</b>; rel=preload"],
        ),
        ("", []),
        ("   ", []),
        (",,,", []),
    ],
)
def test_split_links(header: str, values: list[str]) -> None:
    assert list(split_links(header)) == values


def test_split_links_quote_inside_brackets_does_not_swallow_later_links() -> None:
    """Inside ``<...>`` only ``>`` is special: a quote there is part of the URL and
    does not open a quoted string that would hide the commas after it."""
    header = '</static/a"b.css>; rel=preload; as=style, </static/c.css>; rel=preload; as=style'
    assert list(split_links(header)) == [
        '</static/a"b.css>; rel=preload; as=style',
        "</static/c.css>; rel=preload; as=style",
    ]


@pytest.mark.parametrize(
    "junk",
    [
        '"unterminated, </a>; rel=preload',
        "<unterminated, </a>; rel=preload",
        ">>>,<<<",
        "\\,\\",
        '"\\',
        "\x00\x01,\x02",
        "a" * 10_000,
        "<" * 1000 + "," * 1000,
    ],
)
def test_split_links_never_raises_on_junk(junk: str) -> None:
    values = list(split_links(junk))
    assert all(isinstance(value, str) and value for value in values)
    assert all(value == value.strip() for value in values)


def test_parse_link_basic() -> None:
    link = parse_link("</static/css/base.css>; rel=preload; as=style")
    assert link == Link("/static/css/base.css", {"rel": "preload", "as": "style"})
    assert link.is_preload
    assert not link.nopush
    assert link.rels == frozenset({"preload"})


def test_parse_link_flags_and_quoted_values() -> None:
    link = parse_link('</f.woff2>; rel="preload"; as="font"; crossorigin; nopush')
    assert link is not None
    assert link.params == {"rel": "preload", "as": "font", "crossorigin": None, "nopush": None}
    assert link.is_preload
    assert link.nopush


def test_parse_link_semicolon_and_comma_inside_quotes() -> None:
    link = parse_link('</a>; title="a; b, c"; rel=preload')
    assert link is not None
    assert link.params["title"] == "a; b, c"
    assert link.is_preload


def test_parse_link_unescapes_quoted_pairs() -> None:
    link = parse_link(r'</a>; title="say \"hi\""; rel=next')
    assert link is not None
    assert link.params["title"] == 'say "hi"'
    assert link.params["rel"] == "next"


def test_parse_link_param_names_are_case_insensitive_rel_values_too() -> None:
    link = parse_link("</a.css>; REL=PreLoad; AS=style; NoPush")
    assert link is not None
    assert link.params["rel"] == "PreLoad"
    assert link.params["as"] == "style"
    assert link.is_preload
    assert link.nopush


def test_parse_link_multiple_rel_values() -> None:
    link = parse_link('</a.css>; rel="prefetch  preload"')
    assert link is not None
    assert link.rels == frozenset({"prefetch", "preload"})
    assert link.is_preload


def test_parse_link_first_parameter_wins() -> None:
    link = parse_link("</a.css>; rel=preload; rel=prefetch; as=style; as=script")
    assert link is not None
    assert link.params["rel"] == "preload"
    assert link.params["as"] == "style"
    assert link.is_preload

    link = parse_link("</a.css>; rel=prefetch; rel=preload")
    assert link is not None
    assert link.params["rel"] == "prefetch"
    assert not link.is_preload


def test_parse_link_non_preload() -> None:
    link = parse_link("</next>; rel=next")
    assert link is not None
    assert not link.is_preload
    assert link.rels == frozenset({"next"})
    no_rel = parse_link("</x>")
    assert no_rel is not None
    assert no_rel.rels == frozenset()
    assert not no_rel.is_preload


def test_parse_link_url_keeps_commas_and_strips_spaces() -> None:
    link = parse_link("  < /a,b.css >  ;  rel = preload ")
    assert link is not None
    assert link.url == "/a,b.css"
    assert link.params == {"rel": "preload"}


def test_parse_link_empty_parameter_names_skipped() -> None:
    link = parse_link("</a>; ; =x; rel=preload;")
    assert link is not None
    assert link.params == {"rel": "preload"}


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "/a.css; rel=preload",
        "a, b",
        "rel=preload",
        "<unterminated; rel=preload",
        '"<a>"',
    ],
)
def test_parse_link_rejects_what_is_not_a_link(junk: str) -> None:
    assert parse_link(junk) is None


@pytest.mark.parametrize(
    "junk",
    [
        "<>",
        "<a>>>; rel",
        '<a>; rel="',
        '<a>; rel="preload',
        "<a>; \\",
        "<a>; ===",
        '<a>; title="\\',
        "<\x00>; \x01=\x02",
    ],
)
def test_parse_link_never_raises_on_junk(junk: str) -> None:
    link = parse_link(junk)
    assert link is None or isinstance(link, Link)


def test_parse_link_unterminated_quote_is_not_a_preload() -> None:
    link = parse_link('<a>; rel="preload')
    assert link is not None
    assert link.params["rel"] == '"preload'
    assert not link.is_preload


def test_join_links_roundtrip() -> None:
    values = ["</a,b.css>; rel=preload; as=style", '</c.js>; rel=preload; title="x, y"']
    header = join_links(values)
    assert header == '</a,b.css>; rel=preload; as=style, </c.js>; rel=preload; title="x, y"'
    assert list(split_links(header)) == values
    assert join_links([]) == ""
    assert join_links(iter(["</a>"])) == "</a>"
