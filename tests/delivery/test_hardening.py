"""Issue 10, the delivery layer: what a hostile page, Host or client can make the
ASGI adapter push, hint or count.

Each test here failed on the code before the hardening (4b24467): the adapter
pushed whatever same-origin path a ``Link`` header named, however long, with dot
segments, for any Host, to browsers that refuse push, and shared one budget among
connections it could not tell apart.
"""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie
from urllib.parse import unquote

import pytest
from django.test import override_settings

from h2push.asgi import H2PushMiddleware
from h2push.core.contract import EARLY_LINKS_SCOPE_KEY, Message, Receive, Scope, Send
from h2push.core.linkheader import parse_link, split_links
from h2push.testing import H2TestClient
from harness.constants import EARLY_URLS
from tests.support.early_harness import Run, request, run_request

# fresh_store: what one test's pages taught must not reach another test's 103s.
pytestmark = [pytest.mark.urls(EARLY_URLS), pytest.mark.usefixtures("fresh_store")]

CSS_PATH = "/static/css/base.css"
JS_PATH = "/static/js/app.js"
CSS = f"<{CSS_PATH}>; rel=preload; as=style"
JS = f"<{JS_PATH}>; rel=preload; as=script"
ASSETS = [CSS_PATH, JS_PATH]
URL_LIMIT = 2048
DIGEST_COOKIE = "h2push_digest"

DOT_SEGMENT_URLS = [
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2E%2E/%2E%2E/etc/passwd",
    "/static/css/../../x",
    "/static/./css/base.css",
]
DOT_IDS = ["encoded", "encoded-upper", "plain-dot-dot", "single-dot"]


