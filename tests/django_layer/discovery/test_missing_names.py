"""Issue 16, B: a ``{% static %}`` name that names no file is told, as a misspelt
``{% push_static %}`` name is, with ``DEBUG`` on, and costs nothing with it off.

The pages are the test project's own ``/discovery/`` templates, which name their
assets with ``{% static %}`` only. A misspelt name is made by renaming one of those
files in a copy of the test project's static folder: the template then names a file
that does not exist, exactly as a typo in the template would.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from h2push.core import caches
from h2push.core.story import Fate, Source
from h2push.django_layer import learning
from h2push.django_layer.preload import Preload
from h2push.testing import H2TestClient
from harness.constants import STATIC_DIR

PAGE = "/discovery/?ms=0"

STYLESHEET = "css/discovery.css"
SCRIPT = "js/app.js"
MODULE = "js/discovery-module.js"
FONT = "fonts/h2push-pixel.woff2"  # named by discovery.css's @font-face, not the HTML


def registered_warning(url: str) -> str:
    return (
        f"{url} is registered for preload but no static file has that name; "
        "it is left out of the Link header."
    )


def discovered_warning(url: str) -> str:
    return (
        f"{url} is loaded by the page but no static file has that name; "
        "it is left out of the Link header."
    )


@pytest.fixture(autouse=True)
def unreported() -> None:
    # Each missing URL is warned about once per process: this test's must be the first.
    caches.forget()


@pytest.fixture
def misspell(tmp_path: Path, settings: Any) -> Callable[[str], str]:
    """``misspell(name)``: the test project's static files, less ``name`` (renamed
    to something else), with ``DEBUG`` on; returns the URL the page still names."""
    root = tmp_path / "static"
    shutil.copytree(STATIC_DIR, root)
    settings.STATICFILES_DIRS = [root]
    # testproject is an installed app: its own static folder must not be searched.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.DEBUG = True

    def rename(name: str) -> str:
        (root / name).rename(root / f"{name}.renamed")
        return f"/static/{name}"

    return rename


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "h2push" and record.levelno >= logging.WARNING
    ]


def story_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "h2push" and record.getMessage().startswith("GET /discovery/")
    ]


@pytest.mark.parametrize("name", [STYLESHEET, SCRIPT, MODULE, FONT])
def test_a_misspelt_static_name_is_warned_about_once(
    name: str, misspell: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = misspell(name)
    client = Client()
    caplog.set_level(logging.DEBUG, logger="h2push")
    for _ in range(3):
        assert client.get(PAGE).status_code == 200
    assert warnings_of(caplog) == [discovered_warning(url)]
    lines = story_lines(caplog)
    assert len(lines) == 3
    for line in lines:
        assert f"{url} [{Source.DISCOVERED}: {Fate.MISSING_FILE}]" in line
    # The names that exist were learned as ever, and are in the next page's header.
    link = client.get(PAGE).headers["Link"]
    assert url not in link
    assert all(f"/static/{other}" in link for other in {STYLESHEET, SCRIPT, MODULE} - {name})


def test_the_warning_comes_through_the_http2_test_client_too(
    misspell: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = misspell(STYLESHEET)
    h2 = H2TestClient()
    caplog.set_level(logging.WARNING, logger="h2push")  # after the build, which set LOGGING
    for _ in range(3):
        assert h2.get(PAGE).status == 200
    assert warnings_of(caplog) == [discovered_warning(url)]
    assert url not in {path for path, _ in h2.push_promises}


def test_each_name_is_warned_about_once_across_routes(
    misspell: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = misspell(STYLESHEET)
    client = Client()
    caplog.set_level(logging.WARNING, logger="h2push")
    # The Django template's page and the Jinja2 one load the same stylesheet.
    for path in [PAGE, "/discovery/jinja2/?ms=0"] * 2:
        assert client.get(path).status_code == 200
    assert warnings_of(caplog) == [discovered_warning(url)]


def test_a_name_both_registered_and_in_the_html_is_warned_about_once(
    misspell: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    """``discovery/cached_tag.html`` names its script with ``{% push_static %}``
    inside a ``<script src>``: one mistake, one warning, whichever road saw it first."""
    url = misspell(SCRIPT)
    client = Client()
    caplog.set_level(logging.WARNING, logger="h2push")
    for _ in range(3):
        assert client.get("/discovery/cached-tag/?ms=0").status_code == 200
    assert len(warnings_of(caplog)) == 1
    assert warnings_of(caplog)[0] in (registered_warning(url), discovered_warning(url))


def test_with_debug_off_nothing_is_checked(
    misspell: Callable[[str], str],
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    misspell(STYLESHEET)
    settings.DEBUG = False
    asked: list[str] = []
    real = learning.names_missing_static_file

    def spy(preload: Preload) -> bool:
        asked.append(preload.url)
        return real(preload)

    monkeypatch.setattr(learning, "names_missing_static_file", spy)
    client = Client()
    caplog.set_level(logging.WARNING, logger="h2push")
    for _ in range(3):
        assert client.get(PAGE).status_code == 200
    assert asked == []
    assert warnings_of(caplog) == []


def test_existing_names_are_never_warned_about(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = True
    client = Client()
    caplog.set_level(logging.WARNING, logger="h2push")
    for _ in range(3):
        assert client.get(PAGE).status_code == 200
    assert warnings_of(caplog) == []
