"""WSGI applications for the end-to-end tests of Early Hints through Gunicorn.

- ``application``: the test app as a site would serve it, through
  :func:`h2push.wsgi.get_wsgi_application` (``gunicorn tests.support.apps.servers_wsgi``);
- ``without_callable``: the same, behind a wrapper that takes ``wsgi.early_hints``
  out of the environ: Gunicorn then acts as a WSGI server that offers no way to send
  a 103, which h2push must meet by changing nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.servers_settings")

from h2push.wsgi import get_wsgi_application

application = get_wsgi_application()


def without_callable(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    environ.pop("wsgi.early_hints", None)
    result: Iterable[bytes] = application(environ, start_response)
    return result
