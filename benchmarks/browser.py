"""A client that loads a page and its stylesheet as a browser's preload scanner does.

It is :mod:`h2push.probe` refusing push (``SETTINGS_ENABLE_PUSH = 0``, like every
current browser) with a browser's large windows, and an event hook that asks for the
page's stylesheet, on the same connection, at the first moment it learns its URL:
from a ``103 Early Hints`` response, else from the final response's
``Link: rel=preload`` header, else from a ``<link rel="stylesheet">`` in the HTML
received so far. The times come from the probe's exchanges afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import h2.events

from h2push.core.linkheader import parse_link, split_links
from h2push.probe import Exchange, H2Connection, Request
from h2push.probe.headers import decode_headers, values

__all__ = ["BrowserConnection", "PageLoad", "preloaded_style"]

_STYLESHEET = re.compile(rb"<link\s+rel=\"stylesheet\"\s+href=\"([^\"]+)\"")
_PAGE_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"
_CSS_ACCEPT = "text/css,*/*;q=0.1"
# A browser's windows are large enough that flow control never makes it wait.
_STREAM_WINDOW = 6 * 1024 * 1024
_CONNECTION_WINDOW = 16 * 1024 * 1024


def _local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def preloaded_style(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The first same-origin ``rel=preload; as=style`` target among the ``Link`` fields."""
    for header in values(decode_headers(headers), "link"):
        for value in split_links(header):
            link = parse_link(value)
            if link and link.is_preload and link.params.get("as") == "style" and _local(link.url):
                return link.url
    return None


@dataclass
class PageLoad:
    """The times of one page load, in milliseconds from sending the page request."""

    status: int = 0
    hint_ms: float | None = None
    page_headers_ms: float | None = None
    page_done_ms: float | None = None
    css_requested_ms: float | None = None
    css_done_ms: float | None = None
    css_status: int = 0
    css_path: str | None = None
    css_source: str | None = None  # "103", "link header" or "html"
    page_bytes: int = 0
    css_bytes: int = 0
    interim: list[int] = field(default_factory=list)

    @property
    def ready_ms(self) -> float:
        """When the page and its stylesheet were both complete (the first render)."""
        assert self.page_done_ms is not None and self.css_done_ms is not None
        return max(self.page_done_ms, self.css_done_ms)


class BrowserConnection:
    """One connection, opened (SETTINGS exchanged, not timed) on construction."""

    def __init__(self, host: str, port: int, *, timeout: float = 15.0) -> None:
        self.connection = H2Connection(
            host,
            port,
            enable_push=False,
            timeout=timeout,
            initial_window_size=_STREAM_WINDOW,
            connection_window_size=_CONNECTION_WINDOW,
            user_agent="h2push-benchmark",
        ).connect()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def load(self, path: str) -> PageLoad:
        """Load ``path`` and its stylesheet; return once both have arrived."""
        scanner = _PreloadScanner(self.connection)
        self.connection.on_event = scanner.see
        try:
            exchanges = self.connection.request_many([Request(path, headers=_accept(_PAGE_ACCEPT))])
        finally:
            self.connection.on_event = None
        if len(exchanges) < 2:
            raise RuntimeError(f"{path} names no stylesheet")
        return scanner.result(*exchanges)


def _accept(value: str) -> dict[str, str]:
    return {"accept": value}


class _PreloadScanner:
    """Watches the page's events until it learns the stylesheet's URL, then asks for it.

    Push is refused and the stylesheet is not asked for yet, so until then every
    response event belongs to the page: no stream ids are needed.
    """

    def __init__(self, connection: H2Connection) -> None:
        self.connection = connection
        self.css_path: str | None = None
        self.css_source: str | None = None
        self.html = b""

    def see(self, event: h2.events.Event, at: float) -> None:
        if self.css_path is not None:
            return
        match event:
            case h2.events.InformationalResponseReceived(headers=headers) if headers:
                self.ask(preloaded_style(headers), "103")
            case h2.events.ResponseReceived(headers=headers) if headers:
                self.ask(preloaded_style(headers), "link header")
            case h2.events.DataReceived(data=data) if data:
                self.html += data
                found = _STYLESHEET.search(self.html)
                self.ask(found.group(1).decode() if found else None, "html")

    def ask(self, url: str | None, source: str) -> None:
        if url is None:
            return
        self.css_path, self.css_source = url, source
        self.connection.add_request(Request(url, headers=_accept(_CSS_ACCEPT)))

    def result(self, page: Exchange, css: Exchange) -> PageLoad:
        hints = [interim.received_at for interim in page.early_hints]
        headers_at = next(e.at for e in page.events if e.kind == "headers")
        return PageLoad(
            status=page.status,
            hint_ms=page.ms(hints[0]) if hints else None,
            page_headers_ms=page.ms(headers_at),
            page_done_ms=page.duration_ms,
            css_requested_ms=page.ms(css.started_at),
            css_done_ms=page.ms(css.finished_at),
            css_status=css.status,
            css_path=self.css_path,
            css_source=self.css_source,
            page_bytes=len(page.body),
            css_bytes=len(css.body),
            interim=[interim.status for interim in page.interim],
        )
