"""Issue 10, the Django layer: what one request, a dead store or a wrong setting can do
to the pages other visitors get.

The views of :mod:`tests.support.apps.early_urls` register whatever static name the
query string gives (``?s=``) or a URL as given (``?u=``): the attacker's view of the
issue. Each test here failed on the code before the hardening (4b24467).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIHandler
from django.test import override_settings

from h2push.core.linkheader import parse_link, split_links
from h2push.django_layer.checks import check_settings
from h2push.django_layer.learning import MemoryStore, get_store, get_view_times
from h2push.testing import H2TestClient, H2TestResponse
from harness.constants import EARLY_URLS
from harness.processes import find_free_port
from tests.support import failing_caches

pytestmark = pytest.mark.urls(EARLY_URLS)

STATIC_DIR = Path(settings.BASE_DIR) / "testproject" / "static"
CSS_PATH = "/static/css/base.css"
JS_PATH = "/static/js/app.js"
CSS = f"<{CSS_PATH}>; rel=preload; as=style"
JS = f"<{JS_PATH}>; rel=preload; as=script"
URL_LIMIT = 2048


@pytest.fixture(autouse=True)
def _fresh_learning() -> Iterator[None]:
    # What one test's pages taught, or timed, must not reach another test.
    get_store.cache_clear()
    get_view_times.cache_clear()
    yield
    get_store.cache_clear()
    get_view_times.cache_clear()


def visit(path: str, *, status: int = 200, **client: Any) -> H2TestClient:
    """One GET of ``path`` from a new visitor (a new connection); its client."""
    h2 = H2TestClient(**client)
    response = h2.get(path)
    assert response.status == status, response.content[:300]
    return h2


def hinted_urls(client: H2TestClient) -> list[str]:
    links = [parse_link(value) for hint in client.early_hints for value in hint]
    return [link.url for link in links if link is not None]


def linked_urls(response: H2TestResponse) -> list[str]:
    values = [v for header in response.header_values("link") for v in split_links(header)]
    links = [parse_link(value) for value in values]
    return [link.url for link in links if link is not None and link.is_preload]


def pushed_paths(client: H2TestClient) -> list[str]:
    return [path for path, _ in client.push_promises]


def learn_query(*names: str) -> str:
    return "/early/learn/?" + urlencode([("s", name) for name in names])


# --- 1. a URL over the limit ------------------------------------------------------------


def real_static_name(root: Path, url_length: int, letter: str) -> str:
    """Make a file under ``root`` whose URL (``/static/<name>``) has ``url_length``
    characters, in folders short enough for the file system; its static name."""
    room = url_length - len("/static/") - len(".css")
    folders = []
    while room > 200:
        folders.append(letter * 150)
        room -= 151
    name = "/".join([*folders, letter * room + ".css"])
    assert len(f"/static/{name}") == url_length
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text("p { color: red }\n")
    return name


def test_a_preload_url_over_2048_characters_is_never_linked_pushed_or_learned(
    tmp_path: Path,
) -> None:
    """Both names are real files (so only the length can keep one out); pages that
    register them agree twice, so the route may learn them."""
    extra = tmp_path / "static"
    too_long = "/static/" + real_static_name(extra, URL_LIMIT + 1, "x")
    at_limit = "/static/" + real_static_name(extra, URL_LIMIT, "y")
    page_path = learn_query("css/base.css", too_long[8:], at_limit[8:])
    with override_settings(STATICFILES_DIRS=[STATIC_DIR, extra]):
        for _ in range(2):
            client = H2TestClient()
            page = client.get(page_path)
            assert page.status == 200
            assert too_long not in linked_urls(page)
            assert at_limit in linked_urls(page)
            assert too_long not in pushed_paths(client)
            assert at_limit in pushed_paths(client)
            assert too_long not in hinted_urls(client)
        visitor = visit("/early/learn/")
    assert sorted(hinted_urls(visitor)) == sorted([CSS_PATH, at_limit])


# --- 2. learning needs a real file and agreement ---------------------------------------


def test_a_static_url_that_names_no_file_is_never_hinted() -> None:
    teach = learn_query("css/base.css", "css/nope-does-not-exist.css")
    for _ in range(3):
        visit(teach)
    assert hinted_urls(visit("/early/learn/")) == [CSS_PATH]


def test_one_page_does_not_decide_the_next_visitors_103() -> None:
    # Declared links are the view's own word: hinted from the very first request.
    assert visit("/early/declared/").early_hints == [[CSS, JS]]

    assert visit(learn_query("css/base.css")).early_hints == []
    # One page registered it: not enough to hint it to the next visitor.
    assert visit(learn_query("css/base.css")).early_hints == []
    # Two pages in a row agreed: the third visitor is hinted it.
    assert visit("/early/learn/").early_hints == [[CSS]]


def test_only_links_two_consecutive_pages_both_had_are_hinted() -> None:
    visit(learn_query("css/base.css", "img/logo.png"))
    visit(learn_query("css/base.css", "js/app.js"))
    hinted = hinted_urls(visit("/early/learn/"))
    assert set(hinted) <= {CSS_PATH}, hinted


# --- 3. a failing or slow learned store --------------------------------------------------


def redis_nobody_listens_on() -> dict[str, Any]:
    port = find_free_port()
    return failing_caches.learned_store(
        "django.core.cache.backends.redis.RedisCache", f"redis://127.0.0.1:{port}/0"
    )


def flaky_cache() -> dict[str, Any]:
    return failing_caches.learned_store("FlakyCache")


def h2push_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    records = [r for r in caplog.records if r.name.split(".")[0] == "h2push"]
    return [r.levelname for r in records if r.levelno >= logging.WARNING]


@pytest.fixture
def outage() -> Iterator[None]:
    failing_caches.reset(down=True)
    yield
    failing_caches.reset(down=False)


@pytest.mark.parametrize("store", [flaky_cache, redis_nobody_listens_on], ids=["raises", "redis"])
@pytest.mark.usefixtures("outage")
def test_a_failing_learned_store_never_fails_a_page(
    store: Callable[[], dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    pages = [learn_query("css/base.css")] * 4 + ["/early/learn/", "/early/learn/7/"]
    with override_settings(**store()):
        learned_pages = [visit(path) for path in pages]
        visit("/early/declared/")
    assert [client.early_hints for client in learned_pages] == [[]] * len(pages)
    assert h2push_warnings(caplog) == ["WARNING"], caplog.text


def timed_visit(path: str) -> tuple[float, H2TestClient]:
    client = H2TestClient()
    # Django's first request loads the URLconf and more; a POST reads no store.
    assert client.post("/early/learn/").status == 200
    started = time.monotonic()
    response = client.get(path)
    elapsed = time.monotonic() - started
    assert response.status == 200
    return elapsed, client


def test_a_slow_learned_store_delays_the_page_by_the_bounded_wait_only() -> None:
    failing_caches.reset(down=False)
    with override_settings(**failing_caches.learned_store("SlowCache")):
        elapsed, client = timed_visit(learn_query("css/base.css"))
    # The store answers after 2 s; the default wait is 100 ms.
    assert elapsed < 1.0
    assert client.early_hints == []


def test_the_bounded_wait_is_the_learn_timeout_setting() -> None:
    failing_caches.reset(down=False)
    store = failing_caches.learned_store("SlowCache")
    with override_settings(**store, H2PUSH_LEARN_TIMEOUT_MS=700):
        elapsed, client = timed_visit(learn_query("css/base.css"))
    # The store got its 700 ms, and the page did not wait for its 2 s.
    assert 0.6 <= elapsed < 1.5
    assert client.early_hints == []


@pytest.mark.usefixtures("outage")
def test_hints_resume_when_the_store_works_again() -> None:
    with override_settings(**flaky_cache()):
        for _ in range(3):
            assert visit(learn_query("css/base.css")).early_hints == []
        failing_caches.OUTAGE.clear()
        deadline = time.monotonic() + 10.0
        hinted: list[str] = []
        while not hinted and time.monotonic() < deadline:
            hinted = hinted_urls(visit(learn_query("css/base.css")))
            time.sleep(0.05)
    assert hinted == [CSS_PATH]


# --- 5. Host variants ---------------------------------------------------------------------


def memory_store() -> MemoryStore:
    store = get_store()
    assert isinstance(store, MemoryStore)
    return store


def visit_with_port_variants(path: str, count: int = 600) -> None:
    """``path`` with Host ``localhost:1`` ... ``localhost:<count>``: each accepted, as
    ALLOWED_HOSTS names ``localhost`` and Django ignores the port."""
    client = H2TestClient(host="localhost")
    for port in range(1, count + 1):
        response = client.get(path, headers={"host": f"localhost:{port}"})
        assert response.status == 200, (port, response.content[:200])


@override_settings(H2PUSH_LEARNED_ROUTES=5)
def test_host_variants_of_one_route_keep_one_learned_entry() -> None:
    for user in ("alice", "bob"):
        visit(f"/early/private/{user}/", host="localhost")
    assert visit("/early/private/carol/", host="localhost").early_hints == [[CSS, JS]]

    visit_with_port_variants(learn_query("css/base.css"))
    # One entry for the private route, one for the route of the 600 variants.
    assert len(memory_store()) == 2
    assert visit("/early/private/dave/", host="localhost").early_hints == [[CSS, JS]]


@override_settings(H2PUSH_LEARNED_ROUTES=5, H2PUSH_EARLY_HINTS_MIN_VIEW_MS=60_000)
def test_host_variants_do_not_grow_the_view_times() -> None:
    """Every route is "fast" against a 60 s threshold once timed, so a 103 for a
    timed route shows that its time was forgotten."""
    assert visit("/early/declared/", host="localhost").early_hints == [[CSS, JS]]
    assert visit("/early/declared/", host="localhost").early_hints == []

    visit_with_port_variants("/early/learn/")
    assert visit("/early/declared/", host="localhost").early_hints == []


# --- 6. dot segments ----------------------------------------------------------------------


def has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path.split("?")[0]).split("/"))


@pytest.mark.parametrize(
    "url",
    [
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/%2E%2E/%2E%2E/etc/passwd",
        "/static/css/../../x",
        "/static/./css/base.css",
    ],
    ids=["encoded", "encoded-upper", "plain-dot-dot", "single-dot"],
)
def test_a_url_with_dot_segments_is_never_pushed_or_hinted(url: str) -> None:
    page_path = "/early/learn/?" + urlencode([("u", url), ("s", "css/base.css")])
    for _ in range(3):
        client = H2TestClient()
        page = client.get(page_path)
        assert page.status == 200
        assert [p for p in pushed_paths(client) if has_dot_segment(p)] == []
        assert [u for u in hinted_urls(client) if has_dot_segment(u)] == []
        assert {path: r.status for path, r in page.pushed.items() if r.status >= 500} == {}


# --- 7d. a wrong setting type fails the start, not every page ------------------------------


def _h2push_application() -> object:
    from h2push.asgi import get_asgi_application

    return get_asgi_application()


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [("H2PUSH_MAX_PRELOADS", "16", "h2push.E002"), ("H2PUSH_EARLY_HINTS", "yes", "h2push.E004")],
    ids=["max-preloads", "early-hints"],
)
@pytest.mark.parametrize(
    "build", [_h2push_application, ASGIHandler], ids=["h2push-asgi", "django-handler"]
)
def test_a_wrong_setting_type_stops_the_application_being_built(
    build: Callable[[], object], name: str, value: str, check_id: str
) -> None:
    """Plain ``hypercorn`` runs no system checks: the start is the one moment left
    to refuse the setting, once, with the check's message."""
    with override_settings(**{name: value}), pytest.raises(ImproperlyConfigured) as raised:
        build()
    assert check_id in str(raised.value)


# --- 7e. credentials are never copied into a promise ----------------------------------------


@pytest.mark.parametrize(
    "names",
    [["accept", "cookie"], ["authorization"], ["accept", "Cookie"], ["AUTHORIZATION"]],
    ids=["cookie", "authorization", "cookie-any-case", "authorization-any-case"],
)
def test_copying_cookie_or_authorization_fails_the_checks(names: list[str]) -> None:
    assert "h2push.E012" not in [message.id for message in check_settings()]
    with override_settings(H2PUSH_COPY_HEADERS=names):
        ids = [message.id for message in check_settings()]
    assert "h2push.E012" in ids
