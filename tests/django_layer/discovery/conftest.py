"""Fixtures for discovery: an empty memory per test, and a static folder of its own.

- ``fresh``: discovery's per-process memory (routes, stylesheets, warnings given),
  empty before and after the test, and no page left to read in the background
  after it. Used by every test here.
- ``static_dir``: a temporary folder that is the only ``STATICFILES_DIRS`` entry (and
  the only finder), with ``write(name, text_or_bytes)`` to put files in it.
- ``found``: runs :func:`h2push.django_layer.discovery.discover` on a page (text) for a new route
  and returns the ``Link`` values found, in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from h2push.django_layer import discovery

_routes = itertools.count()


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    discovery.forget()
    yield
    # A page still being read in the background would call the next test's spies.
    assert discovery.wait_for_background(30.0)
    discovery.forget()


class StaticDir:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        return path


@pytest.fixture
def static_dir(tmp_path: Path, settings: Any) -> StaticDir:
    root = tmp_path / "static-src"
    root.mkdir()
    settings.STATICFILES_DIRS = [root]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "static-root"
    settings.DEBUG = True
    return StaticDir(root)


Found = Callable[..., list[str]]


def links(
    html: str | bytes, static_url: str = "/static/", charset: str | None = "utf-8"
) -> list[str]:
    """The ``Link`` values discovered in ``html`` as a route never seen before."""
    content = html.encode() if isinstance(html, str) else html
    route = f"test-route-{next(_routes)}"
    return [hint.link_value() for hint in discovery.discover(route, content, charset, static_url)]


@pytest.fixture
def found() -> Found:
    return links
