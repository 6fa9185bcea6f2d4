"""The token a page carries, so that only a page h2push served can report on its route.

A token is issued with each page that asks for a report and comes back in the
report. It is an HMAC-SHA256, keyed by a key derived from ``SECRET_KEY``, over the
page's route, its fingerprint, an hourly time window and whether the page was served
without a 103 on purpose (the holdout). The report cannot choose its own route,
pretend to be a holdout visit, or be replayed hours later: :func:`verify` accepts a
token of the current window or the one before (a page left open past the turn of
the hour still reports), nothing older and nothing from the future.

The form is ``<window>.<holdout>.<mac>``: the window as a decimal number, ``1`` or
``0``, and the first 128 bits of the MAC in URL-safe base64 without padding, about
31 characters in all. Nothing in it names the visitor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

from h2push.core import caches

__all__ = ["MAX_TOKEN_LENGTH", "WINDOW_SECONDS", "TokenClaims", "issue", "verify", "window_of"]

#: How long one time window lasts: a token is good for this long, and up to one more.
WINDOW_SECONDS = 3600
#: The longest token :func:`verify` looks at; a real one is about 31 characters.
MAX_TOKEN_LENGTH = 64

# 128 bits of the MAC: forging one takes 2**128 guesses, and each guess is a request.
_MAC_BYTES = 16
_MAC_CHARACTERS = 22  # base64 of 16 bytes, without its "==" padding
_SALT = "h2push.field.token"
# ASCII digits only ("\d" would take other scripts' digits), no leading zero, so that
# one set of claims has exactly one spelling.
_FORM = re.compile(rf"(0|[1-9][0-9]{{0,11}})\.([01])\.([A-Za-z0-9_-]{{{_MAC_CHARACTERS}}})")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token vouches for, besides its route and fingerprint."""

    window: int  # the time window the page was served in
    holdout: bool  # the page was served without a 103 on purpose


def window_of(now: float | None = None) -> int:
    """The time window of ``now`` (seconds since the epoch; the current time if
    ``None``): the number :func:`issue` signs and a limiter counts samples in."""
    return int((time.time() if now is None else now) // WINDOW_SECONDS)


def issue(route: str, fingerprint: str, holdout: bool, now: float | None = None) -> str:
    """The token for a page of ``route`` whose fingerprint is ``fingerprint``, served
    at ``now`` (the current time if ``None``), a holdout visit or not."""
    window = window_of(now)
    mac = _mac(_secret_keys()[0], route, fingerprint, window, holdout)
    return f"{window}.{int(holdout)}.{mac}"


def verify(
    token: str, route: str, fingerprint: str, now: float | None = None
) -> TokenClaims | None:
    """The claims of ``token`` if h2push issued it for ``route`` and ``fingerprint`` in
    the window of ``now`` or the one before; ``None`` for anything else (a forged,
    altered, expired or malformed token, or one of another route or page). Never
    raises, whatever it is given."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    if not isinstance(route, str) or not isinstance(fingerprint, str):
        return None
    form = _FORM.fullmatch(token)
    if form is None:
        return None
    window, holdout, given = int(form[1]), form[2] == "1", form[3]
    current = window_of(now)
    if window not in (current, current - 1):
        return None
    # Tokens signed before SECRET_KEY was rotated stay good while they last, as
    # Django's own signatures do with SECRET_KEY_FALLBACKS.
    for secret in _secret_keys():
        # Both sides are ASCII text of one length: compare_digest takes its time
        # from the length alone, not from where they differ.
        if hmac.compare_digest(_mac(secret, route, fingerprint, window, holdout), given):
            return TokenClaims(window=window, holdout=holdout)
    return None


def _mac(secret: str, route: str, fingerprint: str, window: int, holdout: bool) -> str:
    digest = hmac.new(
        _derived_key(secret), _message(route, fingerprint, window, holdout), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode("ascii").rstrip("=")


def _message(route: str, fingerprint: str, window: int, holdout: bool) -> bytes:
    # Each part is prefixed with its length, so that no two sets of parts give the
    # same bytes ("a b" + "c" against "a" + "b c"). surrogatepass: a lone surrogate
    # (JSON can carry one) must not raise; the beacon's checks refuse it anyway.
    parts = (route, fingerprint, str(window), "1" if holdout else "0")
    encoded = (part.encode("utf-8", "surrogatepass") for part in parts)
    return b"".join(b"%d:%s," % (len(part), part) for part in encoded)


def _secret_keys() -> list[str]:
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", None) or []
    return [settings.SECRET_KEY, *fallbacks]


@caches.per_process(4)
def _derived_key(secret_key: str) -> bytes:
    # A key of the token's own: a MAC made for one purpose is never valid for another
    # (the push digest, the client keys, Django's own signatures).
    return salted_hmac(_SALT, "key", secret=secret_key, algorithm="sha256").digest()
