"""Settled routes: most of their pages skip learning, and they still follow changes.

A route whose looked-at pages left its entry unchanged :data:`LOOKS_TO_SETTLE` times
in a row reads one page in :data:`LOOK_EVERY` for links. These tests count those
reads through discovery (each looked-at page of the theme route is discovered) and
show that a changed stylesheet name is followed within ``LOOK_EVERY`` pages, and at
once after a deploy (a new manifest) or a settings change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import override_settings

from h2push.django_layer import discovery, settled
from h2push.django_layer.learning import MemoryStore, get_store
from h2push.django_layer.settled import LOOK_EVERY, LOOKS_TO_SETTLE
from h2push.testing import H2TestClient
from tests.support import failing_caches

pytestmark = pytest.mark.usefixtures("fresh_store")

# ms=0: the view answers at once (its default is a slow one).
LIGHT = "/discovery/theme/?theme=light&ms=0"
DARK = "/discovery/theme/?theme=dark&ms=0"
LIGHT_CSS = "/static/css/theme-light.css"
DARK_CSS = "/static/css/theme-dark.css"
SCRIPT = "/static/js/app.js"
# Two pages to agree, then LOOKS_TO_SETTLE looked-at pages that change nothing.
PAGES_TO_SETTLE = 2 + LOOKS_TO_SETTLE


class Reads:
    """Counts the pages discovery reads (each looked-at page of the theme route)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = discovery.discover

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(discovery, "discover", counted)

    def during(self, pages: Callable[[], object]) -> int:
        before = self.count
        pages()
        return self.count - before


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    return Reads(monkeypatch)


class Pages:
    """One client's pages (building a client sets Django up again: one per test)."""

    def __init__(self) -> None:
        self.client = H2TestClient()

    def hinted(self, path: str) -> set[str]:
        """The URLs the 103 of one page of ``path`` hints."""
        self.client.clear()
        response = self.client.get(path)
        assert response.status == 200
        return {link.split(">")[0][1:] for hint in self.client.early_hints for link in hint}

    def visit(self, path: str, times: int) -> list[set[str]]:
        return [self.hinted(path) for _ in range(times)]

    def settle(self) -> None:
        assert self.visit(LIGHT, PAGES_TO_SETTLE)[-1] == {LIGHT_CSS, SCRIPT}


@pytest.fixture
def pages() -> Pages:
    return Pages()


def test_a_settled_route_reads_one_page_in_look_every(reads: Reads, pages: Pages) -> None:
    assert reads.during(pages.settle) == PAGES_TO_SETTLE
    seen: list[set[str]] = []
    assert reads.during(lambda: seen.extend(pages.visit(LIGHT, 2 * LOOK_EVERY))) == 2
    # The pages not read are hinted what the route settled on, as before.
    assert all(page == {LIGHT_CSS, SCRIPT} for page in seen)


def test_an_unsettled_route_reads_every_page(reads: Reads, pages: Pages) -> None:
    # Two light pages, two dark ones, and so on: what the route's last two pages
    # agree on changes with every page, so it never settles and every page is read.
    themes = [LIGHT, LIGHT, DARK, DARK] * (LOOK_EVERY // 4)
    assert reads.during(lambda: [pages.hinted(path) for path in themes]) == len(themes)


def test_a_route_whose_pages_differ_settles_on_what_they_share(reads: Reads, pages: Pages) -> None:
    # Light and dark in turn: the pages agree on the script alone, page after page.
    themes = [LIGHT, DARK] * LOOK_EVERY
    seen: list[set[str]] = []
    read = reads.during(lambda: seen.extend(pages.hinted(path) for path in themes))
    assert read < len(themes) // 4
    other = [(number, page) for number, page in enumerate(seen) if page != {SCRIPT}]
    assert other == [(0, set()), (1, set())]


def test_a_changed_stylesheet_name_is_followed_within_look_every_pages(pages: Pages) -> None:
    pages.settle()
    seen = pages.visit(DARK, LOOK_EVERY + 2)
    # Until its next look the route hints what it settled on; that look reads a dark
    # page, the old name goes at once, and two dark pages agree on the new one.
    stale = next(number for number, page in enumerate(seen) if LIGHT_CSS not in page)
    assert stale <= LOOK_EVERY
    assert seen[stale] == {SCRIPT}
    assert all(page == {DARK_CSS, SCRIPT} for page in seen[stale + 1 :])
    assert stale + 1 < len(seen)


def test_a_page_that_disagrees_unsettles_the_route_at_once(reads: Reads, pages: Pages) -> None:
    pages.settle()
    # Within LOOK_EVERY dark pages one is read ...
    for _ in range(LOOK_EVERY):
        if reads.during(lambda: pages.hinted(DARK)):
            break
    else:
        raise AssertionError(f"no page read in {LOOK_EVERY}")
    # ... and from then on every page is, until the route settles again.
    assert reads.during(lambda: pages.visit(DARK, LOOKS_TO_SETTLE)) == LOOKS_TO_SETTLE


def test_a_look_that_falls_on_a_page_that_cannot_teach_is_taken_by_the_next(
    reads: Reads, pages: Pages
) -> None:
    pages.settle()
    # HEAD requests are counted as pages of the route but never read for links.
    for _ in range(LOOK_EVERY):
        assert pages.client.head(LIGHT).status == 200
    assert reads.during(lambda: pages.hinted(LIGHT)) == 1
    assert reads.during(lambda: pages.hinted(LIGHT)) == 0


def test_a_settings_change_makes_the_next_page_read(reads: Reads, pages: Pages) -> None:
    pages.settle()
    assert reads.during(lambda: pages.hinted(LIGHT)) == 0
    with override_settings(H2PUSH_MAX_PRELOADS=10):
        assert reads.during(lambda: pages.hinted(LIGHT)) == 1


def test_another_process_changing_the_shared_entry_is_seen_within_look_every_pages(
    pages: Pages,
) -> None:
    pages.settle()
    store = get_store()
    assert isinstance(store, MemoryStore)
    route = next(iter(store._routes))
    # What another worker sharing the store would write: only the script agreed.
    store.set_sync(route, ("</static/js/app.js>; rel=preload; as=script", "", "x"))
    seen = pages.visit(LIGHT, LOOK_EVERY + 1)
    changed = next(number for number, page in enumerate(seen) if page != seen[0])
    assert changed <= LOOK_EVERY


def test_settled_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settled, "_MAX_ROUTES", 4)
    with override_settings(ALLOWED_HOSTS=["*"]):
        client = H2TestClient()
        for number in range(12):
            for _ in range(PAGES_TO_SETTLE):
                client.get(LIGHT, headers={"host": f"site{number}.example"})
            assert 0 < len(settled._routes) <= 4


