"""Template tags that render a URL and register it for preload and push.

``{% load h2push %}`` then ``{% push_static "css/base.css" %}`` renders exactly what
``{% static "css/base.css" %}`` renders; ``{% push_url "/api/menu.json" %}`` does the
same for any other URL. Both accept ``as_=``, ``crossorigin=``, ``nopush=`` and the
``as var`` form.
"""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from h2push.django_layer import registry
from h2push.django_layer.field.page import MARKER
from h2push.django_layer.preload import header_safe, preload

register = template.Library()


def _register(url: str, as_: str, crossorigin: str | None, nopush: bool) -> str:
    # Outside a request (an e-mail rendered in a task) the tag only renders.
    registry.register(preload(header_safe(url), as_, crossorigin, nopush))
    return url


@register.simple_tag(name="push_static")
def push_static_tag(
    path: str, as_: str = "", crossorigin: str | None = None, nopush: bool = False
) -> str:
    # static() raises for a name the manifest lacks, exactly as {% static %} does,
    # before anything is registered.
    return _register(static(path), as_, crossorigin, nopush)


@register.simple_tag(name="push_url")
def push_url_tag(
    url: str, as_: str = "", crossorigin: str | None = None, nopush: bool = False
) -> str:
    return _register(str(url), as_, crossorigin, nopush)


@register.simple_tag(name="h2push_field")
def h2push_field_tag() -> str:
    """Where the field report script goes (``H2PUSH_FIELD``): by default before
    ``</body>``; a page that wants it elsewhere puts this tag there."""
    return mark_safe(MARKER)  # a fixed HTML comment, never user input
