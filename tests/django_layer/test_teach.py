"""Issue 16, D: :func:`h2push.testing.teach` gets a route's hints on the test's first
asserted request, with Django's test clients and with :class:`H2TestClient`.

A page that names its assets with ``{% static %}`` only (the test project's
``/discovery/``) has nothing in its own ``Link`` header: what discovery finds in its
HTML is one observation of the route, and a link is hinted once two consecutive
pages of the route had it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client, override_settings

from h2push import testing
from h2push.core.linkheader import split_links
from h2push.django_layer.learning import Learned
from h2push.testing import PAGES_TO_LEARN, H2TestClient, H2TestResponse, ateach, teach

PAGE = "/discovery/?ms=0"
CSS = "/static/css/discovery.css"
PAGE_LINKS = [
    f"<{CSS}>; rel=preload; as=style",
    "</static/js/app.js>; rel=preload; as=script",
    "</static/js/discovery-module.js>; rel=modulepreload",
    "</static/fonts/h2push-pixel.woff2>; rel=preload; as=font; crossorigin; type=font/woff2",
]
PAGE_PATHS = [value[1 : value.index(">")] for value in PAGE_LINKS]

Either = Client | H2TestClient


def link_values(response: Any) -> list[str]:
    """The response's ``Link`` values, from either client's response."""
    if isinstance(response, H2TestResponse):
        assert response.status == 200
        header = response.header("link")
    else:
        assert response.status_code == 200
        header = response.headers.get("Link")
    return list(split_links(header)) if header else []


@pytest.fixture(params=[Client, H2TestClient], ids=["django", "h2"])
def client(request: pytest.FixtureRequest) -> Either:
    made: Either = request.param()
    return made


# --- why a helper is needed -----------------------------------------------------------------


def test_one_request_of_a_static_page_preloads_nothing(client: Either) -> None:
    assert link_values(client.get(PAGE)) == []


def test_a_route_is_hinted_from_its_third_page(client: Either) -> None:
    first, second, third = (link_values(client.get(PAGE)) for _ in range(3))
    assert first == second == []
    assert third == PAGE_LINKS


def test_the_pages_to_learn_are_the_ones_learning_needs() -> None:
    links = ("</static/a.css>; rel=preload; as=style",)
    entry = Learned()
    for _ in range(PAGES_TO_LEARN - 1):
        entry = entry.observe(links)
        assert entry.agreed == ()
    assert entry.observe(links).agreed == links


# --- teach() --------------------------------------------------------------------------------


def test_after_teach_the_first_request_preloads(client: Either) -> None:
    teach(client, PAGE)
    assert link_values(client.get(PAGE)) == PAGE_LINKS


def test_one_page_fewer_would_not_teach(client: Either, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testing, "PAGES_TO_LEARN", PAGES_TO_LEARN - 1)
    teach(client, PAGE)
    assert link_values(client.get(PAGE)) == []


def test_the_h2_client_records_only_the_tests_own_request() -> None:
    h2 = H2TestClient()
    teach(h2, PAGE)
    assert h2.push_promises == [] and h2.early_hints == []
    response = h2.get(PAGE)
    assert [path for path, _ in h2.push_promises] == PAGE_PATHS
    assert h2.early_hints == [PAGE_LINKS]  # the test project hints views of any speed
    assert set(response.pushed) == set(PAGE_PATHS)


def test_what_one_client_taught_another_is_hinted() -> None:
    teach(Client(), PAGE)
    h2 = H2TestClient()
    assert link_values(h2.get(PAGE)) == PAGE_LINKS
    assert h2.early_hints == [PAGE_LINKS]


def test_teach_covers_the_route_not_only_the_url(client: Either) -> None:
    teach(client, PAGE)
    assert link_values(client.get("/discovery/?ms=0&other=1")) == PAGE_LINKS


def test_teach_replaces_what_the_process_learned_before(client: Either) -> None:
    """Whatever an earlier test taught the route, it is hinted what these pages had."""
    for _ in range(3):
        client.get("/discovery/theme/?ms=0&theme=dark")
    teach(client, "/discovery/theme/?ms=0&theme=light")
    values = link_values(client.get("/discovery/theme/?ms=0&theme=light"))
    assert "</static/css/theme-light.css>; rel=preload; as=style" in values
    assert not [value for value in values if "theme-dark" in value]


def test_headers_go_with_each_teaching_request(
    client: Either, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []
    real = client.get

    def get(path: str, **options: Any) -> Any:
        sent.append(options.get("headers"))
        return real(path, **options)

    monkeypatch.setattr(client, "get", get)
    teach(client, PAGE, headers={"accept-language": "it"})
    assert sent == [{"accept-language": "it"}] * PAGES_TO_LEARN


@pytest.mark.parametrize(
    ("path", "answer"),
    [("/no-such-page/", "404"), ("/api/menu.json", "200 (application/json")],
)
def test_a_page_that_cannot_teach_fails_the_test(client: Either, path: str, answer: str) -> None:
    with pytest.raises(
        AssertionError, match=re.escape(f"Cannot teach {path}: it answered {answer}")
    ):
        teach(client, path)


@override_settings(H2PUSH_LEARN=False)
def test_teach_with_learning_off_fails_the_test(client: Either) -> None:
    with pytest.raises(AssertionError, match="H2PUSH_LEARN is off"):
        teach(client, PAGE)


# --- ateach() -------------------------------------------------------------------------------


def test_ateach_with_djangos_async_client() -> None:
    async def scenario() -> list[str]:
        async_client = AsyncClient()
        await ateach(async_client, PAGE)
        return link_values(await async_client.get(PAGE))

    assert async_to_sync(scenario)() == PAGE_LINKS


def test_ateach_with_the_h2_client() -> None:
    h2 = H2TestClient()

    async def scenario() -> list[str]:
        await ateach(h2, PAGE)
        return link_values(await h2.arequest("GET", PAGE))

    assert async_to_sync(scenario)() == PAGE_LINKS
    assert [path for path, _ in h2.push_promises] == PAGE_PATHS
