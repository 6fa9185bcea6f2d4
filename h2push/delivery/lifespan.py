"""The ASGI lifespan protocol, answered for applications that have nothing to run there.

Django's ASGI handler rejects lifespan scopes, and Hypercorn then logs "ASGI
Framework Lifespan error, continuing without Lifespan support" at every start. Both
ways h2push avoids that live here:

- :func:`answer_lifespan` completes startup and shutdown at once; the adapter calls
  it when it answers lifespan itself.
- :class:`LifespanFallback` wraps an application that may or may not speak lifespan
  (a Channels router with or without a ``"lifespan"`` entry) and answers only when
  the application turns it down.

Pure ASGI: nothing of Django.
"""

from __future__ import annotations

from h2push.core.contract import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LifespanFallback", "answer_lifespan"]


async def answer_lifespan(receive: Receive, send: Send) -> None:
    """Report startup and shutdown complete as soon as the server announces them."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class LifespanFallback:
    """Hands every scope to ``app``; answers lifespan itself if ``app`` refuses it.

    ASGI's rule: an application that raises on a lifespan scope before it has read
    a message does not support lifespan. That is exactly the case answered here, so
    an application that does speak lifespan keeps answering for itself, and one that
    fails after reading a message still fails loudly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        received = False

        async def tracked_receive() -> Message:
            nonlocal received
            received = True
            return await receive()

        try:
            await self.app(scope, tracked_receive, send)
        except Exception:
            if received:
                raise
            await answer_lifespan(receive, send)
