"""The ASGI applications of the ``lcp`` benchmark's servers (settings:
:mod:`benchmarks.lcp_settings`).

- ``plain``: Django with Django's static files handler, no h2push (run with
  ``H2PUSH_BENCH_VARIANT=plain``, which also takes out the middleware);
- ``h2push``: what ``runh2server`` serves (:func:`h2push.server.wiring.django_application`:
  the h2push adapter around h2push's static files handler around Django).

Both inside the browser tests' request recorder (``$H2PUSH_BROWSER_EVENTS``), and
both outermost in :class:`benchmarks.warm.StaticMaxAge`: Django's static file view,
which ``runh2server`` and this site serve static files with, sends ``Last-Modified``
and no ``Cache-Control``, so a browser would revalidate a file written a moment ago,
as the hero is, with a round trip. A site in production serves its static files with
a lifetime; so does this one, in every variant alike, so that the warm-cache limit
really has every asset in the cache.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.lcp_settings")

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from benchmarks.warm import StaticMaxAge
from h2push.server.wiring import django_application
from harness.browser_recorder import RequestRecorder

__all__ = ["h2push", "plain"]

_static_url = str(settings.STATIC_URL)
plain = StaticMaxAge(RequestRecorder(ASGIStaticFilesHandler(get_asgi_application())), _static_url)
h2push = StaticMaxAge(RequestRecorder(django_application(serve_static=True)), _static_url)
