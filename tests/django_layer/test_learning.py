"""What h2push learns per route, what it never learns, and the stores that keep it."""

from __future__ import annotations

import asyncio
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from h2push.django_layer import learning
from h2push.django_layer.learning import CacheStore, MemoryStore, get_store
from h2push.testing import H2TestClient
from harness.constants import EARLY_URLS, STATIC_DIR
from tests.support.early_harness import request

pytestmark = [pytest.mark.urls(EARLY_URLS), pytest.mark.usefixtures("fresh_store")]

CSS = "</static/css/base.css>; rel=preload; as=style"
JS = "</static/js/app.js>; rel=preload; as=script"
LOGO = "</static/img/logo.png>; rel=preload; as=image"


def hints_of(path: str, status: int = 200, **client: Any) -> list[list[str]]:
    """The 103s a new connection gets for one GET of ``path``."""
    h2 = H2TestClient(**client)
    response = h2.get(path)
    assert response.status == status, response.content[:300]
    return h2.early_hints


def teach(path: str, **client: Any) -> None:
    """Two successful visits: a link is learned once two pages of a route agree."""
    for _ in range(2):
        hints_of(path, **client)


def memory_store() -> MemoryStore:
    store = get_store()
    assert isinstance(store, MemoryStore)
    return store


def cache_settings(alias: str = "h2push-learned") -> dict[str, Any]:
    return {
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            alias: {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                # A location of its own: no other test shares this cache.
                "LOCATION": f"h2push-test-{uuid.uuid4()}",
            },
        },
        "H2PUSH_LEARN_CACHE": alias,
    }


# --- what teaches and what does not -------------------------------------------------------


def test_successful_html_pages_teach_their_route() -> None:
    assert hints_of("/early/learn/?s=css/base.css&s=js/app.js") == []
    assert len(memory_store()) == 1
    # One page alone decides nothing for the next visitor...
    assert hints_of("/early/learn/?s=css/base.css&s=js/app.js") == []
    assert len(memory_store()) == 1
    # ...two that agree do.
    assert hints_of("/early/learn/") == [[CSS, JS]]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/early/redirect/", 302),
        ("/early/not-found/", 404),
        ("/early/boom/", 500),
        ("/early/json/", 200),
        ("/early/text/", 200),
        ("/early/learn/?status=302", 302),
        ("/early/learn/?status=404", 404),
        ("/early/learn/?raise=1", 500),
        ("/early/learn/?as=json", 200),
        ("/early/learn/?status=204", 204),
    ],
    ids=[
        "redirect",
        "not-found",
        "view-raises",
        "json",
        "text",
        "route-redirect",
        "route-404",
        "route-raises",
        "route-json",
        "route-204",
    ],
)
def test_nothing_is_learned_from_anything_but_an_html_200(path: str, status: int) -> None:
    separator = "&" if "?" in path else "?"
    client = H2TestClient()
    for _ in range(2):
        response = client.get(f"{path}{separator}s=css/base.css&s=js/app.js")
        assert response.status == status
    assert client.early_hints == []
    assert len(memory_store()) == 0
    # The route hints nothing on a later request either.
    assert hints_of(path, status) == []


@pytest.mark.parametrize("spoiler", ["status=302", "status=404", "raise=1", "as=json"], ids=str)
def test_a_failed_response_leaves_what_was_learned(spoiler: str) -> None:
    teach("/early/learn/?s=css/base.css")
    client = H2TestClient()
    spoiled = client.get(f"/early/learn/?{spoiler}&s=js/app.js")
    # Already hinted from what the route learned before...
    assert client.early_hints == [[CSS]]
    assert spoiled.status != 200 or spoiled.header("content-type") == "application/json"
    # ...and still the same afterwards: the failure taught nothing.
    assert hints_of("/early/learn/") == [[CSS]]


def test_a_head_request_teaches_nothing() -> None:
    H2TestClient().head("/early/learn/?s=css/base.css")
    assert len(memory_store()) == 0
    assert hints_of("/early/learn/") == []


def test_learning_off_hints_only_declared_links() -> None:
    with override_settings(H2PUSH_LEARN=False):
        hints_of("/early/learn/?s=css/base.css")
        assert hints_of("/early/learn/") == []
        assert hints_of("/early/declared/") == [[CSS, JS]]
        assert len(memory_store()) == 0


# --- learning replaces ------------------------------------------------------------------


def test_a_hashed_name_change_replaces_the_old_name(tmp_path: Path) -> None:
    old = "/static/css/base.3f2a9c1b.css"
    new = "/static/css/base.77e0d4aa.css"
    # Only existing files are learned: both names exist, as after two deploys.
    (tmp_path / "css").mkdir()
    for url in (old, new):
        (tmp_path / url.removeprefix("/static/")).write_text("body {}")
    with override_settings(STATICFILES_DIRS=[STATIC_DIR, tmp_path]):
        teach(f"/early/learn/?u={old}&s=js/app.js")
        assert hints_of(f"/early/learn/?u={new}&s=js/app.js") == [
            [JS, f"<{old}>; rel=preload; as=style"]
        ]
        # The old name is gone at once; the new one is hinted once two pages agree.
        assert hints_of(f"/early/learn/?u={new}&s=js/app.js") == [[JS]]
        client = H2TestClient()
        client.get(f"/early/learn/?u={new}&s=js/app.js")
    assert client.early_hints == [[JS, f"<{new}>; rel=preload; as=style"]]
    assert [path for path, _ in client.push_promises] == ["/static/js/app.js", new]


