"""h2push.django_layer.field.clients: clients told apart without being named, behind
a proxy too, and one sample per client per route per window."""

from __future__ import annotations

import threading

import pytest
from django.test import override_settings

from h2push.django_layer.field.clients import (
    MAX_CLIENT_KEYS,
    Limiter,
    OncePerWindow,
    client_address,
    client_key,
)

ROUTE = "shop.example products/<int:pk>/"
XFF = "HTTP_X_FORWARDED_FOR"


# client_key


def test_a_client_key_tells_clients_apart_and_names_none() -> None:
    key = client_key("203.0.113.7")
    assert key == client_key("203.0.113.7")
    assert key != client_key("203.0.113.8")
    assert len(key) == 22
    assert "203" not in key and "113" not in key
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_key_comes_from_secret_key() -> None:
    key = client_key("203.0.113.7")
    with override_settings(SECRET_KEY="another-secret-key-entirely"):
        assert client_key("203.0.113.7") != key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("::1", "0:0:0:0:0:0:0:1"),
        ("2001:DB8::1", "2001:db8:0::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        # One subscriber's /64: privacy addresses must not make one client many.
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::"),
    ],
)
def test_one_client_has_one_key(one: str, other: str) -> None:
    assert client_key(one) == client_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:3::1"),  # neighbouring /64s
        ("10.0.0.1", "10.0.0.2"),  # every IPv4 address is its own client
        ("unix:/run/sock", "unix:/run/other"),
    ],
)
def test_distinct_clients_have_distinct_keys(one: str, other: str) -> None:
    assert client_key(one) != client_key(other)


def test_a_value_that_is_no_address_is_hashed_as_it_is() -> None:
    assert client_key("") == client_key("")
    assert len(client_key("unknown")) == 22
    assert len(client_key("x" * 100_000)) == 22


# client_address


def test_the_address_is_the_peer_without_a_proxy_header() -> None:
    meta = {"REMOTE_ADDR": "203.0.113.7", XFF: "198.51.100.1"}
    assert client_address(meta, None) == "203.0.113.7"  # a client's own XFF is ignored
    assert client_address(meta, "") == "203.0.113.7"


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended() -> None:
    meta = {"REMOTE_ADDR": "10.0.0.2", XFF: "198.51.100.1"}
    assert client_address(meta, XFF) == "198.51.100.1"


def test_addresses_a_client_forged_before_the_proxys_are_ignored() -> None:
    # The client sent "X-Forwarded-For: 1.1.1.1, 2.2.2.2"; the proxy appended the
    # address it saw.
    meta = {"REMOTE_ADDR": "10.0.0.2", XFF: "1.1.1.1, 2.2.2.2,198.51.100.1 "}
    assert client_address(meta, XFF) == "198.51.100.1"
    flood = [{"REMOTE_ADDR": "10.0.0.2", XFF: f"192.0.2.{n}, 198.51.100.1"} for n in range(50)]
    assert {client_key(client_address(meta, XFF)) for meta in flood} == {client_key("198.51.100.1")}


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("198.51.100.1:51234", "198.51.100.1"),
        ("[2001:db8::1]:51234", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::1", "::1"),
        ("unknown", "unknown"),
    ],
)
def test_a_port_the_proxy_wrote_is_left_out(entry: str, address: str) -> None:
    assert client_address({"REMOTE_ADDR": "10.0.0.2", XFF: entry}, XFF) == address


@pytest.mark.parametrize("value", ["", " ", "198.51.100.1, ", ","])
def test_an_empty_last_entry_falls_back_to_the_peer(value: str) -> None:
    assert client_address({"REMOTE_ADDR": "10.0.0.2", XFF: value}, XFF) == "10.0.0.2"


def test_a_request_that_did_not_pass_the_proxy_is_its_peers() -> None:
    assert client_address({"REMOTE_ADDR": "10.0.0.2"}, XFF) == "10.0.0.2"
    assert client_address({}, XFF) == ""
    assert client_address({}, None) == ""


# OncePerWindow


def test_a_flood_from_one_client_adds_one_sample_per_window() -> None:
    limiter = OncePerWindow()
    client = client_key("203.0.113.7")
    assert [limiter.allow(ROUTE, client, 100) for _ in range(1000)] == [True] + [False] * 999
    assert limiter.allow(ROUTE, client, 101)  # the next window
    assert not limiter.allow(ROUTE, client, 101)
    assert not limiter.allow(ROUTE, client, 100)  # an older window changes nothing


def test_other_routes_and_other_clients_are_counted_apart() -> None:
    limiter = OncePerWindow()
    assert limiter.allow(ROUTE, "a", 100)
    assert limiter.allow("shop.example cart/", "a", 100)
    assert limiter.allow(ROUTE, "b", 100)
    assert not limiter.allow(ROUTE, "a", 100)


def test_memory_stays_bounded_whatever_a_flood_is_made_of() -> None:
    limiter = OncePerWindow(max_keys=100)
    for n in range(10_000):
        limiter.allow(f"route {n % 7}", f"client {n}", 100)
    assert len(limiter) == 100
    assert OncePerWindow().max_keys == MAX_CLIENT_KEYS == 10_000


def test_the_least_recently_seen_client_is_forgotten_first() -> None:
    limiter = OncePerWindow(max_keys=3)
    for client in ("a", "b", "c"):
        assert limiter.allow(ROUTE, client, 100)
    assert not limiter.allow(ROUTE, "a", 100)  # "a" seen again: "b" is now the oldest
    assert limiter.allow(ROUTE, "d", 100)
    assert not limiter.allow(ROUTE, "a", 100)
    assert limiter.allow(ROUTE, "b", 100)  # forgotten, so allowed once more


def test_clients_racing_on_threads_get_one_sample() -> None:
    limiter = OncePerWindow()
    results: list[bool] = []
    start = threading.Barrier(16)

    def send() -> None:
        start.wait()
        results.extend(limiter.allow(ROUTE, "a", 100) for _ in range(100))

    threads = [threading.Thread(target=send) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


def test_a_limiter_is_anything_with_allow() -> None:
    class Everyone:
        def allow(self, route: str, client: str, window: int) -> bool:
            return True

    limiters: list[Limiter] = [OncePerWindow(), Everyone()]
    assert all(limiter.allow(ROUTE, "a", 1) for limiter in limiters)


def test_a_limiter_remembers_at_least_one_pair() -> None:
    with pytest.raises(ValueError):
        OncePerWindow(max_keys=0)
    limiter = OncePerWindow(max_keys=1)
    assert limiter.allow(ROUTE, "a", 1)
    assert not limiter.allow(ROUTE, "a", 1)
    limiter.clear()
    assert limiter.allow(ROUTE, "a", 1)
