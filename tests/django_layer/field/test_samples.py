"""h2push.django_layer.field.samples: the samples kept per route and viewport group,
bounded, in the in-process store or a Django cache, and never an error for a beacon."""

from __future__ import annotations

import asyncio
import logging
import math
import pickle
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext

import pytest
from django.core.cache import caches
from django.test import override_settings

from h2push.django_layer.field import samples
from h2push.django_layer.field.encoding import (
    FORMAT,
    MAX_SAMPLES,
    NO_COUNTS,
    decode_window,
    encode_window,
)
from h2push.django_layer.field.sample import LcpElement, Sample, ViewportGroup
from h2push.django_layer.field.samples import (
    INDEX_KEY,
    CacheSamples,
    MemorySamples,
    add_sample,
    add_sample_sync,
    counts_key,
    field_store,
    get_samples,
    get_samples_sync,
    get_windows_sync,
    sample_counts,
    sample_counts_sync,
    window_key,
)
from tests.django_layer.field.making import (
    CSS,
    FIELD_CACHE,
    HERO,
    ROUTE,
    cache_settings,
    forget_everything,
    locmem_store,
    sample,
    unused,
    used,
)
from tests.support import failing_caches

DESKTOP, PHONE = ViewportGroup.DESKTOP, ViewportGroup.PHONE
StoreMaker = Callable[[], AbstractContextManager[None]]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    forget_everything()
    yield
    forget_everything()


def memory() -> AbstractContextManager[None]:
    return nullcontext()


STORES = pytest.mark.parametrize("store", [memory, locmem_store], ids=["memory", "cache"])


def clients(found: tuple[Sample, ...]) -> list[str]:
    return [s.client for s in found]


# --- bounds ---------------------------------------------------------------------------


@STORES
def test_a_group_keeps_its_last_samples_of_each_kind(store: StoreMaker) -> None:
    with store():
        for n in range(MAX_SAMPLES + 5):
            assert add_sample_sync(sample(f"c{n}")) is not None
            add_sample_sync(sample(f"h{n}", holdout=True))
        found = get_samples_sync(ROUTE, DESKTOP)
    regular = [f"c{n}" for n in range(5, MAX_SAMPLES + 5)]
    holdout = [f"h{n}" for n in range(5, MAX_SAMPLES + 5)]
    assert clients(found) == regular + holdout  # the oldest of each kind went first


@STORES
def test_groups_and_routes_keep_their_own_windows(store: StoreMaker) -> None:
    with store():
        for n in range(MAX_SAMPLES + 3):
            add_sample_sync(sample(f"d{n}"))
        add_sample_sync(sample("p1", group=PHONE))
        add_sample_sync(sample("o1", route="localhost other/"))
        assert clients(get_samples_sync(ROUTE, PHONE)) == ["p1"]
        assert clients(get_samples_sync("localhost other/", DESKTOP)) == ["o1"]
        assert len(get_samples_sync(ROUTE, DESKTOP)) == MAX_SAMPLES
        windows = get_windows_sync(ROUTE)
    assert [len(w.samples) for w in windows] == [1, 0, 0, MAX_SAMPLES]


@STORES
def test_the_async_calls_keep_and_read_the_same(store: StoreMaker) -> None:
    async def run() -> tuple[tuple[Sample, ...], samples.Counts]:
        await add_sample(sample("a"))
        await add_sample(sample("b", holdout=True))
        return await get_samples(ROUTE, DESKTOP), await sample_counts(ROUTE)

    with store():
        found, counts = asyncio.run(run())
    assert clients(found) == ["a", "b"]
    assert counts.samples[DESKTOP] == 2 and counts.clients[DESKTOP] == 2


@override_settings(H2PUSH_LEARNED_ROUTES=3)
def test_the_process_keeps_the_routes_sampled_last() -> None:
    for n in range(5):
        add_sample_sync(sample(route=f"localhost r{n}/"))
    add_sample_sync(sample(route="localhost r2/"))  # sampled again: kept
    add_sample_sync(sample(route="localhost r5/"))
    store = field_store()
    assert isinstance(store, MemorySamples)
    assert store.routes() == ("localhost r4/", "localhost r2/", "localhost r5/")
    assert get_samples_sync("localhost r0/", DESKTOP) == ()


