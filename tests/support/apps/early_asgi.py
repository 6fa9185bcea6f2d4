"""ASGI app for the two-worker end-to-end test (``tests.support.apps.early_asgi:application``).

Django with its static files served inside (as in development, so pushed
``/static/`` paths answer), in the h2push adapter. Every response says which
worker process served it in an ``x-worker-pid`` header.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.early_settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from h2push.asgi import H2PushMiddleware

Message = dict[str, Any]

adapter = H2PushMiddleware(ASGIStaticFilesHandler(get_asgi_application()))
PID = str(os.getpid()).encode()


async def application(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        await adapter(scope, receive, send)
        return

    async def send_with_pid(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), (b"x-worker-pid", PID)]
            message = {**message, "headers": headers}
        await send(message)

    await adapter(scope, receive, send_with_pid)