def link_app(links: list[str], early: list[str] | None = None) -> H2PushMiddleware:
    """A plain ASGI app (no Django) in the adapter: it offers ``early`` through the
    early channel, then answers 200 with ``links`` as its own ``link`` headers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        send_early = scope.get(EARLY_LINKS_SCOPE_KEY)
        if early and send_early is not None:
            await send_early(early)
        headers = [(b"content-type", b"text/html"), *((b"link", v.encode()) for v in links)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"<p>page</p>"})

    return H2PushMiddleware(app)


def run(app: H2PushMiddleware, path: str = "/", **client: object) -> Run:
    """One GET through ``app`` from a new HTTP/2 connection; promises are not followed."""
    return request(H2TestClient(app, **client), path)


def hinted_urls(run: Run) -> list[str]:
    links = [parse_link(value) for hint in run.hints for value in hint]
    return [link.url for link in links if link is not None]


def has_dot_segment(path: str) -> bool:
    segments = unquote(path.split("?", 1)[0]).split("/")
    return any(segment in (".", "..") for segment in segments)


def digest_set_cookies(values: list[str]) -> list[str]:
    return [value for value in values if value.startswith(f"{DIGEST_COOKIE}=")]


# --- 1. URL and Host bounds -------------------------------------------------------------


def test_the_url_limit_is_2048() -> None:
    from h2push.core import linkheader

    assert linkheader.MAX_URL_LENGTH == URL_LIMIT


def test_the_adapter_never_pushes_or_hints_a_path_over_the_limit() -> None:
    """A plain ASGI app's own ``link`` header and early links: a path one character
    over the limit is not pushed and not hinted; one at the limit still is."""
    too_long = "/static/" + "x" * (URL_LIMIT + 1 - len("/static/.css")) + ".css"
    at_limit = "/static/" + "y" * (URL_LIMIT - len("/static/.css")) + ".css"
    assert (len(too_long), len(at_limit)) == (URL_LIMIT + 1, URL_LIMIT)
    links = [f"<{too_long}>; rel=preload; as=style", f"<{at_limit}>; rel=preload; as=style"]

    header_only = run(link_app(links))
    assert header_only.status == 200
    assert header_only.pushed == [at_limit]

    early = run(link_app(links, early=links))
    assert early.status == 200
    assert early.pushed == [at_limit]
    assert hinted_urls(early) == [at_limit]


def test_the_adapter_never_pushes_for_a_host_over_255_characters() -> None:
    long_host = "a" * 250 + ".example"
    assert len(long_host) > 255
    app = link_app([CSS])
    assert run(app, host="testserver").pushed == [CSS_PATH]
    refused = run(app, host=long_host)
    assert refused.status == 200
    assert refused.pushed == []


# --- 4. browsers get no push attempt ----------------------------------------------------


@pytest.mark.parametrize(
    "browser_headers",
    [
        {"sec-fetch-mode": "navigate"},
        {"sec-fetch-dest": "document"},
        {"Sec-Fetch-Site": "none", "Sec-Fetch-User": "?1"},
    ],
    ids=["mode", "dest", "site-user"],
)
def test_a_browser_request_gets_no_push_no_budget_entry_and_no_digest(
    browser_headers: dict[str, str],
) -> None:
    """Browsers refuse push (SETTINGS_ENABLE_PUSH = 0) and the server drops the
    promises silently: pushing to them only fills the budget and the digest."""
    with override_settings(H2PUSH_PUSH_DIGEST=True, H2PUSH_PUSH_BUDGET=2):
        client = H2TestClient()
        browser = request(client, "/early/declared/", headers=browser_headers)
        # The same connection, then, from a client that does take pushes.
        pusher = request(client, "/early/declared/")

    assert browser.status == 200
    assert browser.pushed == []
    assert digest_set_cookies(browser.header_values("set-cookie")) == []
    assert browser.hints == [[CSS, JS]]
    browser_links = [v for h in browser.header_values("link") for v in split_links(h)]
    assert browser_links == [CSS, JS]
    # Nothing went into the budget of two: the next page gets both pushes.
    assert pusher.pushed == ASSETS
    assert len(digest_set_cookies(pusher.header_values("set-cookie"))) == 1


# --- 6. dot segments ----------------------------------------------------------------------


@pytest.mark.parametrize("url", DOT_SEGMENT_URLS, ids=DOT_IDS)
def test_the_adapter_never_pushes_or_hints_a_path_with_dot_segments(url: str) -> None:
    links = [f"<{url}>; rel=preload; as=style", CSS]
    result = run(link_app(links, early=links))
    assert result.status == 200
    assert result.pushed == [CSS_PATH]
    assert not any(has_dot_segment(path) for path in result.pushed)
    assert hinted_urls(result) == [CSS_PATH]


# --- 7a. connections without a client address ---------------------------------------------


def test_connections_without_a_client_address_do_not_share_one_budget() -> None:
    """Two connections the adapter cannot tell apart (no ``client`` in the scope),
    each pushing one asset whose promised request never comes."""
    app = link_app([CSS])
    runs = []
    with override_settings(H2PUSH_PUSH_BUDGET=1):
        for _ in range(2):
            scope = H2TestClient(app).scope("GET", "/")
            del scope["client"]
            runs.append(_run_scope(app, scope))
    assert [r.status for r in runs] == [200, 200]
    assert [r.pushed for r in runs] == [[CSS_PATH], [CSS_PATH]]


def _run_scope(app: H2PushMiddleware, scope: Scope) -> Run:
    return asyncio.run(run_request(app, scope))


# --- 7c. the digest cookie's Secure attribute -----------------------------------------------


def _cookie_attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in set_cookie.split(";")[1:]}


def _digest_cookie_over(scheme: str) -> str:
    with override_settings(H2PUSH_PUSH_DIGEST=True):
        client = H2TestClient(scheme=scheme)
        response = client.get("/early/declared/")
    assert response.status == 200
    assert [path for path, _ in client.push_promises] == ASSETS
    cookies = digest_set_cookies(response.header_values("set-cookie"))
    assert len(cookies) == 1, response.header_values("set-cookie")
    assert DIGEST_COOKIE in SimpleCookie(cookies[0])
    return cookies[0]


def test_the_digest_cookie_is_secure_only_over_https() -> None:
    """Over cleartext HTTP/2 (h2c, push advertised) a ``Secure`` cookie would never
    come back, so every page would push everything again."""
    over_https = _digest_cookie_over("https")
    assert "secure" in _cookie_attributes(over_https), over_https
    cleartext = _digest_cookie_over("http")
    assert "secure" not in _cookie_attributes(cleartext), cleartext


# --- 7e. credentials are never copied into a promise ----------------------------------------


@pytest.mark.parametrize(
    "names",
    [["cookie", "authorization", "accept"], ["Cookie", "AUTHORIZATION", "accept"]],
    ids=["lower", "mixed-case"],
)
def test_cookie_and_authorization_are_never_copied_into_a_promise(names: list[str]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/html"), (b"link", CSS.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    adapter = H2PushMiddleware(app, copy_headers=names)
    credentials = {"cookie": "sessionid=secret", "authorization": "Bearer secret"}
    client = H2TestClient(adapter, headers={**credentials, "accept": "text/css"})
    result = request(client, "/")
    pushes: list[Message] = [m for m in result.messages if m["type"] == "http.response.push"]
    assert [m["path"] for m in pushes] == [CSS_PATH]
    assert pushes[0]["headers"] == [(b"accept", b"text/css")]
