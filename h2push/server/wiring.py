"""How an application is wired for h2push: the one place the stack is put together.

``settings.ASGI_APPLICATION`` or the project's Django application, with the h2push
adapter exactly once, a static files handler inside it (pushed ``/static/``
requests run through the application like any other GET; h2push's subclass of
Django's, :mod:`h2push.server.staticfiles`, so that a sync view never holds them up), and
the lifespan protocol answered so Hypercorn logs no error at start. ``runh2server``
serves what :func:`get_application` returns; :class:`h2push.testing.H2TestClient`
and the test suite's ASGI apps use :func:`django_application`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from h2push.core.contract import ASGIApp
from h2push.delivery.lifespan import LifespanFallback

__all__ = ["django_application", "find_adapter", "get_application", "wire_application"]


def find_adapter(app: ASGIApp) -> list[tuple[str, Any]] | None:
    """The way from ``app`` down to an ``H2PushMiddleware``, or None if it has none.

    Follows Channels' ``ProtocolTypeRouter`` (its ``"http"`` entry) and wrappers
    that keep their inner application as ``.app``, ``.application`` or ``.inner``.
    Each step is ``(kind, key)``: ``("attr", name)`` or ``("http", "http")``; an
    empty list means ``app`` is the adapter itself.
    """
    from h2push.delivery.asgi_middleware import DeliveryMiddleware

    path: list[tuple[str, Any]] = []
    seen: set[int] = set()
    node = app
    while id(node) not in seen and len(path) < 16:
        if isinstance(node, DeliveryMiddleware):
            return path
        seen.add(id(node))
        step = _inner_step(node)
        if step is None:
            return None
        path.append(step)
        node = _follow(node, step)
    return None


def _inner_step(node: Any) -> tuple[str, Any] | None:
    mapping = getattr(node, "application_mapping", None)
    if isinstance(mapping, dict):
        return ("http", "http") if "http" in mapping else None
    for name in ("app", "application", "inner"):
        if callable(getattr(node, name, None)):
            return ("attr", name)
    return None


def _follow(node: Any, step: tuple[str, Any]) -> Any:
    kind, key = step
    if kind == "http":
        return node.application_mapping[key]
    return getattr(node, key)


def _chain(app: ASGIApp, path: list[tuple[str, Any]]) -> Iterator[Any]:
    node = app
    yield node
    for step in path:
        node = _follow(node, step)
        yield node


def _replaced(node: Any, path: list[tuple[str, Any]], leaf: Any) -> Any:
    """A copy of ``node`` whose object at the end of ``path`` is ``leaf``.

    Only the objects along the way are copied (shallowly); the caller's application
    is left as it was.
    """
    if not path:
        return leaf
    step, rest = path[0], path[1:]
    new_child = _replaced(_follow(node, step), rest, leaf)
    clone = copy.copy(node)
    kind, key = step
    if kind == "http":
        clone.application_mapping = {**node.application_mapping, key: new_child}
    else:
        setattr(clone, key, new_child)
    return clone


def wire_application(app: ASGIApp, *, serve_static: bool) -> ASGIApp:
    """``app`` ready for runh2server: the h2push adapter exactly once, the static
    files handler (if ``serve_static``) inside it, and lifespan answered quietly.

    - If ``app`` already contains an ``H2PushMiddleware`` (see :func:`find_adapter`)
      it is kept as the only one; with ``serve_static``
      :class:`h2push.server.staticfiles.StaticFilesHandler` goes around the adapter's inner
      app, in a copy: ``app`` itself is not changed. (A Django
      ``ASGIStaticFilesHandler`` already in the way is kept as it is.)
    - Otherwise the result is ``H2PushMiddleware(StaticFilesHandler(app))`` (or
      ``H2PushMiddleware(app)``).

    Hypercorn runs each pushed request (``/static/...``) through the application
    like any other GET, so the static handler must be in the stack; inside the
    adapter, the adapter stays the outermost h2push layer and sees every request.
    If the outermost application is not an adapter that answers lifespan (e.g. a
    Channels router with no ``"lifespan"`` entry), :class:`LifespanFallback` (from
    :mod:`h2push.delivery.lifespan`) answers it instead, so Hypercorn logs no lifespan error.
    """
    from h2push.asgi import H2PushMiddleware
    from h2push.delivery.asgi_middleware import DeliveryMiddleware

    path = find_adapter(app)
    if path is None:
        inner = _with_static(app) if serve_static else app
        wired: ASGIApp = H2PushMiddleware(inner)
    else:
        nodes = list(_chain(app, path))
        adapter = nodes[-1]
        has_static = any(_is_static_handler(node) for node in nodes)
        if serve_static and not has_static and not _is_static_handler(adapter.app):
            new_adapter = copy.copy(adapter)
            new_adapter.app = _with_static(adapter.app)
            wired = _replaced(app, path, new_adapter)
        else:
            wired = app
    if isinstance(wired, DeliveryMiddleware) and wired.answers_lifespan:
        return wired
    return LifespanFallback(wired)


# Any both ways: django-stubs declare that the handler wraps only Django's own
# ASGIHandler and sends Mappings, yet it passes every non-static request to whatever
# ASGI application it was given (a Channels router's entry, the project's app).
# h2push's subclass, not Django's handler: a pushed request inherits the page's
# thread-sensitive context, and Django's handler would serve the asset on the page's
# sync thread, after a sync view (see h2push.server.staticfiles).
def _with_static(app: Any) -> Any:
    from h2push.server.staticfiles import StaticFilesHandler

    return StaticFilesHandler(app)


def _is_static_handler(node: Any) -> bool:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    return isinstance(node, ASGIStaticFilesHandler)


def get_application(*, serve_static: bool) -> ASGIApp:
    """The application runh2server serves, wired by :func:`wire_application`.

    ``settings.ASGI_APPLICATION`` when set (Channels projects), else the project's
    Django application (``h2push.asgi.get_asgi_application()``).
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    dotted = getattr(settings, "ASGI_APPLICATION", None)
    if not dotted:
        return django_application(serve_static=serve_static)
    try:
        app = import_string(dotted)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"ASGI_APPLICATION {dotted!r} could not be imported: {error}"
        ) from error
    return wire_application(app, serve_static=serve_static)


def django_application(*, serve_static: bool) -> ASGIApp:
    """The project's Django application in the h2push adapter, wired by
    :func:`wire_application` (static files inside the adapter if ``serve_static``).

    Built from ``h2push.asgi.get_asgi_application()``, so the adapter is configured
    exactly as a project's own ``asgi.py`` would get it.
    """
    from h2push.asgi import get_asgi_application

    return wire_application(get_asgi_application(), serve_static=serve_static)
