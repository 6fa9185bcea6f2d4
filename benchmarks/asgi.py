"""The ASGI applications the benchmark servers load (settings: ``benchmarks.settings``,
the variant in ``H2PUSH_BENCH_VARIANT``).

- ``plain``: Django's own ASGI handler and nothing more;
- ``h2push``: that handler inside :class:`h2push.asgi.H2PushMiddleware`;
- ``h2push_static``: like ``h2push``, with Django's static files handler inside the
  adapter as ``runh2server`` arranges it, so a hinted stylesheet can be fetched;
- ``plain_static``: Django with the static files handler and no h2push adapter
  (run with ``H2PUSH_BENCH_VARIANT=plain``, which also takes out the middleware);
- ``h2push_static_recorded`` and ``plain_static_recorded``: the same two inside the
  browser tests' request recorder, which logs when each request came and went to
  the file ``$H2PUSH_BROWSER_EVENTS`` names (see :mod:`benchmarks.server_record`);
- ``h2push_static_max_age``: ``h2push_static_recorded`` whose static files carry a
  lifetime (:class:`benchmarks.warm.StaticMaxAge`), for the warm-cache limit;
- ``bare`` and ``bare_hint``: no Django at all (the overhead benchmark's g and h).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from benchmarks.warm import StaticMaxAge
from h2push.asgi import H2PushMiddleware
from h2push.core.contract import EARLY_HINT_EXTENSION, Receive, Scope, Send
from harness.browser_recorder import RequestRecorder

__all__ = [
    "bare",
    "bare_hint",
    "h2push",
    "h2push_static",
    "h2push_static_max_age",
    "h2push_static_recorded",
    "plain",
    "plain_static",
    "plain_static_recorded",
]

_django = get_asgi_application()

# What a plain Django project serves. Hypercorn notes once that it does not answer
# the lifespan protocol and carries on without it.
plain = _django
h2push = H2PushMiddleware(_django)
h2push_static = H2PushMiddleware(ASGIStaticFilesHandler(_django))
plain_static = ASGIStaticFilesHandler(_django)
h2push_static_recorded = RequestRecorder(h2push_static)
plain_static_recorded = RequestRecorder(plain_static)
h2push_static_max_age = StaticMaxAge(h2push_static_recorded, str(settings.STATIC_URL))

# The bare app measures Hypercorn alone per response, and what one 103 adds to it.
BARE_LINKS = [
    b"</static/css/base.css>; rel=preload; as=style",
    b"</static/js/app.js>; rel=preload; as=script",
]
BARE_HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"link", b", ".join(BARE_LINKS))]
BARE_BODY = b"<!doctype html>" + b"." * 840


async def _lifespan(receive: Receive, send: Send) -> None:
    # Its own few lines, not h2push's helper: the bare app stands for any ASGI app.
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


async def _bare(scope: Scope, receive: Receive, send: Send, *, hint: bool) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if hint and EARLY_HINT_EXTENSION in scope.get("extensions", {}):
        await send({"type": "http.response.early_hint", "links": BARE_LINKS})
    await send({"type": "http.response.start", "status": 200, "headers": BARE_HEADERS})
    await send({"type": "http.response.body", "body": BARE_BODY})


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    await _bare(scope, receive, send, hint=False)


async def bare_hint(scope: Scope, receive: Receive, send: Send) -> None:
    await _bare(scope, receive, send, hint=True)
