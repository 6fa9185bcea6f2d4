"""Django's ASGI static files handler, made fit for pushed requests.

Hypercorn starts a promised request's task from inside the page request's ``send``
(``http.response.push``), so the promised request copies the page's context
variables. Among them is the ``ThreadSensitiveContext`` that Django's
``ASGIHandler`` entered for the page: the one that owns the page's single sync
thread. Entering a ``ThreadSensitiveContext`` does nothing when one is already set,
so Django's handler of the promised request keeps the page's and sends all its
thread-sensitive work (sync ``request_started`` receivers, reading the file's
chunks, closing the response) to the page's thread. While a sync view runs there,
the pushed asset waits for the view to end.

:class:`StaticFilesHandler` serves such a request in a task with an empty context:
it starts as a request read from the client would, Django enters a context of its
own, and the file is served while the page's view still works. Everything else is
Django's ``ASGIStaticFilesHandler``: the same finders (DEBUG or ``--insecure``),
files, headers and 404s. One answer differs: a path that leaves the static folders
(``SuspiciousFileOperation``) gets Django's 400, where Django's handler lets the
exception escape as a 500.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from asgiref.sync import AsyncToSync, SyncToAsync
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.exception import response_for_exception
from django.http import FileResponse, HttpRequest, HttpResponse

__all__ = ["StaticFilesHandler"]

Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


class StaticFilesHandler(ASGIStaticFilesHandler):
    """``ASGIStaticFilesHandler`` that never serves on another request's sync thread."""

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        serving = scope["type"] == "http" and self._should_handle(scope["path"])
        if serving and _inherits_sync_thread():
            await _in_empty_context(super().__call__(scope, receive, send))
        else:
            await super().__call__(scope, receive, send)

    def serve(self, request: HttpRequest) -> HttpResponse | FileResponse:
        try:
            return super().serve(request)
        except SuspiciousOperation as error:
            # Django's request pipeline answers this with a 400 (and a line in the
            # django.security log); its static handler catches only Http404.
            return response_for_exception(request, error)


def _inherits_sync_thread() -> bool:
    """Whether this task carries another request's sync thread in its context: a
    ``ThreadSensitiveContext`` already entered, or the sync thread of an
    ``async_to_sync`` call (a push sent from sync code)."""
    if SyncToAsync.thread_sensitive_context.get(None) is not None:
        return True
    return getattr(AsyncToSync.executors, "current", None) is not None


async def _in_empty_context(request: Coroutine[Any, Any, None]) -> None:
    # Nothing of the page's context is the pushed request's own, so it keeps none of
    # it; the task is awaited, so errors and cancellation pass through as before.
    await asyncio.create_task(request, context=contextvars.Context())
