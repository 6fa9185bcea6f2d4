"""The contract between h2push's two layers, and the ASGI types both speak.

The Django layer (:mod:`h2push.django_layer.middleware` and the modules it uses) decides *what*
a page preloads. The delivery layer (:mod:`h2push.delivery`) decides *how* those
links travel: a push, a 103 Early Hints response, or the header alone. They meet in
exactly two places, both defined here and nowhere else:

- **The final response's ``Link`` header.** Standard RFC 8288 values; the delivery
  layer reads nothing else of the response, so nginx, h2o and CDNs that read the
  same header see what it sees.
- **The early channel.** Before the view runs there is no response yet. Where the
  delivery layer can send something early it places a callable under
  ``EARLY_LINKS_SCOPE_KEY``: an async one (:data:`SendEarlyLinks`) in the ASGI
  scope, a plain one (:data:`SendEarlyLinksSync`) in the WSGI environ. The Django
  layer calls it at most once, with the ``Link`` values known before the view; the
  delivery layer decides what of them may travel, and how.

This module imports neither layer, and nothing of Django.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "DEFAULT_COPY_HEADERS",
    "EARLY_HINT_EXTENSION",
    "EARLY_LINKS_SCOPE_KEY",
    "PUSH_EXTENSION",
    "ASGIApp",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "SendEarlyLinks",
    "SendEarlyLinksSync",
]

Scope = dict[str, Any]
# Mapping, not dict: Django's handlers type their messages so, and an app must
# accept the server's send and receive as they are.
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The scope extensions a server advertises (asgiref's extensions.rst).
PUSH_EXTENSION = "http.response.push"
EARLY_HINT_EXTENSION = "http.response.early_hint"

#: Where the delivery layer offers the early channel: the ASGI scope's key, and the
#: WSGI environ's.
EARLY_LINKS_SCOPE_KEY = "h2push.early_links"

#: The early channel: takes ``Link`` header values, sends them before the response.
SendEarlyLinks = Callable[[Sequence[str]], Awaitable[None]]
SendEarlyLinksSync = Callable[[Sequence[str]], None]

#: The request headers a promised request copies from the page's request, as Quart
#: and Starlette do: they shape the pushed response the way the client's own request
#: would (content negotiation, compression, caching). The delivery layer's default,
#: and the default of the ``H2PUSH_COPY_HEADERS`` setting.
DEFAULT_COPY_HEADERS = (
    "accept",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "user-agent",
)
