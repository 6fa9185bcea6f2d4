"""h2push.django_layer.field.token: only a page h2push served can report on its route,
and only for a while."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from h2push.django_layer.field.token import (
    MAX_TOKEN_LENGTH,
    WINDOW_SECONDS,
    TokenClaims,
    issue,
    verify,
    window_of,
)

ROUTE = "shop.example products/<int:pk>/"
FINGERPRINT = "5120-9f3a77c1"
NOW = 1_700_000_000.0  # some moment in the middle of an hourly window
WINDOW = int(NOW // WINDOW_SECONDS)


def test_a_token_vouches_for_its_route_page_window_and_holdout() -> None:
    for holdout in (False, True):
        token = issue(ROUTE, FINGERPRINT, holdout, NOW)
        assert verify(token, ROUTE, FINGERPRINT, NOW) == TokenClaims(WINDOW, holdout)


def test_a_token_is_short_and_url_safe_with_a_mac_of_128_bits() -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW)
    window, holdout, mac = token.split(".")
    assert (window, holdout) == (str(WINDOW), "0")
    assert len(mac) == 22  # 16 bytes of base64 without padding: 128 bits
    assert len(token) <= 40
    assert set(token) <= set("0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")


def test_a_page_left_open_past_the_hour_still_reports() -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW)
    later = (WINDOW + 1) * WINDOW_SECONDS + WINDOW_SECONDS - 1  # the end of the next window
    assert verify(token, ROUTE, FINGERPRINT, later) == TokenClaims(WINDOW, False)


@pytest.mark.parametrize("hours_later", [2, 3, 24, 24 * 365])
def test_a_token_replayed_from_an_old_window_is_refused(hours_later: int) -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW)
    assert verify(token, ROUTE, FINGERPRINT, NOW + hours_later * WINDOW_SECONDS) is None


def test_a_token_from_the_future_is_refused() -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW + WINDOW_SECONDS)
    assert verify(token, ROUTE, FINGERPRINT, NOW) is None


def test_a_token_names_one_route_and_one_page() -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW)
    assert verify(token, "shop.example admin/", FINGERPRINT, NOW) is None
    assert verify(token, ROUTE, "5121-9f3a77c1", NOW) is None
    # The parts cannot be shifted into one another.
    assert verify(issue("a b", "c", False, NOW), "a", "b c", NOW) is None


def test_a_forged_token_is_refused() -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW)
    window, holdout, mac = token.split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    forgeries = [
        f"{window}.1.{mac}",  # claims a holdout visit the page was not
        f"{int(window) - 1}.{holdout}.{mac}",  # another window
        f"{window}.{holdout}.{flipped}",
        f"{window}.{holdout}.{'A' * 22}",
    ]
    for forgery in forgeries:
        assert verify(forgery, ROUTE, FINGERPRINT, NOW) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "token",
        ".",
        "..",
        "499057.0.",
        "499057.2.ioVCeqlQ_DuR7is4ahpehA",
        "0499057.0.ioVCeqlQ_DuR7is4ahpehA",  # a leading zero: a second spelling
        "-1.0.ioVCeqlQ_DuR7is4ahpehA",
        "499057.0.ioVCeqlQ_DuR7is4ahpehA==",
        "499057.0.ioVCeqlQ+DuR7is4ahpehA",
        "\u0664\u0669\u0669.0.ioVCeqlQ_DuR7is4ahpehA",  # Arabic-Indic digits
        "499057.0.ioVCeqlQ_DuR7is4ahpeh\n",
        "x" * (MAX_TOKEN_LENGTH + 1),
        "9" * 10_000,
    ],
)
def test_a_malformed_token_is_refused_without_raising(token: str) -> None:
    assert verify(token, ROUTE, FINGERPRINT, NOW) is None


@pytest.mark.parametrize("token", [None, 42, b"499057.0.ioVCeqlQ_DuR7is4ahpehA", ["x"]])
def test_a_token_of_another_type_is_refused_without_raising(token: object) -> None:
    assert verify(token, ROUTE, FINGERPRINT, NOW) is None  # type: ignore[arg-type]


def test_a_route_with_a_lone_surrogate_neither_raises_nor_matches() -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW)
    assert verify(token, "\ud800", FINGERPRINT, NOW) is None
    assert verify(issue("\udfff", FINGERPRINT, False, NOW), "\udfff", FINGERPRINT, NOW)


def test_the_key_comes_from_secret_key() -> None:
    token = issue(ROUTE, FINGERPRINT, False, NOW)
    with override_settings(SECRET_KEY="another-secret-key-entirely"):
        assert verify(token, ROUTE, FINGERPRINT, NOW) is None
        assert issue(ROUTE, FINGERPRINT, False, NOW) != token


def test_a_token_signed_before_the_key_was_rotated_lasts_its_time() -> None:
    token = issue(ROUTE, FINGERPRINT, True, NOW)
    with override_settings(SECRET_KEY="the-new-secret-key", SECRET_KEY_FALLBACKS=["old", ""]):
        assert verify(token, ROUTE, FINGERPRINT, NOW) is None  # not a fallback yet
    with override_settings(
        SECRET_KEY="the-new-secret-key", SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        assert verify(token, ROUTE, FINGERPRINT, NOW) == TokenClaims(WINDOW, True)
        assert issue(ROUTE, FINGERPRINT, True, NOW) != token  # new tokens use the new key


def test_the_window_is_the_hour() -> None:
    assert window_of(0) == 0
    assert window_of(WINDOW_SECONDS - 0.001) == 0
    assert window_of(WINDOW_SECONDS) == 1
    assert window_of(NOW) == WINDOW
    assert isinstance(window_of(), int)
