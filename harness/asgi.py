"""Drive an ASGI application the way a server would, and record what it sends.

One :class:`AsgiCall` is one call of ``app(scope, receive, send)``::

    call = AsgiCall(scope, body=b"form=data")
    await call.run(app)               # or async_to_sync(call.run)(app)
    call.messages                     # every message the app sent, in order

``receive`` hands out ``incoming`` in order (by default one ``http.request`` with
``body``), then waits until the call is over and answers ``http.disconnect``: an
app that listens for a disconnect while it works (Django's handler does) hears
none before its response is complete, as with a client that stays connected.

``send`` records each message, fails as Hypercorn does when the app sends a push
or an early hint that the scope does not advertise, then calls ``on_send``: the
place to react to messages, e.g. start a promised request as a server would (see
``tests.support.early_harness.FakeConnection``).

``receive`` and ``send`` are attributes, made once, so a test can check that an app
passed the very same callables on. :func:`call_app` is the one-line form. The
helpers ``kinds``, ``pushed_paths``, ``response_start`` read a list of messages.

(``h2push.testing.H2TestClient`` is the public client for Django projects; this
module is for tests that need a bare app, their own scope or a hook on ``send``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "HINT",
    "PUSH",
    "START",
    "App",
    "AsgiCall",
    "Message",
    "Scope",
    "call_app",
    "kinds",
    "pushed_paths",
    "response_start",
]

Message = dict[str, Any]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Any, Any], Awaitable[None]]

PUSH = "http.response.push"
HINT = "http.response.early_hint"
START = "http.response.start"
# Messages a server accepts only if it put their extension in the scope.
_EXTENSIONS = (PUSH, HINT)


class AsgiCall:
    """``receive`` and ``send`` for one call of an ASGI app, and what it sent."""

    def __init__(
        self,
        scope: Scope,
        *,
        body: bytes = b"",
        incoming: Iterable[Message] | None = None,
        on_send: Callable[[Message], None] | None = None,
    ) -> None:
        self.scope = scope
        self.messages: list[Message] = []
        if incoming is None:
            incoming = [{"type": "http.request", "body": body, "more_body": False}]
        self._incoming = list(incoming)
        self._on_send = on_send
        self._over = asyncio.Event()
        self.receive: Receive = self._receive
        self.send: Send = self._send

    async def _receive(self) -> Message:
        if self._incoming:
            return self._incoming.pop(0)
        await self._over.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind in _EXTENSIONS and kind not in (self.scope.get("extensions") or {}):
            raise RuntimeError(f"{kind} sent, but the scope does not advertise it")
        self.messages.append(message)
        if self._on_send is not None:
            self._on_send(message)

    async def run(self, app: App, timeout: float | None = None) -> list[Message]:
        """Call ``app`` once (within ``timeout`` seconds if given); the messages."""
        try:
            if timeout is None:
                await app(self.scope, self.receive, self.send)
            else:
                await asyncio.wait_for(app(self.scope, self.receive, self.send), timeout)
        finally:
            self._over.set()
        return self.messages


async def call_app(
    app: App,
    scope: Scope,
    *,
    body: bytes = b"",
    incoming: Iterable[Message] | None = None,
    on_send: Callable[[Message], None] | None = None,
    timeout: float | None = None,
) -> list[Message]:
    """Call ``app`` with ``scope`` as one :class:`AsgiCall`; the messages it sent."""
    call = AsgiCall(scope, body=body, incoming=incoming, on_send=on_send)
    return await call.run(app, timeout)


def kinds(messages: Sequence[Message]) -> list[str]:
    """The ``type`` of each message, in order."""
    return [m["type"] for m in messages]


def pushed_paths(messages: Sequence[Message]) -> list[str]:
    """The paths of the ``http.response.push`` messages, in order."""
    return [m["path"] for m in messages if m["type"] == PUSH]


def response_start(messages: Sequence[Message]) -> Message:
    """The first ``http.response.start``."""
    return next(m for m in messages if m["type"] == START)
