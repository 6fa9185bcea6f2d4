"""h2push.django_layer.field.beacon: the request that carries a report (POST, same
origin) and the report's token, checked once the report is read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from h2push.django_layer.field.beacon import (
    Refusal,
    Report,
    check_request,
    check_token,
    read_report,
)
from h2push.django_layer.field.clients import OncePerWindow, client_address, client_key
from h2push.django_layer.field.sample import Sample
from h2push.django_layer.field.token import TokenClaims, issue, window_of
from tests.django_layer.field.reports import ASSETS, FINGERPRINT, OWN, ROUTE, report


def read(data: dict[str, Any]) -> Report | Refusal:
    return read_report(json.dumps(data).encode(), "text/plain", OWN, ASSETS)


# The request.

SAME_ORIGIN = {"Origin": OWN, "Sec-Fetch-Site": "same-origin"}


@pytest.mark.parametrize(
    "headers",
    [
        SAME_ORIGIN,
        {"Origin": OWN},  # a browser without Fetch Metadata
        {"Sec-Fetch-Site": "same-origin"},  # one that left Origin out
        {"origin": "https://SHOP.example:443", "sec-fetch-site": "Same-Origin"},
    ],
)
def test_a_same_origin_post_is_taken(headers: dict[str, str]) -> None:
    assert check_request("POST", headers, OWN) is None
    assert check_request("POST", headers, "https://shop.example:443") is None


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "OPTIONS", "post", ""])
def test_a_method_other_than_post_is_refused(method: str) -> None:
    assert check_request(method, SAME_ORIGIN, OWN) == Refusal(405, "not a POST")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},  # lies
        {"Origin": OWN, "Sec-Fetch-Site": "cross-site"},
        {"Origin": OWN, "Sec-Fetch-Site": "same-site"},
        {"Origin": OWN, "Sec-Fetch-Site": "none"},
        {"Origin": "http://shop.example"},
        {"Origin": "https://sub.shop.example"},
        {"Origin": "null"},
        {"Origin": ""},
        {"Origin": f"{OWN}/page"},
        {"Sec-Fetch-Site": "same-site"},
        {},
        {"Referer": f"{OWN}/page"},  # a Referer is not enough
    ],
)
def test_a_cross_origin_or_unmarked_request_is_refused(headers: dict[str, str]) -> None:
    refusal = check_request("POST", headers, OWN)
    assert refusal is not None
    assert refusal.status == 403


# The token, checked once the report is read.


def test_a_report_with_its_pages_token_is_taken() -> None:
    token = issue(ROUTE, FINGERPRINT, True)
    result = read(report(token=token))
    assert isinstance(result, Report)
    assert check_token(result) == TokenClaims(window_of(), True)


@pytest.mark.parametrize(
    "changes",
    [
        {"token": "0.0.AAAAAAAAAAAAAAAAAAAAAA"},  # forged
        {"token": issue("shop.example admin/", FINGERPRINT, False)},  # another route's
        {"token": issue(ROUTE, "9999-00000000", False)},  # another page's
        {"token": issue(ROUTE, FINGERPRINT, False, now=0)},  # replayed, long after
        {"token": "-"},  # token-less in all but name
        {"route": "shop.example admin/"},  # a route the token does not name
    ],
)
def test_a_report_without_a_valid_token_for_its_route_is_refused(
    changes: dict[str, Any],
) -> None:
    result = read(report(**changes))
    assert isinstance(result, Report)  # well formed...
    assert check_token(result) == Refusal(403, "token not valid")  # ...but refused


def test_a_token_less_report_is_refused() -> None:
    data = report()
    del data["token"]
    assert read(data) == Refusal(400, "report: a key missing")
    assert read(report(token="")) == Refusal(400, "token: not of its form")


# The whole chain, as the beacon's answer runs it: nothing refused adds a sample.

XFF = "HTTP_X_FORWARDED_FOR"


def admit(
    body: bytes,
    headers: dict[str, str],
    meta: dict[str, str],
    limiter: OncePerWindow,
    method: str = "POST",
) -> Sample | Refusal | None:
    """The sample a beacon adds, why it is refused, or ``None`` for a repeat."""
    refusal = check_request(method, headers, OWN)
    if refusal is not None:
        return refusal
    taken = read_report(body, "text/plain", OWN, ASSETS)
    if isinstance(taken, Refusal):
        return taken
    claims = check_token(taken)
    if isinstance(claims, Refusal):
        return claims
    client = client_key(client_address(meta, XFF))
    if not limiter.allow(taken.route, client, window_of()):
        return None
    return taken.sample(client, claims.holdout)


def test_a_flood_from_one_client_adds_one_sample() -> None:
    limiter = OncePerWindow()
    body = json.dumps(report(token=issue(ROUTE, FINGERPRINT, True))).encode()
    # One client, sending the header itself with a new address each time; the proxy
    # appends the address it saw.
    results = [
        admit(
            body,
            SAME_ORIGIN,
            {"REMOTE_ADDR": "10.0.0.2", XFF: f"192.0.2.{n}, 198.51.100.7"},
            limiter,
        )
        for n in range(200)
    ]
    samples = [result for result in results if isinstance(result, Sample)]
    assert len(samples) == 1 and results.count(None) == 199
    assert samples[0].holdout is True  # from the token, never from the report
    assert samples[0].client == client_key("198.51.100.7")
    other = {"REMOTE_ADDR": "10.0.0.2", XFF: "198.51.100.8"}
    assert isinstance(admit(body, SAME_ORIGIN, other, limiter), Sample)


def test_a_refused_beacon_does_not_count_against_its_client() -> None:
    limiter = OncePerWindow()
    meta = {"REMOTE_ADDR": "10.0.0.2", XFF: "198.51.100.7"}
    forged = json.dumps(report(token="0.0.AAAAAAAAAAAAAAAAAAAAAA")).encode()
    cross = {"Origin": "https://evil.example"}
    assert admit(forged, SAME_ORIGIN, meta, limiter) == Refusal(403, "token not valid")
    assert admit(json.dumps(report()).encode(), cross, meta, limiter) == Refusal(
        403, "another origin"
    )
    assert admit(b"{", SAME_ORIGIN, meta, limiter) == Refusal(400, "not UTF-8 JSON")
    assert admit(b"", SAME_ORIGIN, meta, limiter, method="GET") == Refusal(405, "not a POST")
    assert len(limiter) == 0
    assert isinstance(admit(json.dumps(report()).encode(), SAME_ORIGIN, meta, limiter), Sample)
