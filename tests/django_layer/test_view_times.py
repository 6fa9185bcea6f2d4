"""No 103 for a route whose view answers too fast to gain from one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from h2push.django_layer.learning import ViewTimes, get_view_times
from h2push.testing import H2TestClient


def test_first_answer_is_taken_as_it_is() -> None:
    times = ViewTimes(max_routes=10)
    assert times.typical("r") is None
    times.record("r", 40.0)
    assert times.typical("r") == 40.0


def test_later_answers_are_smoothed() -> None:
    times = ViewTimes(max_routes=10)
    times.record("r", 40.0)
    times.record("r", 0.0)
    assert times.typical("r") == pytest.approx(40.0 * (1 - ViewTimes.SMOOTHING))


def test_is_fast_needs_a_measurement_below_the_threshold() -> None:
    times = ViewTimes(max_routes=10)
    assert not times.is_fast("r", 10.0)  # never measured: not known to be fast
    times.record("r", 3.0)
    assert times.is_fast("r", 10.0)
    assert not times.is_fast("r", 0.0)  # 0 means every route is worth a hint
    assert not times.is_fast("r", 3.0)


def test_bounded_least_recently_used_first() -> None:
    times = ViewTimes(max_routes=3)
    for number in range(10):
        times.record(f"r{number}", 1.0)
    assert [times.typical(f"r{n}") for n in range(7)] == [None] * 7
    assert [times.typical(f"r{n}") for n in (7, 8, 9)] == [1.0, 1.0, 1.0]


@pytest.fixture
def threshold() -> Iterator[None]:
    # The test project hints every page for its demonstration. Far from the default
    # 10 ms here, so that a busy machine cannot make a trivial view look slow.
    with override_settings(H2PUSH_EARLY_HINTS_MIN_VIEW_MS=200):
        yield


@pytest.mark.usefixtures("threshold")
def test_a_fast_declared_route_is_hinted_until_it_is_known_to_be_fast() -> None:
    client = H2TestClient()
    client.get("/slow/declared/?ms=0")
    assert len(client.early_hints) == 1  # unknown route: hinted
    client.clear()
    client.get("/slow/declared/?ms=0")
    assert client.early_hints == []
    assert client.push_promises  # still pushed with the response itself
    typical = get_view_times().typical("testserver slow/declared/")
    assert typical is not None and typical < 200


@pytest.mark.usefixtures("threshold")
def test_a_route_that_turns_slow_is_hinted_again() -> None:
    client = H2TestClient()
    client.get("/slow/declared/?ms=0")
    client.get("/slow/declared/?ms=800")  # typical time now over 400 ms
    client.clear()
    response = client.get("/slow/declared/?ms=0")
    assert response.status == 200
    assert client.early_hints == [
        [
            "</static/css/base.css>; rel=preload; as=style",
            "</static/js/app.js>; rel=preload; as=script",
        ]
    ]


@pytest.mark.usefixtures("threshold")
def test_a_slow_learned_route_is_hinted_once_two_visits_agreed() -> None:
    client = H2TestClient()
    for _ in range(2):
        client.get("/slow/?ms=400")
    assert client.early_hints == []  # nothing agreed on yet
    client.get("/slow/?ms=400")
    assert len(client.early_hints) == 1


@pytest.mark.usefixtures("threshold")
def test_a_fast_learned_route_is_not_hinted() -> None:
    client = H2TestClient()
    for _ in range(3):
        client.get("/slow/?ms=0")
    assert client.early_hints == []


def test_zero_hints_every_route() -> None:
    with override_settings(H2PUSH_EARLY_HINTS_MIN_VIEW_MS=0):
        client = H2TestClient()
        for _ in range(3):
            client.get("/slow/declared/?ms=0")
        assert len(client.early_hints) == 3
