"""The ASGI applications of the page benchmarks' Hypercorn servers
(settings: :mod:`benchmarks.page_settings`).

- ``h2push_static``: Django inside :class:`h2push.asgi.H2PushMiddleware`, with
  Django's static files handler inside the adapter, as ``runh2server`` wires it;
- ``plain_static``: Django with the static files handler and no h2push adapter
  (run with ``H2PUSH_BENCH_VARIANT=plain``, which also takes out the middleware).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.page_settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from benchmarks.asgi import h2push, h2push_static, plain

__all__ = ["h2push", "h2push_static", "plain", "plain_static"]

plain_static = ASGIStaticFilesHandler(plain)