def test_a_dropped_asset_is_no_longer_hinted() -> None:
    teach("/early/learn/?s=css/base.css&s=js/app.js&s=img/logo.png")
    assert hints_of("/early/learn/?s=css/base.css&s=img/logo.png") == [[CSS, JS, LOGO]]
    assert hints_of("/early/learn/?s=css/base.css&s=img/logo.png") == [[CSS, LOGO]]


def test_a_page_that_stops_registering_static_files_stops_being_hinted() -> None:
    teach("/early/learn/?s=css/base.css")
    assert hints_of("/early/learn/") == [[CSS]]
    # That visit registered nothing: the route is forgotten.
    assert len(memory_store()) == 0
    client = H2TestClient()
    client.get("/early/learn/")
    assert client.early_hints == []
    assert client.push_promises == []


# --- the in-process store's bound -------------------------------------------------------


# Routes are keyed by the ALLOWED_HOSTS entry a host matched: forty entries, forty sites.
@override_settings(
    H2PUSH_LEARNED_ROUTES=3, ALLOWED_HOSTS=[f"site{number}.example" for number in range(40)]
)
def test_the_store_stays_bounded_over_many_routes_and_hosts() -> None:
    paths = ["/early/learn/", "/early/private/x/", "/early/declared/"]
    for number in range(40):
        teach(f"{paths[number % 3]}?s=css/base.css", host=f"site{number}.example")
        assert len(memory_store()) <= 3
    assert len(memory_store()) == 3
    # The most recent route is still known; an early one was forgotten.
    assert hints_of("/early/learn/", host="site39.example") == [[CSS]]
    assert hints_of("/early/learn/", host="site0.example") == []


@override_settings(H2PUSH_LEARNED_ROUTES=3, ALLOWED_HOSTS=[f"{name}.example" for name in "abcd"])
def test_the_store_forgets_the_least_recently_used_route_first() -> None:
    for name in "abc":
        teach("/early/learn/?s=css/base.css", host=f"{name}.example")
    # Reading a.example's route makes it recent: b.example is now the oldest.
    assert hints_of("/early/learn/?s=css/base.css", host="a.example") == [[CSS]]
    teach("/early/learn/?s=css/base.css", host="d.example")
    assert len(memory_store()) == 3
    assert hints_of("/early/learn/?s=css/base.css", host="a.example") == [[CSS]]
    assert hints_of("/early/learn/?s=css/base.css", host="c.example") == [[CSS]]
    assert hints_of("/early/learn/?s=css/base.css", host="d.example") == [[CSS]]
    assert hints_of("/early/learn/?s=css/base.css", host="b.example") == []


def test_memory_store_unit() -> None:
    store = MemoryStore(2)

    async def scenario() -> None:
        await store.set("r1", ("a",))
        await store.set("r2", ("b",))
        assert await store.get("r1") == ("a",)  # r1 is now the most recent
        await store.set("r3", ("c",))
        assert len(store) == 2
        assert await store.get("r2") == ()
        assert await store.get("r1") == ("a",)
        await store.set("r1", ())
        assert await store.get("r1") == ()
        assert len(store) == 1
        assert await store.get("never") == ()
        assert len(store) == 1

    asyncio.run(scenario())


def test_settings_change_rebuilds_the_store() -> None:
    with override_settings(H2PUSH_LEARNED_ROUTES=7):
        store = memory_store()
        assert store.max_routes == 7
    with override_settings(**cache_settings("other")):
        cache_store = get_store()
        assert isinstance(cache_store, CacheStore)
        assert cache_store.alias == "other"
    assert get_store() is not store


# --- a Django cache as the store --------------------------------------------------------


def test_cache_store_with_locmem_is_shared_by_separate_app_instances() -> None:
    with override_settings(**cache_settings()):
        assert isinstance(get_store(), CacheStore)
        teach("/early/learn/?s=css/base.css&s=js/app.js")
        # Each H2TestClient builds its own adapter and Django handler.
        assert hints_of("/early/learn/") == [[CSS, JS]]
        # That visit registered nothing: the entry is dropped from the cache too.
        assert hints_of("/early/learn/") == []


def test_cache_store_a_failed_response_leaves_the_cache_entry() -> None:
    with override_settings(**cache_settings()):
        teach("/early/learn/?s=css/base.css")
        hints_of("/early/learn/?status=500", 500)
        assert hints_of("/early/learn/?s=css/base.css") == [[CSS]]


def test_route_keys_with_odd_characters_are_safe_in_the_cache() -> None:
    with override_settings(**cache_settings()), warnings.catch_warnings():
        # LocMemCache warns (CacheKeyWarning) of keys memcached would refuse.
        warnings.simplefilter("error")
        path = "/early/odd word/é:{}%"
        assert hints_of(f"{path}?s=css/base.css") == []
        assert hints_of(f"{path}?s=css/base.css") == []
        assert hints_of(path) == [[CSS]]


