"""A small signed cookie listing what was pushed, so a push is not repeated.

In the spirit of h2o's CASPer: each pushed path is kept as a 16-bit hash (about
0.1% false positives with the 64 entries kept), the list is signed with an HMAC so a
forged or damaged cookie reads as empty, and the value has a hard size cap.
Hashed static names (``ManifestStaticFilesStorage``) make a changed file a new path,
and so a new entry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = [
    "COOKIE_NAME",
    "MAX_ENTRIES",
    "decode",
    "encode",
    "path_hash",
    "read_cookie",
    "set_cookie_value",
]

COOKIE_NAME = "h2push_digest"
MAX_ENTRIES = 64
_HASH_BYTES = 2
_MAC_BYTES = 8
# Base64 of 64 hashes and the MAC: a cookie no larger than this is all we read.
MAX_COOKIE_LENGTH = 4 * -(-(MAX_ENTRIES * _HASH_BYTES + _MAC_BYTES) // 3)
# A month: about how long a browser keeps a static asset that is cached for good.
MAX_AGE = 30 * 24 * 3600


def path_hash(path: str) -> int:
    return int.from_bytes(hashlib.sha256(path.encode()).digest()[:_HASH_BYTES], "big")


def _mac(payload: bytes, key: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def encode(hashes: list[int], key: bytes) -> str:
    """The cookie value for ``hashes`` (oldest first; only the newest are kept)."""
    payload = b"".join(h.to_bytes(_HASH_BYTES, "big") for h in hashes[-MAX_ENTRIES:])
    return base64.urlsafe_b64encode(payload + _mac(payload, key)).decode().rstrip("=")


def decode(value: str | None, key: bytes) -> list[int]:
    """The hashes in a cookie value; empty for a missing, oversized or forged one."""
    if not value or len(value) > MAX_COOKIE_LENGTH:
        return []
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return []
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if len(payload) % _HASH_BYTES or not hmac.compare_digest(mac, _mac(payload, key)):
        return []
    return [
        int.from_bytes(payload[i : i + _HASH_BYTES], "big")
        for i in range(0, len(payload), _HASH_BYTES)
    ]


def read_cookie(cookie_header: bytes, name: str = COOKIE_NAME) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` request header."""
    for pair in cookie_header.decode("latin-1").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value
    return None


def set_cookie_value(value: str, *, secure: bool = True) -> bytes:
    """The ``Set-Cookie`` header value that stores the digest; ``Secure`` unless the
    connection is cleartext, where a browser would drop a ``Secure`` cookie."""
    flags = "; Secure" if secure else ""
    return (
        f"{COOKIE_NAME}={value}; Path=/; Max-Age={MAX_AGE}{flags}; HttpOnly; SameSite=Lax"
    ).encode()
