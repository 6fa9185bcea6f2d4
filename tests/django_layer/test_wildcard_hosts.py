"""Issue 17, finding 3: ``ALLOWED_HOSTS`` with a wildcard must not give every Host its
own learned entry.

A route is keyed by the ``ALLOWED_HOSTS`` entry its host matched. ``"*"`` matched
nothing in that lookup, so each Host value an attacker sent was a route of its own:
600 of them on 3 routes filled the in-process store (500 routes by default) and
pushed out every real route's learned 103. Each test here failed before the fix.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import override_settings

from h2push.django_layer import learning
from h2push.django_layer.learning import MemoryStore, get_store
from h2push.testing import H2TestClient
from harness.constants import CSS_LINK, EARLY_URLS, JS_LINK

pytestmark = [pytest.mark.urls(EARLY_URLS), pytest.mark.usefixtures("fresh_store")]

REAL_HOST = "www.shop.test"
FLOOD_HOSTS = 600
# Three routes of the test views, each a page that registers static assets.
ROUTES = {
    "/early/learn/?" + urlencode([("s", "css/base.css")]): [[CSS_LINK]],
    "/early/learn/7/?" + urlencode([("s", "js/app.js")]): [[JS_LINK]],
    "/early/private/alice/": [[CSS_LINK, JS_LINK]],
}


def hints(path: str, host: str) -> list[list[str]]:
    """The 103s a new connection to ``host`` gets for one GET of ``path``."""
    client = H2TestClient(host=host)
    response = client.get(path)
    assert response.status == 200, (host, response.content[:300])
    return client.early_hints


def random_host(pattern: str) -> str:
    """A Host value ``pattern`` accepts that no earlier request used."""
    label = secrets.token_hex(6)
    return f"{label}.attacker.test" if pattern == "*" else f"{label}{pattern}"


def flood(pattern: str, client: H2TestClient) -> None:
    """Every route once from each of ``FLOOD_HOSTS`` new Host values (with ports)."""

    async def requests() -> None:
        # One event loop for all of them: the sync get() starts one per request.
        for number in range(FLOOD_HOSTS):
            host = f"{random_host(pattern)}:{1000 + number}"
            for path in ROUTES:
                response = await client.arequest("GET", path, headers={"host": host})
                assert response.status == 200, (host, response.content[:300])

    asyncio.run(requests())


def memory_store() -> MemoryStore:
    store = get_store()
    assert isinstance(store, MemoryStore)
    return store


@pytest.mark.parametrize("pattern", ["*", ".shop.test"], ids=["star", "subdomains"])
def test_a_flood_of_host_values_leaves_the_real_hosts_learned_hints(pattern: str) -> None:
    with override_settings(ALLOWED_HOSTS=[pattern]):
        for path, expected in ROUTES.items():
            hints(path, REAL_HOST)
            hints(path, REAL_HOST)
            assert hints(path, REAL_HOST) == expected, path
        # As an HTTP/1.1 connection: no pushes to run, and the pages teach all the same.
        flood(pattern, H2TestClient(host=REAL_HOST, extensions=()))
        after = {path: hints(path, REAL_HOST) for path in ROUTES}
        assert after == ROUTES
        # One entry per route for every host the pattern matched: the flood added none.
        assert len(memory_store()) == len(ROUTES)


@override_settings(ALLOWED_HOSTS=["*"])
def test_every_host_shares_one_key_per_route_under_a_star() -> None:
    request = _resolved("anything.example")
    route, origin = learning.route_and_origin(request)
    assert route == "* early/learn/"
    # The origin is still the request's own: preconnects and same-origin checks need it.
    assert origin == "http://anything.example"
    assert learning.route_and_origin(_resolved("other.example:8080"))[0] == route


@override_settings(ALLOWED_HOSTS=["shop.test", ".shop.test", "*"])
def test_the_first_entry_a_host_matches_names_its_key() -> None:
    # Django checks the entries in order too; a named host keeps its own entry.
    assert _key("shop.test") == "shop.test early/learn/"
    assert _key("www.shop.test") == ".shop.test early/learn/"
    assert _key("elsewhere.test") == "* early/learn/"


@override_settings(ALLOWED_HOSTS=["good.test"], DEBUG=False)
def test_a_host_no_entry_matches_shares_one_key() -> None:
    # route_key() is public: given a host ALLOWED_HOSTS would refuse, it must not key
    # a route by that host either.
    from django.test import RequestFactory
    from django.urls import resolve

    request = RequestFactory().get("/early/learn/")
    request.resolver_match = resolve("/early/learn/")
    keys = {learning.route_key(request, f"h{n}.evil.test") for n in range(50)}
    assert len(keys) == 1


def _resolved(host: str) -> Any:
    from django.test import RequestFactory
    from django.urls import resolve

    request = RequestFactory().get("/early/learn/", HTTP_HOST=host)
    request.resolver_match = resolve("/early/learn/")
    return request


def _key(host: str) -> str | None:
    return learning.route_and_origin(_resolved(host))[0]
