"""The ASGI applications of the page benchmarks' Hypercorn servers
(settings: :mod:`benchmarks.page_settings`).

- ``h2push_static``: Django inside :class:`h2push.asgi.H2PushMiddleware`, with
  Django's static files handler inside the adapter, as ``runh2server`` wires it;
- ``plain_static``: Django with the static files handler and no h2push adapter
  (run with ``H2PUSH_BENCH_VARIANT=plain``, which also takes out the middleware);
- ``h2push_static_recorded`` and ``plain_static_recorded``: the same two inside the
  browser tests' request recorder, which logs when each request came and went to
  the file ``$H2PUSH_BROWSER_EVENTS`` names (see :mod:`benchmarks.server_record`).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.page_settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from benchmarks.asgi import h2push, h2push_static, plain
from harness.browser_recorder import RequestRecorder

__all__ = [
    "h2push",
    "h2push_static",
    "h2push_static_recorded",
    "plain",
    "plain_static",
    "plain_static_recorded",
]

plain_static = ASGIStaticFilesHandler(plain)
h2push_static_recorded = RequestRecorder(h2push_static)
plain_static_recorded = RequestRecorder(plain_static)
