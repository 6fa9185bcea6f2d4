"""The push digest cookie: a pushed asset is not pushed again to the same client."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from django.test import override_settings

from h2push.core.linkheader import parse_link, split_links
from h2push.delivery import digest
from h2push.testing import H2TestClient, H2TestResponse
from harness.constants import EARLY_URLS

pytestmark = pytest.mark.urls(EARLY_URLS)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
ASSETS = ["/static/css/base.css", "/static/js/app.js"]
# The largest value a browser must keep for one cookie (RFC 6265 section 6.1).
COOKIE_HARD_LIMIT = 4096


@pytest.fixture(autouse=True)
def _digest_on(fresh_store: None) -> Iterator[None]:
    with override_settings(H2PUSH_PUSH_DIGEST=True):
        yield


def pushed_paths(client: H2TestClient) -> list[str]:
    return [path for path, _ in client.push_promises]


def digest_cookie(response: H2TestResponse) -> SimpleCookie:
    cookies = SimpleCookie()
    for value in response.header_values("set-cookie"):
        cookies.load(value)
    return cookies


def digest_value(response: H2TestResponse) -> str:
    cookie = digest_cookie(response)
    assert digest.COOKIE_NAME in cookie, response.header_values("set-cookie")
    return cookie[digest.COOKIE_NAME].value


def with_cookie(value: str) -> dict[str, str]:
    return {"cookie": f"sessionid=abc; {digest.COOKIE_NAME}={value}; theme=dark"}


def links(response: H2TestResponse) -> list[str]:
    return [v for header in response.header_values("link") for v in split_links(header)]


# --- encode, decode, read_cookie ----------------------------------------------------------


def test_encode_decode_roundtrip_keeps_order() -> None:
    hashes = [digest.path_hash(f"/static/{n}.css") for n in range(10)]
    assert digest.decode(digest.encode(hashes, KEY), KEY) == hashes


def test_encode_keeps_only_the_newest_entries_and_stays_under_the_cap() -> None:
    hashes = list(range(200))
    value = digest.encode(hashes, KEY)
    assert len(value) <= digest.MAX_COOKIE_LENGTH
    assert digest.decode(value, KEY) == hashes[-digest.MAX_ENTRIES :]
    assert len(digest.set_cookie_value(value)) < COOKIE_HARD_LIMIT


def test_empty_digest_roundtrips() -> None:
    assert digest.decode(digest.encode([], KEY), KEY) == []


def test_path_hash_is_stable_and_small() -> None:
    assert digest.path_hash("/static/a.css") == digest.path_hash("/static/a.css")
    assert digest.path_hash("/static/a.1234.css") != digest.path_hash("/static/a.5678.css")
    assert all(0 <= digest.path_hash(f"/p/{n}") < 2**16 for n in range(100))


def _signed(payload: bytes, key: bytes = KEY) -> str:
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:8]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "!!!!",
        "a",
        "ÿÿÿÿ",
        "€uro",
        "AAAA",
        "=" * 12,
        "x" * (digest.MAX_COOKIE_LENGTH + 1),
        "A" * 100_000,
        # Valid base64, wrong MAC.
        base64.urlsafe_b64encode(b"\x01\x02" * 5 + b"\x00" * 8).decode().rstrip("="),
        # Signed with another key.
        digest.encode([1, 2, 3], OTHER_KEY),
        # A payload of odd length, correctly signed.
        _signed(b"\x01\x02\x03"),
        # Correctly signed, but far longer than any cookie we write.
        _signed(b"\x00\x01" * (2 * digest.MAX_ENTRIES)),
    ],
    ids=[
        "none",
        "empty",
        "not-base64",
        "one-char",
        "latin1",
        "non-latin1",
        "too-short",
        "padding-only",
        "oversized",
        "huge",
        "wrong-mac",
        "other-key",
        "odd-payload",
        "signed-but-oversized",
    ],
)
def test_decode_treats_malformed_forged_and_oversized_values_as_empty(value: str | None) -> None:
    assert digest.decode(value, KEY) == []


def test_decode_rejects_a_tampered_value() -> None:
    value = digest.encode([7, 8, 9], KEY)
    raw = bytearray(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    raw[0] ^= 0xFF
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    assert digest.decode(tampered, KEY) == []
    assert digest.decode(value, KEY) == [7, 8, 9]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"h2push_digest=abc", "abc"),
        (b"a=1; h2push_digest=abc; b=2", "abc"),
        (b"a=1;h2push_digest=abc==;b=2", "abc=="),
        (b"  h2push_digest=abc  ", "abc"),
        (b"xh2push_digest=abc; h2push_digestx=def", None),
        (b"a=1; b=2", None),
        (b"", None),
        (b"h2push_digest=", ""),
        (b"\xff\xfe; h2push_digest=\xe9", "\xe9"),
    ],
)
def test_read_cookie(header: bytes, expected: str | None) -> None:
    assert digest.read_cookie(header) == expected


def test_set_cookie_value_attributes() -> None:
    cookie = SimpleCookie()
    cookie.load(digest.set_cookie_value("abc").decode())
    morsel = cookie[digest.COOKIE_NAME]
    assert morsel.value == "abc"
    assert morsel["path"] == "/"
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert int(morsel["max-age"]) > 0


# --- through the ASGI adapter -------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/early/declared/", "/early/learn/?s=css/base.css&s=js/app.js"], ids=str
)
def test_first_response_pushes_and_sets_a_secure_cookie(path: str) -> None:
    client = H2TestClient()
    response = client.get(path)
    assert response.status == 200
    assert pushed_paths(client) == ASSETS
    headers = response.header_values("set-cookie")
    assert len(headers) == 1
    morsel = digest_cookie(response)[digest.COOKIE_NAME]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert len(morsel.value) <= digest.MAX_COOKIE_LENGTH
    assert sorted(digest.decode(morsel.value, _server_key())) == sorted(
        digest.path_hash(p) for p in ASSETS
    )


def _server_key() -> bytes:
    from h2push.asgi import _digest_key

    return _digest_key()


@pytest.mark.parametrize(
    "path", ["/early/declared/", "/early/learn/?s=css/base.css&s=js/app.js"], ids=str
)
def test_a_client_with_the_cookie_gets_no_repeat_push_and_nopush_links(path: str) -> None:
    value = digest_value(H2TestClient().get(path))
    client = H2TestClient()
    response = client.get(path, headers=with_cookie(value))
    assert response.status == 200
    assert client.push_promises == []
    parsed = [parse_link(v) for v in links(response)]
    assert [link.url for link in parsed if link and link.is_preload] == ASSETS
    assert all(link is not None and link.nopush for link in parsed)
    # Nothing new was pushed, so the cookie is not rewritten.
    assert response.header_values("set-cookie") == []


def test_declared_links_are_still_hinted_for_a_client_with_the_cookie() -> None:
    value = digest_value(H2TestClient().get("/early/declared/"))
    client = H2TestClient()
    client.get("/early/declared/", headers=with_cookie(value))
    assert client.push_promises == []
    assert client.early_hints == [
        [
            "</static/css/base.css>; rel=preload; as=style",
            "</static/js/app.js>; rel=preload; as=script",
        ]
    ]


def test_only_the_assets_not_in_the_cookie_are_pushed() -> None:
    value = digest_value(H2TestClient().get("/early/learn/?s=css/base.css"))
    client = H2TestClient()
    response = client.get(
        "/early/learn/?s=css/base.css&s=js/app.js&s=img/logo.png", headers=with_cookie(value)
    )
    assert pushed_paths(client) == ["/static/js/app.js", "/static/img/logo.png"]
    assert "</static/css/base.css>; rel=preload; as=style; nopush" in links(response)
    # The new cookie holds all three.
    assert sorted(digest.decode(digest_value(response), _server_key())) == sorted(
        digest.path_hash(p)
        for p in ["/static/css/base.css", "/static/js/app.js", "/static/img/logo.png"]
    )


def _forged_values() -> dict[str, str]:
    return {
        "garbage": "%%%not-a-digest%%%",
        "not-base64": "!!!!!!!!",
        "non-ascii": "ÿÿÿÿ",
        "oversized": "A" * 5000,
        "wrong-mac": base64.urlsafe_b64encode(b"\x12\x34" * 4 + b"\x00" * 8).decode().rstrip("="),
        "empty": "",
    }


@pytest.mark.parametrize("name", list(_forged_values()))
def test_a_malformed_or_forged_cookie_is_ignored(name: str) -> None:
    client = H2TestClient()
    response = client.get("/early/declared/", headers=with_cookie(_forged_values()[name]))
    assert response.status == 200
    assert pushed_paths(client) == ASSETS
    assert all(p.status == 200 for p in response.pushed.values())
    # A valid cookie replaces the bad one.
    assert len(digest.decode(digest_value(response), _server_key())) == 2


def test_a_cookie_signed_with_another_secret_key_is_ignored() -> None:
    with override_settings(SECRET_KEY="another-secret-key-for-this-test"):
        foreign = digest_value(H2TestClient().get("/early/declared/"))
    assert digest.decode(foreign, _server_key()) == []
    client = H2TestClient()
    client.get("/early/declared/", headers=with_cookie(foreign))
    assert pushed_paths(client) == ASSETS


def test_the_cookie_stays_under_its_cap_after_many_different_assets() -> None:
    paths = [f"/static/gen/{number}.css" for number in range(200)]
    value = ""
    with override_settings(H2PUSH_LEARN=False):
        for start in range(0, len(paths), 16):
            page = paths[start : start + 16]
            client = H2TestClient()
            query = "&".join(f"u={p}" for p in page)
            response = client.get(f"/early/learn/?{query}", headers=with_cookie(value))
            assert response.status == 200
            assert pushed_paths(client) == page
            set_cookie = response.header_values("set-cookie")
            assert len(set_cookie) == 1
            assert len(set_cookie[0]) < COOKIE_HARD_LIMIT
            value = digest_value(response)
            assert len(value) <= digest.MAX_COOKIE_LENGTH
        entries = digest.decode(value, _server_key())
        assert len(entries) == digest.MAX_ENTRIES
        assert entries[-1] == digest.path_hash(paths[-1])

        # The newest are remembered: the last page is not pushed again...
        client = H2TestClient()
        client.get(f"/early/learn/?{query}", headers=with_cookie(value))
        assert client.push_promises == []
        # ...while the oldest have been dropped and are pushed once more.
        client = H2TestClient()
        client.get(f"/early/learn/?u={paths[0]}", headers=with_cookie(value))
        assert pushed_paths(client) == [paths[0]]


def test_a_hashed_name_change_is_a_new_entry() -> None:
    old, new = "/static/css/base.aaaa1111.css", "/static/css/base.bbbb2222.css"
    value = digest_value(H2TestClient().get(f"/early/learn/?u={old}"))
    client = H2TestClient()
    client.get(f"/early/learn/?u={new}", headers=with_cookie(value))
    assert pushed_paths(client) == [new]


def test_no_cookie_without_push() -> None:
    for client in (
        H2TestClient(extensions=()),
        H2TestClient(extensions=("http.response.early_hint",)),
    ):
        response = client.get("/early/declared/")
        assert response.status == 200
        assert client.push_promises == []
        assert response.header_values("set-cookie") == []


def test_no_cookie_when_the_digest_is_off() -> None:
    with override_settings(H2PUSH_PUSH_DIGEST=False):
        client = H2TestClient()
        response = client.get("/early/declared/")
        assert pushed_paths(client) == ASSETS
        assert response.header_values("set-cookie") == []
