"""A tiny ASGI app for the probe's tests, served by a real Hypercorn over TLS.

``/`` and ``/page/<n>`` promise two assets, then send a 103, then the page, the order
RFC 9113 section 8.4 asks for. ``/big`` pushes a body larger than every default
flow-control window; ``/echo`` describes the request it got, as JSON. It speaks
HTTP only: :class:`h2push.delivery.lifespan.LifespanFallback` answers Hypercorn's lifespan
scope for it, as it does for the apps ``runh2server`` serves.
"""

from __future__ import annotations

import json

from h2push.core.contract import Receive, Scope, Send
from h2push.delivery.lifespan import LifespanFallback

ASSETS: dict[str, bytes] = {
    "/static/a.css": b"body { color: rebeccapurple; }\n",
    "/static/b.js": b"console.log('pushed');\n",
}
PAGE = b"<!doctype html><title>probe</title><p>hello</p>\n"
# Bigger than the 65,535-byte stream and connection windows, so it only arrives
# whole if the client keeps acknowledging data.
BIG_PATH = "/static/big.bin"
BIG = bytes(range(256)) * 1200


def asset_body(path: str) -> bytes:
    """What the app serves for an asset path; tests compute the same to compare."""
    if path == BIG_PATH:
        return BIG
    return ASSETS.get(path, f"/* {path} */\n".encode())


def page_assets(path: str) -> list[str]:
    """The paths a page pushes."""
    if path == "/":
        return list(ASSETS)
    if path == "/big":
        return [BIG_PATH]
    if path.startswith("/page/"):
        n = path.removeprefix("/page/")
        return [f"/static/{n}/a.css", f"/static/{n}/b.js"]
    return []


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return bytes(body)


async def _respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _serve_http(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        # Raising before reading a message is ASGI's way to turn a protocol down;
        # LifespanFallback below takes that as its cue to answer lifespan.
        raise ValueError(f"probe_app serves HTTP only, not {scope['type']!r}")
    path: str = scope["path"]
    body = await _read_body(receive)
    extensions = scope.get("extensions") or {}

    if path.startswith("/static/"):
        await _respond(send, 200, b"application/octet-stream", asset_body(path))
        return
    if path == "/echo":
        described = {
            "method": scope["method"],
            "http_version": scope["http_version"],
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body_length": len(body),
        }
        await _respond(send, 200, b"application/json", json.dumps(described).encode())
        return

    assets = page_assets(path)
    if not assets and path != "/plain":
        await _respond(send, 404, b"text/plain", b"not found\n")
        return
    if "http.response.push" in extensions:
        for asset in assets:
            await send({"type": "http.response.push", "path": asset, "headers": []})
    if assets and "http.response.early_hint" in extensions:
        links = [b"<%s>; rel=preload" % asset.encode() for asset in assets]
        await send({"type": "http.response.early_hint", "links": links})
    await _respond(send, 200, b"text/html; charset=utf-8", PAGE)


# What Hypercorn serves (``tests.support.apps.probe_app:app``).
app = LifespanFallback(_serve_http)
