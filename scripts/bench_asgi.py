"""ASGI applications for ``scripts/benchmark.py`` (settings: ``bench_settings``).

- ``plain``: Django's own ASGI handler, nothing else;
- ``h2push``: the same handler inside :class:`h2push.asgi.H2PushMiddleware`;
- ``h2push_static``: as ``h2push``, with Django's static files handler inside the
  adapter (as ``runh2server`` wires it), so hinted or pushed CSS can be fetched.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from h2push.asgi import H2PushMiddleware

_django = get_asgi_application()

# Exactly what a plain Django project serves (Hypercorn logs, once, that it does
# not speak the lifespan protocol, and goes on without it).
plain = _django

h2push = H2PushMiddleware(_django)
h2push_static = H2PushMiddleware(ASGIStaticFilesHandler(_django))


# A bare ASGI application, no Django: what Hypercorn alone costs per response, and
# what one 103 Early Hints response adds to that (variants g and h).
BARE_LINKS = [
    b"</static/css/base.css>; rel=preload; as=style",
    b"</static/js/app.js>; rel=preload; as=script",
]
BARE_HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"link", b", ".join(BARE_LINKS))]
BARE_BODY = b"<!doctype html>" + b"." * 840


async def _bare(scope, receive, send, hint):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if hint and "http.response.early_hint" in scope.get("extensions", {}):
        await send({"type": "http.response.early_hint", "links": BARE_LINKS})
    await send({"type": "http.response.start", "status": 200, "headers": BARE_HEADERS})
    await send({"type": "http.response.body", "body": BARE_BODY})


async def bare(scope, receive, send):  # type: ignore[no-untyped-def]
    await _bare(scope, receive, send, False)


async def bare_hint(scope, receive, send):  # type: ignore[no-untyped-def]
    await _bare(scope, receive, send, True)
