"""A test client that runs the whole ASGI stack with an HTTP/2 scope.

Like Quart's test client it records what the server pushed::

    client = H2TestClient()
    response = client.get("/")
    assert client.push_promises[0] == (
        "/static/css/base.css",
        {"accept": "text/html", "user-agent": "h2push-testclient"},
    )

``push_promises`` and ``early_hints`` gather across the client's requests; build a
new client (or call :meth:`H2TestClient.clear`) for a fresh record.

:func:`teach` (:func:`ateach` in async tests) requests a page as many times as
h2push needs to learn its route, so that the test's own request of it is hinted::

    teach(client, "/")
    response = client.get("/")  # the route's assets are in its Link header
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from h2push.core.contract import EARLY_HINT_EXTENSION, PUSH_EXTENSION, ASGIApp, Message, Scope
from h2push.core.linkheader import split_links
from h2push.django_layer.conf import conf
from h2push.server.wiring import django_application

if TYPE_CHECKING:  # the helpers take Django's test clients, but never need to import them
    from django.http import HttpResponseBase
    from django.test import AsyncClient, Client

__all__ = [
    "PAGES_TO_LEARN",
    "H2TestClient",
    "H2TestResponse",
    "ateach",
    "default_application",
    "teach",
]

HTTP2_EXTENSIONS = (PUSH_EXTENSION, EARLY_HINT_EXTENSION, "http.response.trailers")
# Each client is its own connection, as the push budget tells connections apart
# by the scope's client address.
_client_ports = itertools.count(50000)


@dataclass
class H2TestResponse:
    status: int
    headers: list[tuple[str, str]]
    content: bytes
    # Every ASGI message the app sent, in order: pushes and hints included.
    messages: list[Message] = field(default_factory=list)
    # The responses to the promised requests, run through the app as a server would.
    pushed: dict[str, H2TestResponse] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]


class H2TestClient:
    """Sends requests straight into an ASGI application, as an HTTP/2 server would.

    ``application`` defaults to the project's Django app wrapped in the h2push
    adapter, with static files served inside it as in development.
    ``extensions`` are the ASGI extensions the fake server advertises (all of an
    HTTP/2 server's by default; pass ``()`` to act as an HTTP/1.1 server).
    ``client`` is the scope's client address, which identifies a connection (a new
    one for each client by default). Like an HTTP/2 server, the client runs each
    promised request through the application after the page; the responses are in
    :attr:`H2TestResponse.pushed`.
    """

    def __init__(
        self,
        application: ASGIApp | None = None,
        *,
        http_version: str = "2",
        extensions: Iterable[str] = HTTP2_EXTENSIONS,
        scheme: str = "https",
        host: str = "testserver",
        client: tuple[str, int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if application is None:
            application = default_application()
        self.application = application
        self.http_version = http_version
        self.extensions = tuple(extensions)
        self.scheme = scheme
        self.host = host
        self.client = client or ("127.0.0.1", next(_client_ports))
        self.default_headers = {
            "accept": "text/html",
            "user-agent": "h2push-testclient",
            **(headers or {}),
        }
        self.push_promises: list[tuple[str, dict[str, str]]] = []
        self.early_hints: list[list[str]] = []

    def clear(self) -> None:
        self.push_promises.clear()
        self.early_hints.clear()

    def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> H2TestResponse:
        return self.request("GET", path, headers=headers)

    def head(self, path: str, *, headers: Mapping[str, str] | None = None) -> H2TestResponse:
        return self.request("HEAD", path, headers=headers)

    def post(
        self, path: str, body: bytes = b"", *, headers: Mapping[str, str] | None = None
    ) -> H2TestResponse:
        return self.request("POST", path, body=body, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> H2TestResponse:
        result: H2TestResponse = async_to_sync(self.arequest)(
            method, path, body=body, headers=headers
        )
        return result

    def scope(self, method: str, path: str, headers: Mapping[str, str] | None = None) -> Scope:
        """The ASGI scope this client sends for a request."""
        parts = urlsplit(path)
        merged = {
            name.lower(): value
            for name, value in [
                *self.default_headers.items(),
                ("host", self.host),
                *(headers or {}).items(),
            ]
        }
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.http_version,
            "method": method,
            "scheme": self.scheme,
            "path": unquote(parts.path),
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in merged.items()],
            "client": self.client,
            "server": (self.host, 443),
            "extensions": {name: {} for name in self.extensions},
        }

    async def arequest(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> H2TestResponse:
        """Run one request through the application and collect what it sent."""
        response = await self._run(self.scope(method, path, headers), body)
        for message in response.messages:
            if message["type"] == PUSH_EXTENSION:
                promised = {k.decode(): v.decode() for k, v in message["headers"]}
                scope = self.scope("GET", message["path"], promised)
                response.pushed[message["path"]] = await self._run(scope, b"")
        return response

    async def _run(self, scope: Scope, body: bytes) -> H2TestResponse:
        messages: list[Message] = []
        disconnect = asyncio.Event()
        request_sent = False

        async def receive() -> Message:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            kind = message["type"]
            if kind in (PUSH_EXTENSION, EARLY_HINT_EXTENSION) and kind not in scope["extensions"]:
                # Hypercorn and Daphne fail the request the same way.
                raise RuntimeError(f"{kind} sent, but the scope does not advertise it")
            messages.append(message)
            if kind == PUSH_EXTENSION:
                self.push_promises.append(
                    (message["path"], {k.decode(): v.decode() for k, v in message["headers"]})
                )
            elif kind == EARLY_HINT_EXTENSION:
                # A 103's links, one per value: h2push joins them in one field.
                fields = (link.decode() for link in message["links"])
                self.early_hints.append([v for f in fields for v in split_links(f)])

        # As Django's own test clients do: a test's database connection must
        # survive the request_started/request_finished signals.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            await self.application(scope, receive, send)
        finally:
            disconnect.set()
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return _response_from(messages)


def default_application() -> ASGIApp:
    """The application :class:`H2TestClient` uses unless given one: the project's
    Django app in the h2push adapter, wired as ``runh2server`` wires it, with static
    files served inside the adapter (whatever ``DEBUG`` says) so pushed ``/static/``
    paths answer."""
    return django_application(serve_static=True)


def _response_from(messages: list[Message]) -> H2TestResponse:
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    if start is None:
        raise AssertionError("The application sent no http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    headers = [(k.decode().lower(), v.decode()) for k, v in start.get("headers", ())]
    return H2TestResponse(start["status"], headers, content, messages)


#: The pages of a route h2push must see before it hints the route's assets: a link
#: is learned once two consecutive pages had it
#: (:meth:`h2push.django_layer.learning.Learned.observe`), so that one request alone
#: never decides what the next visitor is hinted.
PAGES_TO_LEARN = 2


def teach(
    client: Client | H2TestClient, path: str, *, headers: Mapping[str, str] | None = None
) -> None:
    """Request ``path`` with ``client`` (Django's test client or an
    :class:`H2TestClient`) as many times as h2push needs to learn its route, so
    that the next request of any URL of the route, by any client of this process,
    is hinted what these pages had in common, whatever was learned before.

    The teaching requests leave no trace in an :class:`H2TestClient`'s
    ``push_promises`` or ``early_hints``. Raises :exc:`AssertionError` if the page
    cannot teach: learning is off, or the answer is not a ``200`` HTML page.
    """
    _can_learn(path)
    with _unrecorded(client):
        for _ in range(PAGES_TO_LEARN):
            _taught(path, client.get(path, headers=headers))


async def ateach(
    client: AsyncClient | H2TestClient, path: str, *, headers: Mapping[str, str] | None = None
) -> None:
    """:func:`teach` for async tests, with Django's ``AsyncClient`` or an
    :class:`H2TestClient` (whose requests are then awaited)."""
    _can_learn(path)
    with _unrecorded(client):
        for _ in range(PAGES_TO_LEARN):
            if isinstance(client, H2TestClient):
                _taught(path, await client.arequest("GET", path, headers=headers))
            else:
                _taught(path, await client.get(path, headers=headers))


def _can_learn(path: str) -> None:
    if not conf.H2PUSH_LEARN:
        raise AssertionError(f"Cannot teach {path}: H2PUSH_LEARN is off, so nothing is learned.")


def _taught(path: str, response: HttpResponseBase | H2TestResponse) -> None:
    """Fail where the page taught nothing: the rule is
    :func:`h2push.django_layer.learning.is_learnable`'s (the request is a GET)."""
    if isinstance(response, H2TestResponse):
        status, content_type = response.status, response.header("content-type")
    else:
        status, content_type = response.status_code, response.headers.get("Content-Type")
    if status != 200 or not (content_type or "").startswith("text/html"):
        raise AssertionError(
            f"Cannot teach {path}: it answered {status} ({content_type or 'no Content-Type'}), "
            "and only a 200 HTML page teaches its route."
        )


@contextmanager
def _unrecorded(client: object) -> Iterator[None]:
    """Keep an :class:`H2TestClient`'s record as it was: a test asserts on what its
    own requests were pushed and hinted, not on the teaching ones'."""
    if not isinstance(client, H2TestClient):
        yield
        return
    pushes, hints = len(client.push_promises), len(client.early_hints)
    try:
        yield
    finally:
        del client.push_promises[pushes:]
        del client.early_hints[hints:]
