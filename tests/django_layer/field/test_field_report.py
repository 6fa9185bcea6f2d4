"""h2push.django_layer.field.report and ``manage.py h2push_field``: per route and
viewport group, what the samples show, as text and as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from h2push.django_layer.field.report import MIN_VISITS, bootstrap_interval, compare
from h2push.django_layer.field.sample import LcpElement, ViewportGroup
from h2push.django_layer.field.samples import add_sample_sync
from tests.django_layer.field.making import (
    CSS,
    HERO,
    OLD_JS,
    ROUTE,
    cache_settings,
    forget_everything,
    locmem_store,
    sample,
    unused,
    used,
)
from tests.support import failing_caches

StoreMaker = Callable[[], AbstractContextManager[None]]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    forget_everything()
    yield
    forget_everything()


def memory() -> AbstractContextManager[None]:
    return nullcontext()


STORES = pytest.mark.parametrize("store", [memory, locmem_store], ids=["memory", "cache"])


# --- the bootstrap --------------------------------------------------------------------


def test_the_interval_of_two_constant_samples_is_their_difference() -> None:
    assert bootstrap_interval([100.0] * 5, [40.0] * 7) == (60.0, 60.0)


def test_the_interval_on_known_data() -> None:
    # The median of 9 draws from 1..9 is at most k when 5 or more draws are: for
    # k = 1 that happens 0.1 % of the time, for k = 2 3.0 %; by symmetry it is at
    # least 9 0.1 % of the time and at least 8 3.0 %. So the 2.5 % and 97.5 % points
    # of the median are 2 and 8 (about 120 of 4000 resamples beyond each, where 100
    # are needed).
    first = [float(n) for n in range(1, 10)]
    assert bootstrap_interval(first, [0.0] * 9) == (2.0, 8.0)
    assert bootstrap_interval([0.0] * 9, first) == (-8.0, -2.0)


def test_the_interval_is_the_same_on_every_run() -> None:
    first = [812.0, 640.0, 990.0, 705.0, 880.0, 1210.0, 760.0]
    second = [1020.0, 1380.0, 940.0, 1190.0, 1105.0, 1610.0]
    interval = bootstrap_interval(first, second)
    assert interval is not None
    assert interval == bootstrap_interval(first, second)
    low, high = interval
    assert low < 812.0 - 1147.5 < high  # it holds the difference of the medians


def test_too_few_visits_give_no_interval() -> None:
    enough = [1.0] * MIN_VISITS
    assert bootstrap_interval(enough[1:], enough) is None
    assert bootstrap_interval(enough, enough[1:]) is None
    assert bootstrap_interval(enough, enough) == (0.0, 0.0)


def test_a_visit_that_did_not_report_the_metric_is_left_out() -> None:
    regular = [sample(f"c{n}", lcp_ms=None if n % 2 else 700.0) for n in range(10)]
    holdout = [sample(f"h{n}", lcp_ms=900.0, holdout=True) for n in range(3)]
    comparison = compare(regular, holdout, lambda s: s.lcp_ms)
    assert (comparison.visits, comparison.holdout_visits) == (5, 3)
    assert comparison.difference == -200.0
    assert comparison.interval is None


# --- the command ----------------------------------------------------------------------


def field(*args: str) -> str:
    out = StringIO()
    call_command("h2push_field", *args, stdout=out)
    return out.getvalue()


def teach_hero_page() -> None:
    """Eight clients served as usual and six holdout visits, on the desktop; two
    phone visits of another route."""
    hints = (used(CSS), unused(OLD_JS))
    for n in range(8):
        add_sample_sync(sample(f"c{n}", lcp_ms=800.0 + 10 * n, fcp_ms=300.0, hints=hints))
    for n in range(6):
        add_sample_sync(
            sample(f"h{n}", lcp_ms=1200.0 + 10 * n, fcp_ms=320.0, holdout=True, hints=hints)
        )
    banner = LcpElement("/static/img/banner.jpg", is_image=False)
    for n in range(2):
        add_sample_sync(
            sample(f"p{n}", route="localhost news/", group=ViewportGroup.PHONE, lcp=banner)
        )


@STORES
def test_the_report_as_text(store: StoreMaker) -> None:
    with store():
        teach_hero_page()
        text = field()
    assert "a conclusion needs 5 distinct clients" in text
    assert f"{ROUTE} -- desktop (over 782 px)" in text
    assert "samples: 8 served as usual (103 arrived in 8), 6 holdout; 14 distinct clients" in text
    assert f"LCP element: <img> {HERO.url}, named by 14 clients: hinted" in text
    assert f"used    {CSS}: used by 14, unused by 0 clients" in text
    assert f"unused  {OLD_JS}: used by 0, unused by 14 clients" in text
    assert (
        "LCP: served as usual 835 ms (8 visits), holdout 1225 ms (6 visits); difference -390 ms"
        in text
    )
    # Within -450 and -330 ms, the extremes the data allow.
    assert re.search(r"-390 ms, 95% interval -4\d\d to -3\d\d ms", text), text
    assert (
        "FCP: served as usual 300 ms (8 visits), holdout 320 ms (6 visits); difference -20 ms"
        in text
    )
    assert "localhost news/ -- phone (up to 480 px)" in text
    assert "CSS background /static/img/banner.jpg, named by 2 clients: reported, never" in text
    assert "LCP: served as usual 800 ms (2 visits), holdout none yet; too few visits" in text
    assert "too few visits for an interval (5 of each needed)" in text
    assert text.index(ROUTE) < text.index("localhost news/")


@STORES
def test_the_report_as_json(store: StoreMaker) -> None:
    with store():
        teach_hero_page()
        report = json.loads(field("--json"))
    assert report["quorum"] == 5
    hero, news = report["groups"]
    assert (hero["route"], hero["group"]) == (ROUTE, "desktop")
    assert (hero["samples"], hero["holdout_samples"], hero["clients"]) == (8, 6, 14)
    assert hero["single_client"] is False
    assert hero["lcp_element"] == {
        "url": HERO.url,
        "image": True,
        "srcset": None,
        "sizes": None,
        "clients": 14,
        "hinted": True,
    }
    assert hero["hints"] == [
        {"url": CSS, "used_by": 14, "unused_by": 0, "verdict": "used"},
        {"url": OLD_JS, "used_by": 0, "unused_by": 14, "verdict": "unused"},
    ]
    lcp = hero["lcp"]
    assert (lcp["median_ms"], lcp["holdout_median_ms"], lcp["difference_ms"]) == (835, 1225, -390)
    low, high = lcp["interval_ms"]
    assert -450 <= low <= -390 <= high <= -330
    assert lcp["too_few"] is False
    assert (news["route"], news["group"], news["lcp_element"]["hinted"]) == (
        "localhost news/",
        "phone",
        False,
    )
    assert news["lcp"]["interval_ms"] is None and news["lcp"]["too_few"] is True


def test_the_quorum_is_the_setting_or_the_option() -> None:
    # A changed H2PUSH_ setting builds the in-process store anew: teach it after.
    with override_settings(H2PUSH_FIELD_QUORUM=20):
        teach_hero_page()
        assert "not hinted, below the quorum of 20" in field()
        assert "named by 2 clients: reported" in field("--quorum", "2", "--route", "news")
    with pytest.raises(CommandError):
        field("--quorum", "0")


def test_one_route_only() -> None:
    teach_hero_page()
    groups = json.loads(field("--json", "--route", "news/"))["groups"]
    assert [g["route"] for g in groups] == ["localhost news/"]


def test_samples_from_one_client_are_said_so() -> None:
    for _ in range(4):
        add_sample_sync(sample("the-proxy"))
    assert "WARNING: every sample came from one client" in field()
    assert json.loads(field("--json"))["groups"][0]["single_client"] is True


def test_a_process_store_with_no_samples_says_where_they_are() -> None:
    text = field()
    assert "No samples." in text and "H2PUSH_LEARN_CACHE" in text
    assert json.loads(field("--json")) == {"store": "this process", "quorum": 5, "groups": []}


def test_a_shared_store_with_no_samples_says_no_more() -> None:
    with locmem_store():
        text = field()
    assert "No samples." in text and "H2PUSH_LEARN_CACHE" not in text


def test_a_failing_store_fails_the_command_with_the_reason() -> None:
    failing_caches.reset(down=True)
    settings: dict[str, Any] = cache_settings("tests.support.failing_caches.FlakyCache")
    try:
        with override_settings(**settings), pytest.raises(CommandError, match="ConnectionError"):
            field()
    finally:
        failing_caches.reset(down=False)
