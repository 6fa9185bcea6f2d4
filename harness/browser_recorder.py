"""An ASGI wrapper that records when the server saw each request and answer.

The browser test must show from the server's side that the hinted stylesheet was
requested while the page's view was still working. Hypercorn's access log has
one-second timestamps and is written when a response ends, so it cannot show that;
this wrapper, outermost around the project's application, appends one line per event
to the file named by ``$H2PUSH_BROWSER_EVENTS``::

    <time.monotonic()> <event> <path[?query]>

Events: ``request`` (the scope arrived: the request's HEADERS were read), ``hint``
(a 103 was sent), ``push`` (a PUSH_PROMISE was asked for; the path is the pushed
one), ``start`` (the final response's HEADERS were sent, with the status) and
``end`` (the last body chunk was sent). ``time.monotonic()`` is the system-wide
``CLOCK_MONOTONIC`` on Linux, so the test process can compare it with its own clock.

The browser tests' site (``tests/support/apps/browser_asgi.py``) and the benchmarks'
application (``benchmarks/asgi.py``) wrap their applications in it; nothing in h2push
depends on it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ENV_VAR = "H2PUSH_BROWSER_EVENTS"


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    path: str = scope["path"]
    return path + (f"?{query}" if query else "")


class RequestRecorder:
    """Wraps ``app``; keeps it as ``.app`` so runh2server still finds the h2push
    adapter inside (``h2push.server.wiring.find_adapter`` follows ``.app``)."""

    def __init__(self, app: Any, path: str | None = None) -> None:
        self.app = app
        self.path = path if path is not None else os.environ.get(ENV_VAR)

    def _write(self, event: str, detail: str) -> None:
        if not self.path:
            return
        # One short append per event: the lines of concurrent requests never interleave.
        line = f"{time.monotonic():.6f} {event} {detail}\n"
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(line)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = _target(scope)
        self._write("request", target)

        async def recording_send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.early_hint":
                self._write("hint", target)
            elif kind == "http.response.push":
                self._write("push", message["path"])
            elif kind == "http.response.start":
                self._write("start", f"{target} {message['status']}")
            await send(message)
            if kind == "http.response.body" and not message.get("more_body", False):
                self._write("end", target)

        await self.app(scope, receive, recording_send)


def read_events(path: str | os.PathLike[str]) -> list[tuple[float, str, str]]:
    """The recorded ``(time, event, detail)`` lines, in the order they were written."""
    events = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            at, event, detail = line.rstrip("\n").split(" ", 2)
            events.append((float(at), event, detail))
    return events
