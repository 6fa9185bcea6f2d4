"""Pure functions for RFC 8288 ``Link`` header values.

Both layers use these: the Django layer to merge its preloads into a view's own
``Link`` header, the ASGI layer to read the preloads back out of the response.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Link", "join_links", "parse_link", "split_links"]


@dataclass(frozen=True, slots=True)
class Link:
    """One parsed link: its target and parameters (names lower-cased)."""

    url: str
    params: dict[str, str | None]

    @property
    def rels(self) -> frozenset[str]:
        return frozenset((self.params.get("rel") or "").lower().split())

    @property
    def is_preload(self) -> bool:
        return "preload" in self.rels

    @property
    def nopush(self) -> bool:
        return "nopush" in self.params


def split_links(header_value: str) -> Iterator[str]:
    """Split a ``Link`` header into its comma-separated values.

    Commas inside ``<...>`` or a quoted string do not separate values.
    """
    start = 0
    in_brackets = in_quotes = escaped = False
    for index, char in enumerate(header_value):
        if in_brackets:
            # Inside <...> only ">" means anything: quotes there belong to the URL.
            in_brackets = char != ">"
        elif escaped:
            escaped = False
        elif in_quotes:
            if char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == "<":
            in_brackets = True
        elif char == ",":
            value = header_value[start:index].strip()
            if value:
                yield value
            start = index + 1
    value = header_value[start:].strip()
    if value:
        yield value


def parse_link(value: str) -> Link | None:
    """Parse one link value; ``None`` where it is not ``<url>; params``."""
    value = value.strip()
    if not value.startswith("<"):
        return None
    end = value.find(">")
    if end < 0:
        return None
    params: dict[str, str | None] = {}
    for param in _split_params(value[end + 1 :]):
        name, sep, raw = param.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        # RFC 8288: only the first occurrence of a parameter counts.
        params.setdefault(name, raw if sep else None)
    return Link(value[1:end].strip(), params)


def _split_params(text: str) -> Iterator[str]:
    start = 0
    in_quotes = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and in_quotes:
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif char == ";" and not in_quotes:
            yield text[start:index]
            start = index + 1
    yield text[start:]


def join_links(values: Iterable[str]) -> str:
    """One ``Link`` header value from several link values."""
    return ", ".join(values)
