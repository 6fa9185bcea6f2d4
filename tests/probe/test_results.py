"""h2push.probe.results: a 103 and the final response read their links the same way."""

from __future__ import annotations

import pytest

from h2push.probe.headers import HeaderList
from h2push.probe.results import Exchange, Interim

CSS = "</static/css/base.css>; rel=preload; as=style"
# A quoted comma is part of its value, not a separator.
FONT = '</static/f.woff2>; rel=preload; as=font; crossorigin; title="a, b"'


def exchange(headers: HeaderList) -> Exchange:
    return Exchange("GET", "/", 1, [], 200, headers, b"", [], [], [], [], 0.0, 0.0)


@pytest.mark.parametrize(
    "lines",
    [[f"{CSS}, {FONT}"], [CSS, FONT]],
    ids=["one-field", "two-fields"],
)
def test_links_are_values_and_link_fields_are_lines(lines: list[str]) -> None:
    headers: HeaderList = [("server", "test"), *(("link", line) for line in lines)]
    for result in (Interim(103, headers, 0.0), exchange(headers)):
        assert result.links == [CSS, FONT]
        assert result.link_fields == lines
