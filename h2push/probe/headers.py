"""Header lists as the probe keeps them: ``(name, value)`` pairs of text, names lowercase."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

__all__ = [
    "HeaderList",
    "HeadersArg",
    "decode_headers",
    "header_items",
    "joined",
    "split_status",
    "text",
    "values",
]

HeaderList: TypeAlias = list[tuple[str, str]]
HeadersArg: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]


def values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    """Every value of the field ``name``, in the order the lines came."""
    name = name.lower()
    return [value for key, value in headers if key == name]


def joined(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The field's values joined with ``", "`` (RFC 9110 section 5.3), or ``None``."""
    found = values(headers, name)
    return ", ".join(found) if found else None


def text(value: bytes | str) -> str:
    """A field name or value as text: UTF-8 when it decodes, else ISO-8859-1."""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        # Field values were ISO-8859-1 historically; decoding so never fails and
        # loses nothing, which matters more to a diagnostic than pretty text.
        return value.decode("latin-1")


def decode_headers(headers: Iterable[tuple[bytes | str, bytes | str]] | None) -> HeaderList:
    """The fields of an h2 event as text pairs."""
    return [(text(name), text(value)) for name, value in headers or ()]


def split_status(
    headers: Iterable[tuple[bytes | str, bytes | str]] | None,
) -> tuple[int, HeaderList]:
    """A response's ``:status`` and its other fields, from an h2 event's headers."""
    fields = decode_headers(headers)
    status = int(joined(fields, ":status") or 0)
    return status, [(name, value) for name, value in fields if name != ":status"]


def header_items(headers: HeadersArg | None) -> HeaderList:
    """Headers a caller passed (a mapping or pairs), names lowercased."""
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name).lower(), str(value)) for name, value in items]
