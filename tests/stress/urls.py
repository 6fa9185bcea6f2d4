"""URLs of the reliability servers: the test project's pages, and two views for faults.

- ``rel/raise/`` declares its assets with ``@push_static``, so its 103 and pushes go
  out before it runs, and then fails: the client sees a 103 and then a 500.
- ``rel/register/`` preloads whatever its query names (``?u=<url>`` as given,
  ``?s=<static name>`` through ``static()``), as a view that builds a preload from
  the request would: the bad-input fault sends it a URL of 17,000 characters and a
  path with dot segments. Without a query it is an ordinary page.
- ``rel/tasks/`` counts the asyncio tasks of the server's event loop, by the name of
  their coroutine: an async view runs on that loop, so this is the one way to see
  from outside what a stuck connection keeps (its tasks hold no thread or file). It
  runs Python's cyclic garbage collector first: a response whose stream was cancelled
  can leave its open file in a reference cycle until the collector's next pass, and
  garbage is not a leak; what is still referenced after a collection is.
"""

import asyncio
import gc
from collections import Counter

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import include, path

from h2push import make_push_promise, push_static

PAGE = "<!doctype html><title>reliability</title><p>a page</p>\n"


class PlannedFailure(RuntimeError):
    """What ``rel/raise/`` raises: named so its traceback is easy to tell apart."""


@push_static("css/base.css", "js/app.js")
async def raise_after_hint(request: HttpRequest) -> HttpResponse:
    # A moment of work, so the 103 and the pushes are well on their way first.
    await asyncio.sleep(0.01)
    raise PlannedFailure("the reliability run's view fails on purpose")


async def register(request: HttpRequest) -> HttpResponse:
    for url in request.GET.getlist("u"):
        make_push_promise(url)
    for name in request.GET.getlist("s"):
        make_push_promise(static(name))
    return HttpResponse(PAGE)


async def tasks(request: HttpRequest) -> JsonResponse:
    collected = gc.collect()
    running = asyncio.all_tasks()
    # "worker_serve.<locals>._server_callback" -> "_server_callback": enough to tell
    # a connection's tasks from a request's.
    kinds = Counter(
        getattr(task.get_coro(), "__qualname__", "?").rsplit(".", 1)[-1] for task in running
    )
    return JsonResponse(
        {"tasks": len(running), "kinds": dict(kinds.most_common()), "collected": collected}
    )


urlpatterns = [
    path("rel/raise/", raise_after_hint, name="rel-raise"),
    path("rel/tasks/", tasks, name="rel-tasks"),
    path("rel/register/", register, name="rel-register"),
    path("", include("testproject.urls")),
]