@pytest.mark.parametrize(
    "route",
    [
        "testserver articles/<int:pk>/",
        "host with spaces\tand\ncontrols\x00 route",
        "ünïcödé.example ^päth/(?P<x>[^/]+)/$",
        "x" * 1000,
        "",
    ],
    ids=["plain", "controls", "unicode", "long", "empty"],
)
def test_cache_store_keys_are_valid_for_every_backend(route: str) -> None:
    with override_settings(**cache_settings("odd")):
        store = CacheStore("odd")
        key = store._key(route)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            caches["odd"].validate_key(key)
        assert len(key) <= 250

        async def roundtrip() -> None:
            await store.set(route, ("<a>; rel=preload",))
            await store.set(route + "!", ("<b>; rel=preload",))
            assert await store.get(route) == ("<a>; rel=preload",)
            assert await store.get(route + "!") == ("<b>; rel=preload",)
            await store.set(route, ())
            assert await store.get(route) == ()
            assert await store.get(route + "!") == ("<b>; rel=preload",)

        asyncio.run(roundtrip())


def test_cache_store_ignores_a_garbage_entry() -> None:
    with override_settings(**cache_settings("garbage")):
        store = CacheStore("garbage")
        caches["garbage"].set(store._key("r"), 42)
        assert asyncio.run(store.get("r")) == ()


# --- the pieces -------------------------------------------------------------------------


def test_route_key_is_none_without_a_resolved_route() -> None:
    request_ = RequestFactory().get("/anything/")
    assert learning.route_key(request_, "testserver") is None


def test_only_static_urls_are_learnable() -> None:
    from h2push.django_layer.preload import Preload

    preloads = [
        Preload("/static/css/base.css"),
        Preload("/media/private/alice.jpg"),
        Preload("/api/user/1.json"),
        Preload("/staticky/x.css"),
        Preload("https://elsewhere.example/static/x.css"),
    ]
    assert learning.learnable_links(preloads) == (CSS,)


def test_the_gated_order_holds_for_a_cache_learned_route() -> None:
    with override_settings(**cache_settings()):
        teach("/early/learn/?s=css/base.css")
        run = request(H2TestClient(), "/early/learn/", gate=True)
    assert run.status == 200
    assert run.hints == [[CSS]]
    assert run.log.index("http.response.early_hint") < run.log.index("view entered")


# --- the per-route caches ---------------------------------------------------------------


def resolved(host: str, path: str = "/early/learn/", secure: bool = False) -> Any:
    """A request as the middleware sees it before the view: its URL resolved."""
    from django.urls import resolve

    request_ = RequestFactory().get(path, HTTP_HOST=host, secure=secure)
    request_.resolver_match = resolve(path)
    return request_


@override_settings(ALLOWED_HOSTS=[".example.test"])
def test_route_and_origin_follow_the_host_and_scheme() -> None:
    route, origin = learning.route_and_origin(resolved("www.example.test"))
    assert route is not None and route.startswith(".example.test ")
    assert origin == "http://www.example.test"
    # The same route from another allowed host shares its key, not its origin.
    assert learning.route_and_origin(resolved("Shop.Example.test:8443", secure=True)) == (
        route,
        "https://shop.example.test:8443",
    )


@override_settings(ALLOWED_HOSTS=["good.test"])
def test_a_host_django_refuses_is_refused_every_time_and_never_kept() -> None:
    from django.core.exceptions import DisallowedHost

    for _ in range(2):
        with pytest.raises(DisallowedHost):
            learning.route_and_origin(resolved("evil.test"))
    with override_settings(ALLOWED_HOSTS=["good.test", "evil.test"]):
        assert learning.route_and_origin(resolved("evil.test"))[1] == "http://evil.test"
    # And a host allowed a moment ago is refused once the setting no longer names it.
    with pytest.raises(DisallowedHost):
        learning.route_and_origin(resolved("evil.test"))


@override_settings(ALLOWED_HOSTS=[".example.test"])
def test_hosts_an_attacker_varies_never_grow_the_cache_past_its_bound() -> None:
    for number in range(learning._MAX_ROUTE_ORIGINS + 50):
        learning.route_and_origin(resolved(f"h{number}.example.test"))
    assert len(learning._route_origins) <= learning._MAX_ROUTE_ORIGINS


def test_next_entry_sees_a_new_static_url() -> None:
    from h2push.django_layer.preload import Preload

    used = (Preload("/static/css/base.css"),)
    seen = learning.Learned((CSS,), (CSS,))
    assert learning.next_entry(seen, used, 16) is None  # nothing changed
    with override_settings(STATIC_URL="/assets/"):
        # The same page under another STATIC_URL names no static file: it teaches
        # nothing, and the entry forgets what it saw.
        assert learning.next_entry(seen, used, 16) == learning.Learned((), ())
    assert learning.next_entry(learning.Learned(), used, 16) == learning.Learned((), (CSS,))