def test_the_shared_index_lists_the_routes_sampled_last() -> None:
    with locmem_store(H2PUSH_LEARNED_ROUTES=3):
        for n in range(5):
            add_sample_sync(sample(route=f"localhost r{n}/"))
        store = field_store()
        assert isinstance(store, CacheSamples)
        assert store.routes() == ("localhost r2/", "localhost r3/", "localhost r4/")
        # A route already listed is not written again at each sample...
        caches[FIELD_CACHE].delete(INDEX_KEY)
        add_sample_sync(sample("again", route="localhost r3/"))
        assert store.routes() == ()
        # ... but once its place is older than the refresh, it is.
        value = caches[FIELD_CACHE].get(counts_key("localhost r3/"))
        aged = (*value[:4], value[4] - samples.INDEX_REFRESH_SECONDS - 1)
        caches[FIELD_CACHE].set(counts_key("localhost r3/"), aged)
        add_sample_sync(sample("later", route="localhost r3/"))
        assert store.routes() == ("localhost r3/",)


# --- counts ---------------------------------------------------------------------------


@STORES
def test_counts_are_samples_and_distinct_clients_per_group(store: StoreMaker) -> None:
    with store():
        assert sample_counts_sync(ROUTE) == NO_COUNTS
        for client in ("a", "a", "b", "c"):
            add_sample_sync(sample(client))
        add_sample_sync(sample("a", holdout=True))
        add_sample_sync(sample("p", group=PHONE))
        counts = sample_counts_sync(ROUTE)
    assert counts.samples == (1, 0, 0, 5)
    assert counts.clients == (1, 0, 0, 3)


def test_a_process_reads_a_shared_routes_counts_once_a_minute() -> None:
    failing_caches.reset(down=False)
    with override_settings(**cache_settings("tests.support.failing_caches.FlakyCache")):
        add_sample_sync(sample("a"))
        failing_caches.OUTAGE.set()  # a read of the cache would fail now
        try:
            assert sample_counts_sync(ROUTE).samples[DESKTOP] == 1
            assert asyncio.run(sample_counts(ROUTE)).samples[DESKTOP] == 1
        finally:
            failing_caches.reset(down=False)


def test_counts_older_than_the_memo_are_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(samples, "COUNTS_MEMO_SECONDS", 0.0)
    with locmem_store():
        add_sample_sync(sample("a"))
        other_worker = CacheSamples(FIELD_CACHE, field_store().calls, 10)  # type: ignore[union-attr]
        other_worker.add(sample("b"))
        time.sleep(0.01)
        assert sample_counts_sync(ROUTE).clients[DESKTOP] == 2


# --- what is stored -------------------------------------------------------------------


def plain(value: object) -> bool:
    if isinstance(value, tuple):
        return all(plain(item) for item in value)
    return value is None or isinstance(value, (str, int, float, bool))


def test_a_cache_holds_versioned_plain_tuples_under_keys_of_their_own() -> None:
    element = LcpElement("/static/a.jpg", True, "/static/a.jpg 1x, /static/a2.jpg 2x", "100vw")
    kept = sample("a", lcp=element, lcp_ms=None, hints=(used(CSS), unused("/static/x.js")))
    with locmem_store():
        add_sample_sync(kept)
        value = caches[FIELD_CACHE].get(window_key(ROUTE, DESKTOP))
        assert get_samples_sync(ROUTE, DESKTOP) == (kept,)
    assert window_key(ROUTE, DESKTOP).startswith("h2push:field:")
    assert window_key(ROUTE, DESKTOP).endswith(":3")
    assert value[:2] == (FORMAT, ROUTE)
    assert plain(value)
    assert b"h2push" not in pickle.dumps(value)  # no class of h2push to unpickle


DAMAGED = [
    "a string",
    42,
    (FORMAT,),
    (FORMAT + 1, ROUTE, (), ()),
    (True, ROUTE, (), ()),
    (FORMAT, "localhost another/", (), ()),  # another route's value under this key
    (FORMAT, ROUTE, (("c", None, 1.0, 2.0, True),), ()),  # a row too short
    (FORMAT, ROUTE, (("c", None, "1", 2.0, True, ()),), ()),  # a time as text
    (FORMAT, ROUTE, (("c", None, True, 2.0, True, ()),), ()),  # a time as a boolean
    (FORMAT, ROUTE, (("c", None, math.nan, 2.0, True, ()),), ()),
    (FORMAT, ROUTE, (("c", ("/a.jpg", 1, None, None), 1.0, 2.0, True, ()),), ()),
    (FORMAT, ROUTE, (("c", None, 1.0, 2.0, True, (("/a.css", True, "link"),)),), ()),
    (FORMAT, ROUTE, ((b"c", None, 1.0, 2.0, True, ()),), ()),
]


