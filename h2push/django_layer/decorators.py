"""View decorators that declare what a view's pages preload.

They work on sync views, async views and class-based views (decorate the class, or
its ``as_view()`` result). Static names are resolved when the view runs, so the
staticfiles manifest need not exist at import time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction
from django.templatetags.static import static

from h2push.core import caches
from h2push.django_layer import registry
from h2push.django_layer.preload import Preload, preload

__all__ = ["DeclaredPreload", "declared_preloads", "push_static", "push_url"]

ViewT = TypeVar("ViewT", bound=Callable[..., Any] | type)

# The attribute a decorated view carries, so the declarations can be read from the
# view itself (e.g. by code that knows the view before it runs).
ATTRIBUTE = "h2push_preloads"


@dataclass(frozen=True, slots=True)
class DeclaredPreload:
    """A preload named by a decorator: a static file name or a URL, resolved per request."""

    target: str
    is_static: bool
    as_: str = ""
    crossorigin: str | None = None
    nopush: bool = False

    def resolve(self) -> Preload:
        return _resolve(self)


# The same declarations resolve on every request of a view, to the same URLs for
# as long as the static files settings stay as they are.
@caches.per_process(when=lambda setting: setting.startswith("STATIC") or setting == "STORAGES")
def _resolve(declaration: DeclaredPreload) -> Preload:
    url = static(declaration.target) if declaration.is_static else declaration.target
    return preload(url, declaration.as_, declaration.crossorigin, declaration.nopush)


def declared_preloads(view: Any) -> tuple[DeclaredPreload, ...]:
    """What a view (function, ``as_view()`` result or class) declared with the decorators."""
    found: tuple[DeclaredPreload, ...] = getattr(view, ATTRIBUTE, ())
    view_class = getattr(view, "view_class", None)
    if not found and view_class is not None:
        found = getattr(view_class, ATTRIBUTE, ())
    return found


def _declare(declarations: tuple[DeclaredPreload, ...]) -> Callable[[ViewT], ViewT]:
    def decorator(view: ViewT) -> ViewT:
        if isinstance(view, type):
            return _decorate_class(view, declarations)  # type: ignore[return-value]
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(*args: Any, **kwargs: Any) -> Any:
                _register(declarations)
                return await view(*args, **kwargs)

            wrapped: Any = async_view
        else:

            @functools.wraps(view)
            def sync_view(*args: Any, **kwargs: Any) -> Any:
                _register(declarations)
                return view(*args, **kwargs)

            wrapped = sync_view
        # The outer decorator registers first when the view runs; keep that order.
        setattr(wrapped, ATTRIBUTE, (*declarations, *getattr(view, ATTRIBUTE, ())))
        return wrapped  # type: ignore[no-any-return]

    return decorator


def _decorate_class(view_class: type, declarations: tuple[DeclaredPreload, ...]) -> type:
    from django.utils.decorators import method_decorator

    decorated = method_decorator(_declare(declarations), name="dispatch")(view_class)
    setattr(decorated, ATTRIBUTE, (*declarations, *getattr(view_class, ATTRIBUTE, ())))
    return decorated


def _register(declarations: tuple[DeclaredPreload, ...]) -> None:
    promises = registry.current()
    if promises is None:
        return
    for declaration in declarations:
        promises.add(declaration.resolve())


def push_static(
    *names: str, as_: str = "", crossorigin: str | None = None, nopush: bool = False
) -> Callable[[ViewT], ViewT]:
    """Preload (and push) these static files with every response of the view.

    ``@push_static("css/base.css", "js/app.js")``; names resolve as ``{% static %}`` does.
    """
    return _declare(tuple(DeclaredPreload(n, True, as_, crossorigin, nopush) for n in names))


def push_url(
    *urls: str, as_: str = "", crossorigin: str | None = None, nopush: bool = False
) -> Callable[[ViewT], ViewT]:
    """Preload (and push, where same-origin) these URLs with every response of the view."""
    for url in urls:
        Preload(url, as_, crossorigin, nopush)  # fail at import time on an unsafe URL
    return _declare(tuple(DeclaredPreload(u, False, as_, crossorigin, nopush) for u in urls))
