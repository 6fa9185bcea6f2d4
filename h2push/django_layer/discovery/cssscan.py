"""Where a stylesheet's ``@import`` and ``@font-face`` rules are, without
tokenising all of it.

tinycss2 tokenises in Python, at 1.5 to 6 seconds a megabyte, and a stylesheet's
fonts and imports are a few rules at its top level (or inside ``@layer`` and
``@supports`` blocks). :class:`Scanner` finds where each rule begins and ends by
following only what can open, close or hide a block: comments, strings, escapes,
``url()`` tokens and brackets, each read exactly as tinycss2's tokenizer reads it.
Only the rules that matter are then handed to tinycss2, a few hundred bytes each.

Two spellings could make this reading differ from tinycss2's: an escape that
spells a letter of ``url`` (``u\\rl(`` is a ``url()`` token), and a unicode-range
glued to ``url(``. :func:`unsure` finds them (conservatively, anywhere in the
text); such a stylesheet is tokenised whole, if it is small.

The scan stops with :class:`TooCostly` when it runs past its CPU deadline or its
brackets nest deeper than :data:`MAX_BRACKET_DEPTH`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import tinycss2  # type: ignore[import-untyped]

__all__ = ["MAX_BRACKET_DEPTH", "Rule", "Scanner", "TooCostly", "normalise", "unsure"]

#: Brackets nested deeper than this end the scan (real stylesheets nest a dozen).
MAX_BRACKET_DEPTH = 128
# The deadline is read once in so many steps: reading the clock costs too.
_STEPS_BETWEEN_CLOCK_READS = 256
# Characters the fast path reads in one match, about (a fraction of a millisecond).
_WINDOW = 16 * 1024

_NAME = r"[A-Za-z0-9_\-\u0080-\U0010FFFF]"
_NAME_START = r"[A-Za-z_\u0080-\U0010FFFF]"
# A valid escape, as tinycss2 consumes it: up to six hex digits and one white space
# after them, or any one character but a newline.
_ESCAPE = r"\\(?:[0-9A-Fa-f]{1,6}[ \t\n]?|[^\n])"
_IDENT_START = rf"(?:{_NAME_START}|-(?:{_NAME_START}|-|{_ESCAPE})|{_ESCAPE})"
_AT_KEYWORD = re.compile(rf"@({_IDENT_START}(?:{_NAME}|{_ESCAPE})*+)")
# A backslash and the rest of the identifier it is in.
_ESCAPED_NAME = re.compile(rf"\\(?:[0-9A-Fa-f]{{1,6}}[ \t\n]?|[^\n])?(?:{_NAME}|{_ESCAPE})*+")
# `url(` starts a url token only as a whole identifier, and only when what follows
# is not a quoted string (then it is a function, read as a bracket). Where a token
# is known to start (after `<!--`, which ends in `-`, and at a rule's start), it is
# checked without looking back.
_URL_AHEAD = r"url\((?=[ \t\n]*[^ \t\n\"'])"
_URL = rf"(?<![A-Za-z0-9_\-#@\\\u0080-\U0010FFFF]){_URL_AHEAD}"
_URL_AT_TOKEN_START = re.compile(_URL_AHEAD, re.IGNORECASE)
_STEP = re.compile(
    rf"(?P<comment>/\*)|(?P<string>[\"'])|(?P<escape>\\)|(?P<cdo><!--)|(?P<url>{_URL})"
    r"|(?P<open>[{(\[])|(?P<close>[})\]])",
    re.IGNORECASE,
)
_STEP_OR_SEMICOLON = re.compile(_STEP.pattern + r"|(?P<semicolon>;)", re.IGNORECASE)
_BLANK = re.compile(r"(?:[ \t\n]++|/\*[\s\S]*?(?:\*/|\Z))*+")
_TOP_BLANK = re.compile(r"(?:[ \t\n]++|/\*[\s\S]*?(?:\*/|\Z)|<!--|-->)*+")
_STRING_BODY = {
    quote: re.compile(rf"(?:[^{quote}\\\n]|\\(?:[0-9A-Fa-f]{{1,6}}[ \t\n]?|[\s\S])?)*+")
    for quote in "\"'"
}
_URL_BODY = re.compile(
    r"[ \t\n]*+(?:[^)\\ \t\n\"'(\x00-\x08\x0b\x0e-\x1f\x7f]"
    r"|\\(?:[0-9A-Fa-f]{1,6}[ \t\n]?|[^\n])?)*+"
)
_BAD_URL_REST = re.compile(r"(?:\\\)|[^)])*+\)?")
_SPACES = re.compile(r"[ \t\n]*")
_CLOSER = {"{": "}", "(": ")", "[": "]"}

# The fast path. Most of a stylesheet is simple, balanced material: rules whose
# preludes and blocks hold no string with an escape or a newline, no unclosed
# comment, no `@`, and brackets at most three deep with no `url(` token whose
# content could be read two ways. One possessive regular expression skips a run of
# it in C; whatever it stops at is read step by step above. An escape is taken with
# the rest of its identifier, and neither a `u` nor a `<!--` is taken alone where
# `url(` follows, so the step after a skip judges a `url(` by the token that truly
# precedes it.
_SIMPLE_ESCAPE = rf"\\(?:[0-9A-Fa-f]{{1,6}}[ \t\n]?|[^\n0-9A-Fa-f])(?:{_NAME}|{_ESCAPE})*+"
_COMMENT = r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/"
_ATOM = (
    rf"[^{{}}()\[\]\"'\\/@uU<]++|[uU](?![rR][lL]\()|<(?!!--[uU][rR][lL]\()|/(?!\*)"
    rf"|{_SIMPLE_ESCAPE}|{_COMMENT}"
    r"|\"[^\"\\\n]*\"|'[^'\\\n]*'"
)
_URL_GROUP = r"url\([^()\"'\\{}\[\]]*\)"
_INNER_PARENS = rf"(?<!url)\((?:{_URL_GROUP}|{_ATOM})*+\)"
_PARENS = rf"(?<!url)\((?:{_URL_GROUP}|{_INNER_PARENS}|{_ATOM})*+\)"
_GROUP = rf"{_URL_GROUP}|{_PARENS}|\[(?:{_ATOM})*+\]|{_ATOM}"
_BRACES = rf"\{{(?:{_GROUP})*+\}}"
_SIMPLE = re.compile(rf"(?:{_GROUP}|{_BRACES})*+", re.IGNORECASE)
_SIMPLE_RULES = re.compile(rf"(?:(?:[ \t\n]|{_COMMENT})*+(?:{_GROUP})*+{_BRACES})*+", re.IGNORECASE)
_ESCAPED_URL_LETTER = re.compile(r"\\(?:[uUrRlL]|0{0,4}(?:[57][25]|[46][cC])(?![0-9a-fA-F]))")
_RANGE_THEN_URL = re.compile(r"\+[0-9a-fA-F?\-]*[uU][rR][lL]\(")


class TooCostly(Exception):
    """The stylesheet takes longer to scan than its deadline allows, or nests too deep."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One at-rule: its keyword (unescaped, lower case), where it starts and stops,
    and where its ``{}`` block's content starts and stops, if it has one."""

    keyword: str
    start: int
    stop: int
    block: tuple[int, int] | None