def test_the_story_says_a_page_was_not_read(caplog: pytest.LogCaptureFixture, pages: Pages) -> None:
    pages.settle()
    with caplog.at_level(logging.DEBUG, logger="h2push"):
        # A told page sends what an untold one does.
        assert pages.hinted(LIGHT) == {LIGHT_CSS, SCRIPT}
    assert "settled route: page not read for links" in caplog.text


# ------------------------------------------------------------- a store outage


@pytest.fixture
def flaky_store() -> Iterator[None]:
    """The learned store is a cache that raises on every call while it is down."""
    failing_caches.reset(down=False)
    with override_settings(**failing_caches.learned_store("FlakyCache")):
        yield
    failing_caches.reset(down=False)


@pytest.mark.usefixtures("flaky_store")
def test_a_settled_route_meets_a_store_outage_at_its_next_look(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pages = Pages()
    pages.settle()
    failing_caches.OUTAGE.set()
    with caplog.at_level(logging.WARNING, logger="h2push"):
        seen = pages.visit(LIGHT, LOOK_EVERY + 4)
    # Until its look a settled route does not read the store: it hints what it
    # settled on. The look meets the outage, and no page after it is hinted.
    met = seen.index(set())
    assert 0 < met <= LOOK_EVERY
    assert seen == [{LIGHT_CSS, SCRIPT}] * met + [set()] * (len(seen) - met)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "learned store" in warnings[0].lower(), warnings
    # Every page reads the store again: the first one after the outage is hinted.
    failing_caches.OUTAGE.clear()
    assert pages.hinted(LIGHT) == {LIGHT_CSS, SCRIPT}


# ------------------------------------------------------------------ after a deploy


@pytest.fixture
def manifest_site(tmp_path: Path, settings: Any) -> Iterator[Path]:
    """A site whose static files are collected into a manifest, sources in a folder
    of the test's own first (a deploy changes a file there and collects again)."""
    sources = tmp_path / "sources"
    (sources / "css").mkdir(parents=True)
    settings.STATICFILES_DIRS = [sources, *settings.STATICFILES_DIRS]
    settings.STATIC_ROOT = tmp_path / "root"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    yield sources


def deploy(sources: Path, css: str) -> None:
    """A new version of the light stylesheet, collected, and its manifest loaded (what
    a worker started after the deploy reads)."""
    (sources / "css" / "theme-light.css").write_text(css)
    call_command("collectstatic", interactive=False, verbosity=0)
    storage: Any = staticfiles_storage
    storage.hashed_files, storage.manifest_hash = storage.load_manifest()


def test_a_new_manifest_makes_the_next_page_read(
    reads: Reads, manifest_site: Path, pages: Pages
) -> None:
    first = pages.visit(LIGHT, PAGES_TO_SETTLE)[-1]
    [old_css] = [url for url in first if url.startswith("/static/css/theme-light.")]
    assert reads.during(lambda: pages.hinted(LIGHT)) == 0  # settled
    deploy(manifest_site, "body { color: #123; }")
    seen: list[set[str]] = []
    assert reads.during(lambda: seen.extend(pages.visit(LIGHT, 3))) == 3
    # The first page after the deploy is read: the old name goes from the next one
    # on, and two pages agree on the new name.
    assert old_css not in seen[1] | seen[2]
    [new_css] = [url for url in seen[2] if url.startswith("/static/css/theme-light.")]
    assert new_css != old_css
