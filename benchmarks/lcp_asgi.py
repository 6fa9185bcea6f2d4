"""The ASGI applications of the ``lcp`` benchmark's servers (settings:
:mod:`benchmarks.lcp_settings`).

- ``plain``: Django with Django's static files handler, no h2push (run with
  ``H2PUSH_BENCH_VARIANT=plain``, which also takes out the middleware);
- ``h2push``: what ``runh2server`` serves (:func:`h2push.server.wiring.django_application`:
  the h2push adapter around h2push's static files handler around Django).

Both inside the browser tests' request recorder (``$H2PUSH_BROWSER_EVENTS``), and
both outermost in :class:`StaticMaxAge`: Django's static file view, which
``runh2server`` and this site serve static files with, sends ``Last-Modified`` and no
``Cache-Control``, so a browser may keep a file only heuristically (a tenth of its
age since it was modified) and revalidates a file written a moment ago, as the hero
is, with a round trip. A site in production serves its static files with a
lifetime; so does this one, in every variant alike, so that the warm-cache limit
really has every asset in the cache.
"""

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.lcp_settings")

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from h2push.core.contract import ASGIApp, Message, Receive, Scope, Send
from h2push.server.wiring import django_application
from harness.browser_recorder import RequestRecorder

__all__ = ["MAX_AGE", "StaticMaxAge", "h2push", "plain"]

#: The lifetime given to every static file: an hour, longer than any run.
MAX_AGE = 3600


class StaticMaxAge:
    """Adds ``Cache-Control: public, max-age=...`` to answers under ``prefix`` that
    carry none; everything else passes through untouched."""

    def __init__(self, app: Any, prefix: str, max_age: int = MAX_AGE) -> None:
        self.app: ASGIApp = app
        self.prefix = prefix
        self.value = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_with_lifetime(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", self.value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_lifetime)


_static_url = str(settings.STATIC_URL)
plain = StaticMaxAge(RequestRecorder(ASGIStaticFilesHandler(get_asgi_application())), _static_url)
h2push = StaticMaxAge(RequestRecorder(django_application(serve_static=True)), _static_url)
