"""The WSGI delivery path, configured from Django's settings.

:func:`get_wsgi_application` is the drop-in for Django's own in ``wsgi.py``: under a
server that offers ``wsgi.early_hints`` (Gunicorn 25 and later), pages get their
103 Early Hints before the view runs; elsewhere nothing changes.
"""

from __future__ import annotations

from typing import Any

from h2push.delivery.wsgi_middleware import EarlyHintsMiddleware, WSGIApp
from h2push.django_layer.checks import refuse_invalid_settings
from h2push.django_layer.conf import conf
from h2push.django_layer.origins import asset_origins

__all__ = ["H2PushWSGIMiddleware", "get_wsgi_application"]


class H2PushWSGIMiddleware(EarlyHintsMiddleware):
    """:class:`~h2push.delivery.wsgi_middleware.EarlyHintsMiddleware` with ``early_hints``
    read from ``H2PUSH_EARLY_HINTS`` unless given, and the site's asset origins
    (:func:`h2push.django_layer.origins.asset_origins`)."""

    def __init__(self, app: WSGIApp, *, early_hints: bool | None = None) -> None:
        refuse_invalid_settings()
        super().__init__(app)
        self._early_hints_setting = early_hints

    @property
    def early_hints(self) -> bool:
        setting = self._early_hints_setting
        return conf.H2PUSH_EARLY_HINTS if setting is None else setting

    @property
    def asset_origins(self) -> frozenset[str]:
        return asset_origins()


def get_wsgi_application() -> Any:
    """Django's WSGI application wrapped in :class:`H2PushWSGIMiddleware`."""
    from django.core.wsgi import get_wsgi_application as get_django_application

    return H2PushWSGIMiddleware(get_django_application())
