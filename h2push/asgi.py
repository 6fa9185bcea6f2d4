"""The delivery layer's ASGI adapter, configured from Django's settings.

:class:`H2PushMiddleware` is :class:`h2push.delivery.asgi_middleware.DeliveryMiddleware` with
each option it is not given read from the ``H2PUSH_*`` settings on every request
(so ``override_settings`` is seen at once), and :func:`get_asgi_application` is the
drop-in for Django's own in ``asgi.py``. This is the one place where the delivery
layer meets Django's settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from h2push.core import caches
from h2push.core.contract import EARLY_LINKS_SCOPE_KEY, ASGIApp
from h2push.delivery.asgi_middleware import (
    DeliveryMiddleware,
    early_hint_links,
    header_names,
    push_paths,
)
from h2push.delivery.lifespan import answer_lifespan
from h2push.delivery.options import Options
from h2push.django_layer.checks import refuse_invalid_settings
from h2push.django_layer.conf import conf
from h2push.django_layer.origins import asset_origins

__all__ = [
    "EARLY_LINKS_SCOPE_KEY",
    "H2PushMiddleware",
    "answer_lifespan",
    "early_hint_links",
    "get_asgi_application",
    "push_paths",
]


T = TypeVar("T")


class H2PushMiddleware(DeliveryMiddleware):
    """Wraps an ASGI app so its preload links become HTTP/2 pushes and 103 hints.

    ``push``: turn pushing on or off (default: ``H2PUSH_ENABLED``).
    ``copy_headers``: request headers each promised request copies (default: the
    ``H2PUSH_COPY_HEADERS`` setting). ``early_hints`` (``H2PUSH_EARLY_HINTS``),
    ``push_budget`` (``H2PUSH_PUSH_BUDGET``) and ``push_digest``
    (``H2PUSH_PUSH_DIGEST``, signed with a key derived from ``SECRET_KEY``) and
    ``informational_hints`` (``H2PUSH_EARLY_HINTS_AS_INFORMATIONAL``) likewise.
    ``lifespan``: answer the ASGI lifespan protocol here, for apps such as Django's
    handler that reject it; pass ``False`` to forward it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        push: bool | None = None,
        early_hints: bool | None = None,
        copy_headers: Iterable[str] | None = None,
        push_budget: int | None = None,
        push_digest: bool | None = None,
        informational_hints: bool | None = None,
        lifespan: bool = True,
    ) -> None:
        refuse_invalid_settings()
        super().__init__(app, lifespan=lifespan)
        self._push_setting = push
        self._early_hints_setting = early_hints
        self._copy_headers_setting = None if copy_headers is None else tuple(copy_headers)
        self._push_budget_setting = push_budget
        self._push_digest_setting = push_digest
        self._informational_setting = informational_hints
        self._options_of: object = None
        self._current = Options()

    def options(self) -> Options:
        """The options of the settings in force, worked out again after a change."""
        if self._options_of is not _settings_generation:
            self._options_of = _settings_generation
            self._current = self._read_settings()
        return self._current

    def _read_settings(self) -> Options:
        def setting(given: T | None, value: T) -> T:
            return value if given is None else given

        names = setting(self._copy_headers_setting, conf.H2PUSH_COPY_HEADERS)
        digest = setting(self._push_digest_setting, conf.H2PUSH_PUSH_DIGEST)
        return Options(
            push=setting(self._push_setting, conf.H2PUSH_ENABLED),
            early_hints=setting(self._early_hints_setting, conf.H2PUSH_EARLY_HINTS),
            copy_headers=header_names(names),
            push_budget=setting(self._push_budget_setting, conf.H2PUSH_PUSH_BUDGET),
            digest_key=_digest_key() if digest else None,
            informational_hints=setting(
                self._informational_setting, conf.H2PUSH_EARLY_HINTS_AS_INFORMATIONAL
            ),
            asset_origins=asset_origins(),
        )


# Bumped by every settings change (tests' override_settings): each middleware then
# reads its options anew on its next request, and never between changes.
_settings_generation = object()


def _next_generation() -> None:
    global _settings_generation
    _settings_generation = object()


caches.on_forget(_next_generation)


def _digest_key() -> bytes:
    from django.conf import settings

    return _derived_key(settings.SECRET_KEY)


@caches.per_process(2)
def _derived_key(secret_key: str) -> bytes:
    from django.utils.crypto import salted_hmac

    return salted_hmac("h2push.digest", "key", secret=secret_key, algorithm="sha256").digest()


def get_asgi_application() -> H2PushMiddleware:
    """Django's ASGI application wrapped in :class:`H2PushMiddleware`.

    A drop-in for ``django.core.asgi.get_asgi_application`` in ``asgi.py``.
    """
    from django.core.asgi import get_asgi_application as get_django_application

    return H2PushMiddleware(get_django_application())
