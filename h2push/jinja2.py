"""Jinja2 templates register preloads as Django templates do, through globals.

Jinja2 has no ``{% load %}``, so h2push's template tags become two functions,
``push_static(path, as_=..., crossorigin=..., nopush=...)`` and ``push_url(url,
...)``. Each returns the URL to write into the page (``push_static`` exactly what
``static()`` returns) and registers the preload with the current response, as
``{% push_static %}`` and ``{% push_url %}`` do.

Three ways to get them, from the least to the most of your own setup:

- ``"OPTIONS": {"environment": "h2push.jinja2.environment"}``: a complete
  environment with Django's usual ``static`` and ``url`` globals and h2push's two;
- ``"OPTIONS": {"extensions": ["h2push.jinja2.PreloadExtension"]}``: h2push's
  globals added to whatever environment your project builds;
- calling :func:`install` on your environment in your own ``environment`` function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment
from jinja2.ext import Extension

from h2push.django_layer import registry
from h2push.django_layer.preload import preload

__all__ = ["GLOBALS", "PreloadExtension", "environment", "install", "push_static", "push_url"]


def push_static(
    path: str, as_: str = "", crossorigin: str | None = None, nopush: bool = False
) -> str:
    """``static(path)``, registered for preload (and push) with the current response."""
    # static() raises for a name the manifest lacks, as it does in a Django
    # template, before anything is registered.
    return _register(static(path), as_, crossorigin, nopush)


def push_url(url: str, as_: str = "", crossorigin: str | None = None, nopush: bool = False) -> str:
    """``url`` itself, registered for preload (and push) with the current response."""
    return _register(str(url), as_, crossorigin, nopush)


def _register(url: str, as_: str, crossorigin: str | None, nopush: bool) -> str:
    # Outside a request (a template rendered by a task) the URL is only rendered;
    # a plain string is returned so autoescaping treats it like static()'s.
    registry.register(preload(url, as_, crossorigin, nopush))
    return url


#: The globals h2push adds to an environment.
GLOBALS: dict[str, Callable[..., str]] = {"push_static": push_static, "push_url": push_url}


def install(env: Environment) -> Environment:
    """Add h2push's globals to ``env`` (a project's own environment) and return it."""
    env.globals.update(GLOBALS)
    return env


class PreloadExtension(Extension):
    """Adds h2push's globals to the environment that loads it; for a project that
    builds its environment itself: ``"extensions": ["h2push.jinja2.PreloadExtension"]``."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        install(environment)


def environment(**options: Any) -> Environment:
    """An environment for Django's Jinja2 backend (``"environment":
    "h2push.jinja2.environment"``) with ``static``, ``url`` and h2push's globals."""
    env = Environment(**options)
    # The two globals Django's documentation gives a Jinja2 environment.
    env.globals.update({"static": static, "url": reverse})
    return install(env)