def normalise(text: str) -> str:
    """The text as tinycss2 reads it: one kind of newline, no NUL."""
    return (
        text.replace("\0", "\ufffd").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    )


def unsure(text: str) -> bool:
    """Whether the text has a spelling that :class:`Scanner` might read otherwise
    than tinycss2 (see the module's documentation)."""
    if "\\" in text and _ESCAPED_URL_LETTER.search(text):
        return True
    # A unicode-range (`u+...`) glued to `url(`; conservatively, any `+` that is.
    return "+" in text and _RANGE_THEN_URL.search(text) is not None


class Scanner:
    """The at-rules of a normalised stylesheet's rule lists."""

    def __init__(self, text: str, deadline: float) -> None:
        self.text = text
        self.deadline = deadline  # in time.thread_time()
        self._steps = 0

    def at_rules(self, start: int, end: int, top: bool) -> Iterator[Rule]:
        """The at-rules of the rule list in ``text[start:end]``, in order; ``top``:
        the stylesheet itself (where ``<!--`` and ``-->`` are skipped)."""
        blank = _TOP_BLANK if top else _BLANK
        pos = start
        while True:
            pos = self._skip(_SIMPLE_RULES, pos, end)
            pos = blank.match(self.text, pos, end).end()  # type: ignore[union-attr]
            if pos >= end:
                return
            keyword = _AT_KEYWORD.match(self.text, pos, end)
            if keyword is None:
                pos = self._qualified_rule_end(pos, end)
                continue
            stop, block = self._at_rule_end(keyword.end(), end)
            yield Rule(_lower_keyword(keyword.group(1)), pos, stop, block)
            pos = stop

    def _qualified_rule_end(self, pos: int, end: int) -> int:
        url = _URL_AT_TOKEN_START.match(self.text, pos, end)
        if url is not None:
            pos = _url_end(self.text, url.end(), end)
        while True:
            step = self._next(_STEP, pos, end)
            if step is None:
                return end
            if step.lastgroup != "open":
                pos = self._past(step, end)
                continue
            pos, _closed = self._block_end(step.end(), end, step.group())
            if step.group() == "{":
                return pos

    def _at_rule_end(self, pos: int, end: int) -> tuple[int, tuple[int, int] | None]:
        while True:
            step = self._next(_STEP_OR_SEMICOLON, pos, end)
            if step is None:
                return end, None
            if step.lastgroup == "semicolon":
                return step.end(), None
            if step.lastgroup == "open":
                pos, closed = self._block_end(step.end(), end, step.group())
                if step.group() == "{":
                    return pos, (step.end(), pos - 1 if closed else pos)
            else:
                pos = self._past(step, end)

    def _block_end(self, pos: int, end: int, opener: str) -> tuple[int, bool]:
        """Where the block opened just before ``pos`` ends, and whether a bracket
        closed it (else the text ended first)."""
        expected = [_CLOSER[opener]]
        while expected:
            pos = self._skip(_SIMPLE, pos, end)
            step = self._next(_STEP, pos, end)
            if step is None:
                return end, False
            if step.lastgroup == "open":
                expected.append(_CLOSER[step.group()])
                if len(expected) > MAX_BRACKET_DEPTH:
                    raise TooCostly(f"brackets nested over {MAX_BRACKET_DEPTH} deep")
                pos = step.end()
            elif step.lastgroup == "close":
                if step.group() == expected[-1]:  # any other closer is a stray token
                    expected.pop()
                pos = step.end()
            else:
                pos = self._past(step, end)
        return pos, True

    def _skip(self, simple: re.Pattern[str], pos: int, end: int) -> int:
        """Past the simple material at ``pos``. The match runs over windows of about
        :data:`_WINDOW` characters, each ending just after a ``}`` (where a token
        starts, and where the fast path may stop): the regular expression module
        holds the GIL for a whole match, and the event loop's thread waits for it."""
        while True:
            stop = _window_end(self.text, pos, end)
            reached = simple.match(self.text, pos, stop).end()  # type: ignore[union-attr]
            if reached < stop or stop >= end:
                return reached
            self.check_deadline()
            pos = reached

    def check_deadline(self) -> None:
        if time.thread_time() > self.deadline:
            raise TooCostly("reading it took longer than its CPU budget")

    def _next(self, pattern: re.Pattern[str], pos: int, end: int) -> re.Match[str] | None:
        self._steps += 1
        if self._steps % _STEPS_BETWEEN_CLOCK_READS == 0:
            self.check_deadline()
        return pattern.search(self.text, pos, end)

    def _past(self, step: re.Match[str], end: int) -> int:
        """Where the token that ``step`` starts ends: a stray closing bracket (one
        that closes no block) is a token of its own."""
        text, kind = self.text, step.lastgroup
        if kind == "close":
            return step.end()
        if kind == "comment":
            close = text.find("*/", step.end(), end)
            return end if close == -1 else close + 2
        if kind == "string":
            pos = _STRING_BODY[step.group()].match(text, step.end(), end).end()  # type: ignore[union-attr]
            # A newline ends a bad string and is not part of it.
            return pos + 1 if pos < end and text[pos] == step.group() else pos
        if kind == "escape":
            return _ESCAPED_NAME.match(text, step.start(), end).end()  # type: ignore[union-attr]
        if kind == "cdo":
            url = _URL_AT_TOKEN_START.match(text, step.end(), end)
            return step.end() if url is None else _url_end(text, url.end(), end)
        return _url_end(text, step.end(), end)