@pytest.mark.parametrize("value", DAMAGED)
def test_a_damaged_or_foreign_value_reads_as_no_samples(value: object) -> None:
    assert decode_window(ROUTE, DESKTOP, value).samples == ()
    with locmem_store():
        caches[FIELD_CACHE].set(window_key(ROUTE, DESKTOP), value)
        caches[FIELD_CACHE].set(counts_key(ROUTE), value)
        caches[FIELD_CACHE].set(INDEX_KEY, value)
        store = field_store()
        assert get_samples_sync(ROUTE, DESKTOP) == ()
        assert sample_counts_sync(ROUTE) == NO_COUNTS
        assert store.routes() == ()
        # The next sample starts the window, counts and index anew.
        add_sample_sync(sample("fresh"))
        assert clients(get_samples_sync(ROUTE, DESKTOP)) == ["fresh"]
        assert store.routes() == (ROUTE,)


def test_a_window_written_with_more_samples_keeps_its_newest() -> None:
    many = tuple(sample(f"c{n}") for n in range(MAX_SAMPLES + 4))
    value = encode_window(ROUTE, samples.Window(regular=many))
    kept = decode_window(ROUTE, DESKTOP, value).regular
    assert kept == many[-MAX_SAMPLES:]


def test_a_list_for_a_tuple_reads_the_same() -> None:
    # A cache that serialises as JSON gives lists back.
    value = [FORMAT, ROUTE, [["c", ["/a.jpg", True, None, None], 1, 2.5, True, []]], []]
    (found,) = decode_window(ROUTE, DESKTOP, value).samples
    assert found.lcp == LcpElement("/a.jpg", True) and found.lcp_ms == 1.0


# --- a store that fails ---------------------------------------------------------------


@pytest.fixture
def outage() -> Iterator[None]:
    failing_caches.reset(down=True)
    yield
    failing_caches.reset(down=False)


def field_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.usefixtures("outage")
def test_a_failing_store_loses_the_samples_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with override_settings(**cache_settings("tests.support.failing_caches.FlakyCache")):
        for _ in range(3):
            assert add_sample_sync(sample()) is None
            assert asyncio.run(add_sample(sample())) is None
        assert get_samples_sync(ROUTE, DESKTOP) == ()
        assert asyncio.run(get_samples(ROUTE, DESKTOP)) == ()
        assert sample_counts_sync(ROUTE) == NO_COUNTS
        assert [len(w.samples) for w in get_windows_sync(ROUTE)] == [0, 0, 0, 0]
        (warning,) = field_warnings(caplog)
        assert "ConnectionError" in warning and repr(FIELD_CACHE) in warning
        failing_caches.OUTAGE.clear()  # back again: samples are kept once more
        assert add_sample_sync(sample("back")) is not None
        assert clients(get_samples_sync(ROUTE, DESKTOP)) == ["back"]


def test_a_store_that_hangs_costs_a_beacon_the_bounded_wait_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing_caches.reset(down=False)
    slow = cache_settings("tests.support.failing_caches.SlowCache", H2PUSH_LEARN_TIMEOUT_MS=100)
    with override_settings(**slow):
        started = time.monotonic()
        for _ in range(4):
            assert add_sample_sync(sample()) is None
        elapsed = time.monotonic() - started
        (warning,) = field_warnings(caplog)
    # Two late calls, then the store is left alone: not four waits of 2 s.
    assert elapsed < 1.5
    assert "did not answer" in warning
    time.sleep(failing_caches.SLOW_READ_SECONDS)  # the store's threads are the next test's


# --- one client only ------------------------------------------------------------------


@STORES
def test_samples_from_one_client_only_are_warned_about_once(
    store: StoreMaker, caplog: pytest.LogCaptureFixture
) -> None:
    with store():
        for _ in range(6):
            add_sample_sync(sample("the-proxy"))
        add_sample_sync(sample("the-proxy", route="localhost other/"))
        for _ in range(3):
            add_sample_sync(sample("the-proxy", route="localhost other/"))
    (warning,) = field_warnings(caplog)
    assert "came from one client" in warning and "H2PUSH_FIELD_CLIENT_HEADER" in warning


def test_samples_from_several_clients_are_not_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for n in range(MAX_SAMPLES):
        add_sample_sync(sample(f"c{n % 3}", lcp=HERO))
    assert field_warnings(caplog) == []


def test_a_new_store_setting_starts_with_no_samples() -> None:
    add_sample_sync(sample())
    with locmem_store():
        assert get_samples_sync(ROUTE, DESKTOP) == ()
    with override_settings(H2PUSH_LEARNED_ROUTES=7):
        assert get_samples_sync(ROUTE, DESKTOP) == ()
