"""End to end: what a page's HTML loads is hinted, with no h2push tag in the template.

The test project's discovery pages name their assets with ``{% static %}`` (or
Jinja2's ``static()``) only. ``manage.py runh2server`` serves them to the h2 probe,
a client that refuses push as browsers do (and, in one test, one that accepts it).

A route is hinted what two consecutive successful pages of it agreed on (issue 10),
so the issue's "hinted from the second visit" is the third visit here: the first two
teach, and neither gets a 103. On the third:

- the ``{% static %}``-only page gets ONE 103 naming its stylesheet, its classic
  script, its module script (``rel=modulepreload``) and the stylesheet's web font
  (``as=font; crossorigin; type=font/woff2``), each as the tag that uses it will ask
  for it, and never its image;
- so do the same page from a Jinja2 template, the page whose scripts come from a
  ``{% cache %}`` fragment (a cache hit renders no tag), and the page whose
  ``{% push_static %}`` sits in such a fragment (registered on the first visit only);
- a catch-all route (``cms/<path:slug>/``) whose pages alternate two templates is
  hinted only the stylesheet they share, never one template's script on the other;
- a page whose stylesheet changes name (``?theme=``, as a deploy changes a hashed
  name) stops being hinted the old name at once and is hinted the new one from the
  third page that has it.

Each test starts its own server: what a route learned stays in the server's memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.constants import STATIC_DIR
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory

pytestmark = pytest.mark.e2e

CSS = "</static/css/discovery.css>; rel=preload; as=style"
SCRIPT = "</static/js/app.js>; rel=preload; as=script"
MODULE = "</static/js/discovery-module.js>; rel=modulepreload"
FONT = "</static/fonts/h2push-pixel.woff2>; rel=preload; as=font; crossorigin; type=font/woff2"
PAGE_LINKS = {CSS, SCRIPT, MODULE, FONT}
IMAGE = "/static/img/logo.png"  # on every discovery page, never hinted

CMS_CSS = "</static/css/cms.css>; rel=preload; as=style"
ARTICLE_JS = "</static/js/cms-article.js>; rel=preload; as=script"
GALLERY_JS = "</static/js/cms-gallery.js>; rel=preload; as=script"
LIGHT = "</static/css/theme-light.css>; rel=preload; as=style"
DARK = "</static/css/theme-dark.css>; rel=preload; as=style"

# The views' pretend work: the 103 must reach the client well before the page.
VIEW_MS = 300
MARGIN_MS = VIEW_MS / 2
TIMEOUT = 15.0


@pytest.fixture
def server(h2server_factory: H2ServerFactory) -> Iterator[ServerProcess]:
    """A server that has learned nothing yet."""
    server = h2server_factory()
    yield server
    assert server.alive(), server.errors()


def connect(server: ServerProcess, *, enable_push: bool = False) -> H2Connection:
    return H2Connection(
        server.host, server.port, enable_push=enable_push, cafile=cafile(server), timeout=TIMEOUT
    )


def page(path: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}ms={VIEW_MS}"


def describe(exchange: Exchange) -> str:
    lines = [f"{exchange.method} {exchange.path} -> {exchange.status}"]
    lines += [f"{exchange.ms(e.at):8.1f} ms  {e.kind} {e.detail}" for e in exchange.events]
    lines += [f"  103: {hint.links}" for hint in exchange.early_hints]
    lines.append(f"  Link: {exchange.links}")
    return "\n".join(lines)


def hinted(exchange: Exchange) -> set[str]:
    """The links of the one 103 the exchange had (fails if it had another number)."""
    assert exchange.status == 200, describe(exchange)
    assert len(exchange.interim) == 1, describe(exchange)
    (hint,) = exchange.early_hints
    assert len(hint.links) == len(set(hint.links)), describe(exchange)
    # Sent while the view still worked, not with the page.
    page_at = next(e.at for e in exchange.events if e.kind == "headers")
    assert (page_at - hint.received_at) * 1000 >= MARGIN_MS, describe(exchange)
    return set(hint.links)


def final_links(exchange: Exchange) -> set[str]:
    return set(exchange.links)


def assert_not_hinted(exchange: Exchange) -> None:
    assert exchange.status == 200, describe(exchange)
    assert exchange.interim == [], describe(exchange)


def visits(server: ServerProcess, *paths: str, enable_push: bool = False) -> list[Exchange]:
    with connect(server, enable_push=enable_push) as conn:
        return [conn.request(page(path)) for path in paths]


def assert_hinted_files_are_served(server: ServerProcess, links: set[str]) -> None:
    """Each hinted URL names a real file of the project, served as it is."""
    with connect(server) as conn:
        for link in links:
            url = link[1 : link.index(">")]
            exchange = conn.request(url)
            assert exchange.status == 200, url
            assert exchange.body == (STATIC_DIR / url.removeprefix("/static/")).read_bytes()


# ------------------------------------------------------------------ a whole page


@pytest.mark.parametrize(
    "path",
    ["/discovery/", "/discovery/jinja2/", "/discovery/cached/", "/discovery/cached-tag/"],
    ids=["django-template", "jinja2", "cache-fragment", "push-static-in-cache-fragment"],
)
def test_third_visit_hints_what_the_html_loads(server: ServerProcess, path: str) -> None:
    first, second, third = visits(server, path, path, path)
    # Two pages teach; neither is hinted (nothing is declared, nothing agreed yet).
    assert_not_hinted(first)
    assert_not_hinted(second)
    assert hinted(third) == PAGE_LINKS, describe(third)
    assert not any(IMAGE in link for link in third.early_hints[0].links)
    # The final response carries them too (a CDN building 103s from it benefits).
    assert final_links(third) >= PAGE_LINKS, describe(third)
    assert_hinted_files_are_served(server, PAGE_LINKS)


def test_a_client_that_accepts_push_is_pushed_the_same_assets(server: ServerProcess) -> None:
    path = "/discovery/"
    *_, third = visits(server, path, path, path, enable_push=True)
    assert hinted(third) == PAGE_LINKS, describe(third)
    pushed = sorted(third.pushed_paths)
    assert pushed == sorted(link[1 : link.index(">")] for link in PAGE_LINKS), describe(third)
    for promise in third.promises:
        assert promise.status == 200, promise
        assert promise.body == (STATIC_DIR / promise.path.removeprefix("/static/")).read_bytes()
    assert third.promised_before_headers, describe(third)


def test_a_cache_hit_alone_would_have_taught_nothing(server: ServerProcess) -> None:
    """The control for the fragment pages: a cache hit renders no tag, so the
    second page registers nothing, and only the HTML can say it has the script."""
    first, second = visits(server, "/discovery/cached-tag/", "/discovery/cached-tag/")
    assert SCRIPT in final_links(first), describe(first)  # registered: a cache miss
    assert SCRIPT not in final_links(second), describe(second)  # a hit: no tag ran


# --------------------------------------------------------------- a catch-all route


def test_a_route_serving_two_templates_is_hinted_what_they_share(server: ServerProcess) -> None:
    article, gallery = "/cms/news/launch/", "/cms/gallery/summer/"
    exchanges = visits(server, article, gallery, article, gallery, article)
    assert_not_hinted(exchanges[0])
    assert_not_hinted(exchanges[1])
    for exchange in exchanges[2:]:
        # Only the shared stylesheet: never one template's script on the other's page.
        assert hinted(exchange) == {CMS_CSS}, describe(exchange)
        assert CMS_CSS in final_links(exchange), describe(exchange)
        assert not {ARTICLE_JS, GALLERY_JS} & final_links(exchange), describe(exchange)


# ---------------------------------------------------------- a changed asset name


def test_a_changed_stylesheet_name_is_followed(server: ServerProcess) -> None:
    light, dark = "/discovery/theme/?theme=light", "/discovery/theme/?theme=dark"
    exchanges = visits(server, light, light, light, dark, dark, dark)
    assert_not_hinted(exchanges[0])
    assert_not_hinted(exchanges[1])
    assert hinted(exchanges[2]) == {LIGHT, SCRIPT}
    # The first page with the new name is still hinted the old one: the hint leaves
    # before the view, and two pages agreed on it.
    assert hinted(exchanges[3]) == {LIGHT, SCRIPT}
    # From the next page on, the old name is never hinted again; the new one is
    # hinted once two pages had it.
    assert hinted(exchanges[4]) == {SCRIPT}
    assert hinted(exchanges[5]) == {DARK, SCRIPT}