def _window_end(text: str, pos: int, end: int) -> int:
    """Just after the first ``}`` (not an escaped one) past ``pos + _WINDOW``."""
    brace = text.find("}", pos + _WINDOW, end)
    while brace > 0 and text[brace - 1] == "\\":
        brace = text.find("}", brace + 1, end)
    return end if brace == -1 else brace + 1


def _url_end(text: str, pos: int, end: int) -> int:
    """Where an unquoted url token whose ``(`` ends at ``pos`` ends."""
    pos = _URL_BODY.match(text, pos, end).end()  # type: ignore[union-attr]
    if pos < end and text[pos] in " \t\n":
        pos = _SPACES.match(text, pos, end).end()  # type: ignore[union-attr]
        if pos >= end or text[pos] == ")":
            return min(pos + 1, end)
    elif pos >= end or text[pos] == ")":
        return min(pos + 1, end)
    else:
        pos += 1  # a quote, a bracket or a control character: a bad url
    return _BAD_URL_REST.match(text, pos, end).end()  # type: ignore[union-attr]


def _lower_keyword(name: str) -> str:
    if "\\" in name:
        token = tinycss2.parse_component_value_list("@" + name)[0]
        return str(token.lower_value)
    # tinycss2 lowers ASCII letters only; no keyword read here has any other.
    return name.lower() if name.isascii() else name
