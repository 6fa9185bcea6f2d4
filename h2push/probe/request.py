"""What the probe is asked for: a URL split into its target, and the requests to send."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from h2push.probe.errors import InvalidURL
from h2push.probe.headers import HeaderList, HeadersArg, header_items

__all__ = [
    "DEFAULT_ACCEPT",
    "USER_AGENT",
    "Request",
    "Target",
    "build_headers",
    "parse_url",
]

DEFAULT_ACCEPT: Final = "text/html,application/xhtml+xml,*/*;q=0.8"


def _package_version() -> str:
    try:
        return metadata.version("h2push")
    except metadata.PackageNotFoundError:
        return "dev"


USER_AGENT: Final = f"h2push-probe/{_package_version()}"


@dataclass(frozen=True)
class Request:
    """What :meth:`H2Connection.request_many` sends; a plain ``str`` means a GET of that path."""

    path: str = "/"
    method: str = "GET"
    headers: HeadersArg | None = None
    body: bytes = b""


class Target(NamedTuple):
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """Split ``https://host[:port][/path][?query]`` into host, port and path."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"invalid URL {url!r}: {exc}") from None
    if parts.scheme.lower() != "https":
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise InvalidURL(
            f"not an https:// URL ({shown}): {url!r}; the probe speaks HTTP/2 over TLS only"
        )
    if not parts.hostname:
        raise InvalidURL(f"no host in URL {url!r}")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.hostname, port if port is not None else 443, path)


def build_headers(
    request: Request,
    common: HeadersArg | None,
    *,
    authority: str,
    user_agent: str = USER_AGENT,
    accept: str = DEFAULT_ACCEPT,
) -> HeaderList:
    """The header block that goes out for ``request``: pseudo fields first.

    ``common`` headers replace the defaults, and the request's own replace both; a
    pseudo field given there (``:authority``, say) replaces the computed one.
    """
    if not (request.path.startswith("/") or (request.path == "*" and request.method == "OPTIONS")):
        raise ValueError(f"request path must start with '/': {request.path!r}")
    pseudo = {
        ":method": request.method,
        ":scheme": "https",
        ":authority": authority,
        ":path": request.path,
    }
    regular: HeaderList = [("user-agent", user_agent), ("accept", accept)]
    if request.body:
        regular.append(("content-length", str(len(request.body))))
    for source in (header_items(common), header_items(request.headers)):
        given = {name for name, _ in source}
        regular = [(n, v) for n, v in regular if n not in given]
        for name, value in source:
            if name.startswith(":"):
                if name not in pseudo:
                    raise ValueError(f"unknown pseudo header {name!r}")
                pseudo[name] = value
            else:
                regular.append((name, value))
    return [*pseudo.items(), *regular]
