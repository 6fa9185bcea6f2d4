"""The demo's pages about itself: the script that explains each page's resources,
and a waterfall of any page, drawn by probing this very server.

Neither changes what the other pages hint or push: the script is served outside
``STATIC_URL`` (discovery only ever hints static files), and the waterfall's probe
is one more visitor of the page it draws.
"""

from __future__ import annotations

import asyncio
import ipaddress
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from h2push.probe import Exchange, H2Connection, ProbeError
from h2push.probe.waterfall import WaterfallUnavailable, draw_waterfall

EXPLAIN_JS = Path(__file__).resolve().parent / "static" / "js" / "explain.js"

# Each wait of the probe (connecting, the handshake, every frame). The slow pages
# sleep at most 10 s (their ?ms=), so they can still be drawn.
PROBE_WAIT_SECONDS = 12.0
# The whole probe, however the server dribbles: the view answers by then.
PROBE_TOTAL_SECONDS = 30.0
MAX_PATH_LENGTH = 1024


async def explain_js(request: HttpRequest) -> HttpResponse:
    """``static/js/explain.js``, at a URL outside ``STATIC_URL`` on purpose.

    h2push's discovery hints every script that a page's HTML loads from
    ``STATIC_URL``. Loaded from there, this script (about the page, not part of it)
    would join the hints and pushes of every demo page, and the tests that count them.
    """
    return HttpResponse(EXPLAIN_JS.read_bytes(), content_type="text/javascript; charset=utf-8")


async def waterfall(request: HttpRequest) -> HttpResponse:
    """``/waterfall.svg?path=/slow/``: this server asked for ``path`` by the probe,
    as a client that accepts pushes, drawn as a waterfall (SVG).

    Development only (``DEBUG``), and only when the request reached the server on a
    loopback address: the probe connects to that same address and port, never to a
    host the request names.
    """
    if not settings.DEBUG:
        raise Http404("The waterfall is a development page: it needs DEBUG = True.")
    address = _loopback_address(request)
    if address is None:
        return _text("The waterfall probes this server over loopback only.", 403)
    path = _probed_path(request.GET.get("path") or "/")
    if path is None:
        return _text("path= must be a path of this site (not the waterfall's own).", 400)
    try:
        exchange = await asyncio.wait_for(
            asyncio.to_thread(_probe, *address, request.get_host(), path),
            PROBE_TOTAL_SECONDS,
        )
        svg = await asyncio.to_thread(_draw, exchange, request.get_host())
    except (ProbeError, TimeoutError) as error:
        return _text(f"Probing {path} failed: {error or 'it took too long'}", 502)
    except WaterfallUnavailable as error:
        return _text(str(error), 501)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"  # Each view is a new exchange.
    return response


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _loopback_address(request: HttpRequest) -> tuple[str, int] | None:
    """The loopback address and port this request arrived on (the ASGI scope's
    ``server``), or None. The ``Host`` header never decides where the probe goes."""
    try:
        address = ipaddress.ip_address(request.META.get("SERVER_NAME", ""))
        port = int(request.META.get("SERVER_PORT", ""))
    except ValueError:
        return None
    return (str(address), port) if address.is_loopback else None


def _probed_path(path: str) -> str | None:
    """``path`` if it is a printable path of this site other than the waterfall's."""
    if len(path) > MAX_PATH_LENGTH or not path.startswith("/") or path.startswith("//"):
        return None
    if not (path.isascii() and path.isprintable()) or " " in path or "\\" in path:
        return None
    # Drawing the waterfall of the waterfall would probe itself, again and again.
    # The path is resolved as Django will resolve the probe's request (percent-escapes
    # decoded once), so no spelling of this view's URL gets through.
    return None if _serves_waterfall(unquote(urlsplit(path).path)) else path


def _serves_waterfall(path: str) -> bool:
    try:
        return resolve(path).func is waterfall
    except Resolver404:
        return False


def _probe(host: str, port: int, authority: str, path: str) -> Exchange:
    # The request's own Host as :authority: h2push learns routes per host, and the
    # picture should show what this browser's next visit of the page would get.
    with H2Connection(host, port, authority=authority, timeout=PROBE_WAIT_SECONDS) as client:
        return client.request(path)


def _draw(exchange: Exchange, authority: str) -> bytes:
    hints, pushes = len(exchange.early_hints), len(exchange.promises)
    title = (
        f"GET https://{authority}{exchange.path}: {exchange.status}, "
        f"{hints} early hint{'' if hints == 1 else 's'}, "
        f"{pushes} push{'' if pushes == 1 else 'es'}"
    )
    # draw_waterfall writes a file; a private folder keeps concurrent views apart.
    with tempfile.TemporaryDirectory(prefix="h2push-waterfall-") as folder:
        return draw_waterfall([exchange], Path(folder) / "waterfall.svg", title=title).read_bytes()
