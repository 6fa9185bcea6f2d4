"""ASGI app for the two-worker end-to-end test (``tests.support.apps.early_asgi:application``).

Django in the h2push adapter with its static files served inside (as in
development, so pushed ``/static/`` paths answer), wired by :mod:`h2push.server.wiring` as
``runh2server`` would wire it. Every response says which worker process served it
in an ``x-worker-pid`` header.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.early_settings")

from h2push.core.contract import Message, Receive, Scope, Send
from h2push.server.wiring import django_application

adapter = django_application(serve_static=True)
PID = str(os.getpid()).encode()


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        await adapter(scope, receive, send)
        return

    async def send_with_pid(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), (b"x-worker-pid", PID)]
            message = {**message, "headers": headers}
        await send(message)

    await adapter(scope, receive, send_with_pid)
