"""The delivery layer's ASGI adapter, configured from Django's settings.

:class:`H2PushMiddleware` is :class:`h2push.delivery.asgi.DeliveryMiddleware` with
each option it is not given read from the ``H2PUSH_*`` settings on every request
(so ``override_settings`` is seen at once), and :func:`get_asgi_application` is the
drop-in for Django's own in ``asgi.py``. This is the one place where the delivery
layer meets Django's settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from h2push.checks import refuse_invalid_settings
from h2push.conf import conf
from h2push.contract import EARLY_LINKS_SCOPE_KEY, ASGIApp
from h2push.delivery.asgi import DeliveryMiddleware, early_hint_links, header_names, push_paths
from h2push.lifespan import answer_lifespan

__all__ = [
    "EARLY_LINKS_SCOPE_KEY",
    "H2PushMiddleware",
    "answer_lifespan",
    "early_hint_links",
    "get_asgi_application",
    "push_paths",
]


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

    @property
    def push_enabled(self) -> bool:
        return conf.H2PUSH_ENABLED if self._push_setting is None else self._push_setting

    @property
    def early_hints(self) -> bool:
        setting = self._early_hints_setting
        return conf.H2PUSH_EARLY_HINTS if setting is None else setting

    @property
    def copy_headers(self) -> frozenset[bytes]:
        names = self._copy_headers_setting
        return header_names(conf.H2PUSH_COPY_HEADERS if names is None else names)

    @property
    def informational_hints(self) -> bool:
        setting = self._informational_setting
        return conf.H2PUSH_EARLY_HINTS_AS_INFORMATIONAL if setting is None else setting

    @property
    def push_budget(self) -> int:
        setting = self._push_budget_setting
        return conf.H2PUSH_PUSH_BUDGET if setting is None else setting

    @property
    def digest_key(self) -> bytes | None:
        setting = self._push_digest_setting
        enabled = conf.H2PUSH_PUSH_DIGEST if setting is None else setting
        return _digest_key() if enabled else None


def _digest_key() -> bytes:
    from django.conf import settings

    return _derived_key(settings.SECRET_KEY)


@lru_cache(maxsize=2)
def _derived_key(secret_key: str) -> bytes:
    from django.utils.crypto import salted_hmac

    return salted_hmac("h2push.digest", "key", secret=secret_key, algorithm="sha256").digest()


def get_asgi_application() -> H2PushMiddleware:
    """Django's ASGI application wrapped in :class:`H2PushMiddleware`.

    A drop-in for ``django.core.asgi.get_asgi_application`` in ``asgi.py``.
    """
    from django.core.asgi import get_asgi_application as get_django_application

    return H2PushMiddleware(get_django_application())
