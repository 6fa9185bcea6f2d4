"""When discovery parses a page, and when it answers from what it found last time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test.signals import setting_changed

import h2push.django_layer.discovery
from h2push.django_layer import discovery
from h2push.django_layer.discovery import (
    MAX_PAGE_BYTES,
    MAX_ROUTES,
    MIN_RESPONSES_BETWEEN_PARSES,
    SAMPLE_EVERY,
    discover,
)
from h2push.django_layer.discovery.page import find_assets
from h2push.django_layer.preload import Preload

CSS = b'<link rel=stylesheet href="/static/a.css">'
OTHER = b'<link rel=stylesheet href="/static/b.css">'


class Spy:
    """Counts the parses, and lets each go on as usual."""

    def __init__(self, real: Callable[..., tuple[Preload, ...]]) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, *args: Any) -> tuple[Preload, ...]:
        self.calls += 1
        return self.real(*args)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    # discover() calls find_assets through its module's namespace.
    counter = Spy(find_assets)
    monkeypatch.setattr(h2push.django_layer.discovery, "find_assets", counter)
    return counter


def urls(found: tuple[Preload, ...]) -> list[str]:
    return [hint.url for hint in found]


def test_a_new_route_is_parsed_and_an_unchanged_page_is_not(spy: Spy) -> None:
    assert urls(discover("r", CSS, "utf-8", "/static/")) == ["/static/a.css"]
    for _ in range(SAMPLE_EVERY - 1):
        assert urls(discover("r", CSS, "utf-8", "/static/")) == ["/static/a.css"]
    assert spy.calls == 1
    discover("other-route", CSS, "utf-8", "/static/")
    assert spy.calls == 2


def test_a_changed_page_is_parsed_at_most_once_in_so_many_responses(spy: Spy) -> None:
    discover("r", CSS, "utf-8", "/static/")
    # A page with a CSRF token differs every time.
    results = [
        urls(discover("r", CSS + f"<input value={n}>".encode(), "utf-8", "/static/"))
        for n in range(5 * MIN_RESPONSES_BETWEEN_PARSES)
    ]
    assert spy.calls == 1 + 5
    assert all(result == ["/static/a.css"] for result in results)


def test_a_change_is_seen_within_the_budget(spy: Spy) -> None:
    discover("r", CSS, "utf-8", "/static/")
    discover("r", CSS + b"<p>another token</p>", "utf-8", "/static/")
    both = OTHER + CSS
    seen = [urls(discover("r", both, "utf-8", "/static/")) for _ in range(20)]
    # What the route's pages had in common until its budget allows a parse, then
    # the new page's own assets.
    changed_at = seen.index(["/static/b.css", "/static/a.css"])
    assert changed_at == MIN_RESPONSES_BETWEEN_PARSES - 1
    assert all(result == ["/static/a.css"] for result in seen[:changed_at])
    assert all(result == ["/static/b.css", "/static/a.css"] for result in seen[changed_at:])
    assert spy.calls == 3


def test_a_route_whose_pages_differ_hands_no_page_the_assets_of_another(spy: Spy) -> None:
    shared = b'<link rel=stylesheet href="/static/base.css">'
    article = shared + b'<script src="/static/article.js"></script>'
    gallery = shared + b'<script src="/static/gallery.js"></script>'
    assert urls(discover("cms", article, "utf-8", "/static/")) == [
        "/static/base.css",
        "/static/article.js",
    ]
    # The route's second distinct page is parsed: two pages tell what they share.
    assert urls(discover("cms", gallery, "utf-8", "/static/"))[1:] == ["/static/gallery.js"]
    assert spy.calls == 2
    # Known pages get their own assets, with no parse.
    for _ in range(3):
        assert urls(discover("cms", article, "utf-8", "/static/"))[1:] == ["/static/article.js"]
        assert urls(discover("cms", gallery, "utf-8", "/static/"))[1:] == ["/static/gallery.js"]
    # A page not parsed yet gets what the route's parsed pages share, no more.
    third = shared + b'<script src="/static/third.js"></script>'
    assert urls(discover("cms", third, "utf-8", "/static/")) == ["/static/base.css"]
    assert spy.calls == 2
    # Until the route's budget allows a parse.
    for _ in range(MIN_RESPONSES_BETWEEN_PARSES):
        discover("cms", third, "utf-8", "/static/")
    assert urls(discover("cms", third, "utf-8", "/static/"))[1:] == ["/static/third.js"]
    assert spy.calls == 3


def test_only_the_last_few_pages_of_a_route_are_remembered(spy: Spy) -> None:
    from h2push.django_layer.discovery.routes import PAGES_PER_ROUTE

    pages = [CSS + f"<p>{n}</p>".encode() for n in range(PAGES_PER_ROUTE + 1)]
    for content in pages:
        for _ in range(MIN_RESPONSES_BETWEEN_PARSES):
            discover("r", content, "utf-8", "/static/")
    assert spy.calls == PAGES_PER_ROUTE + 1
    for content in pages[1:]:
        discover("r", content, "utf-8", "/static/")
    assert spy.calls == PAGES_PER_ROUTE + 1
    for _ in range(MIN_RESPONSES_BETWEEN_PARSES):
        discover("r", pages[0], "utf-8", "/static/")
    assert spy.calls == PAGES_PER_ROUTE + 2  # forgotten, so parsed again


def test_every_route_is_sampled_whatever_its_fingerprint(spy: Spy) -> None:
    for _ in range(3 * SAMPLE_EVERY + 1):
        discover("r", CSS, "utf-8", "/static/")
    assert spy.calls == 1 + 3


def test_a_large_page_is_fingerprinted_by_its_edges(spy: Spy) -> None:
    edge = b" " * (20 * 1024)
    discover("r", CSS + edge + b"x" * (400 * 1024) + edge, "utf-8", "/static/")
    changed_middle = CSS + edge + b"y" * (400 * 1024) + edge
    for _ in range(SAMPLE_EVERY - 1):
        discover("r", changed_middle, "utf-8", "/static/")
    assert spy.calls == 1  # same length, same edges: seen only by the sample
    discover("r", changed_middle, "utf-8", "/static/")
    assert spy.calls == 2


def test_a_page_over_the_size_limit_is_never_parsed(spy: Spy) -> None:
    huge = CSS + b" " * MAX_PAGE_BYTES
    assert discover("r", huge, "utf-8", "/static/") == ()
    assert spy.calls == 0
    discover("r", CSS, "utf-8", "/static/")
    assert discover("r", huge, "utf-8", "/static/") == ()


def test_a_new_static_url_is_a_new_route(spy: Spy) -> None:
    discover("r", CSS, "utf-8", "/static/")
    assert discover("r", CSS, "utf-8", "/assets/") == ()
    assert spy.calls == 2


def test_the_routes_remembered_are_bounded(spy: Spy) -> None:
    for n in range(MAX_ROUTES + 1):
        discover(f"r{n}", CSS, "utf-8", "/static/")
    assert len(h2push.django_layer.discovery._memory) == MAX_ROUTES
    discover("r1", CSS, "utf-8", "/static/")
    assert spy.calls == MAX_ROUTES + 1  # still known
    discover("r0", CSS, "utf-8", "/static/")
    assert spy.calls == MAX_ROUTES + 2  # the least recently used was forgotten


def test_forget_and_static_settings_changes_start_again(spy: Spy, settings: Any) -> None:
    discover("r", CSS, "utf-8", "/static/")
    discovery.forget()
    discover("r", CSS, "utf-8", "/static/")
    assert spy.calls == 2
    settings.STATICFILES_DIRS = []
    discover("r", CSS, "utf-8", "/static/")
    assert spy.calls == 3
    setting_changed.send(sender=None, setting="USE_TZ", value=True, enter=True)
    discover("r", CSS, "utf-8", "/static/")
    assert spy.calls == 3


def test_a_failing_parse_finds_nothing_and_warns_once_per_cause(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any) -> tuple[Preload, ...]:
        raise RuntimeError("the parser broke")

    monkeypatch.setattr(h2push.django_layer.discovery, "find_assets", broken)
    with caplog.at_level(logging.WARNING, logger="h2push"):
        for n in range(3):
            assert discover(f"r{n}", CSS, "utf-8", "/static/") == ()
    warnings = [record for record in caplog.records if record.name == "h2push"]
    assert len(warnings) == 1
    assert "RuntimeError: the parser broke" in warnings[0].getMessage()
    # What failed is remembered as nothing, within the same budget.
    monkeypatch.setattr(h2push.django_layer.discovery, "find_assets", Spy(broken))
    assert discover("r0", CSS, "utf-8", "/static/") == ()


def test_an_unreadable_stylesheet_costs_its_fonts_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Any, settings: Any
) -> None:
    (tmp_path / "site.css").write_text("@font-face{font-family:A;src:url(a.woff2)}")
    settings.STATICFILES_DIRS = [tmp_path]
    real_open = open

    def failing_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("site.css"):
            raise PermissionError("permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    page = b'<link rel=stylesheet href="/static/site.css"><script src="/static/a.js"></script>'
    with caplog.at_level(logging.WARNING, logger="h2push"):
        found = discover("r", page, "utf-8", "/static/")
        discover("r2", page, "utf-8", "/static/")
    assert urls(found) == ["/static/site.css", "/static/a.js"]
    messages = [record.getMessage() for record in caplog.records if record.name == "h2push"]
    assert len(messages) == 1 and "reading a stylesheet" in messages[0]


def test_the_charset_is_asked_for_only_when_the_page_is_parsed(spy: Spy) -> None:
    asked: list[int] = []

    def charset() -> str:
        asked.append(1)
        return "utf-8"

    for _ in range(5):
        assert urls(discover("charset-route", CSS, charset, "/static/")) == ["/static/a.css"]
    assert spy.calls == 1 and len(asked) == 1
