"""``h2probe --waterfall`` and the command's "Why" section, against real servers.

The waterfall's SVG is parsed as XML: each stream's bars are a group with the id
``stream-<id>``, and each 103 a dashed line with the id ``early-hint-<n>``. The
drawing itself is also checked on an exchange built in memory (no server): the same
exchange gives the same bytes.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from h2push.probe.results import EventKind, Exchange, Interim, Promise, TimelineEvent
from h2push.probe.waterfall import WaterfallUnavailable, draw_waterfall, waterfall_rows
from harness.certificates import cafile
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_probe(*args: str) -> str:
    """The h2probe command's report; a test that talks to a server passes ``--cafile``
    with the server's certificate, so the probe verifies it."""
    out = StringIO()
    call_command("h2probe", *args, stdout=out)
    return out.getvalue()


def ids(svg: Path, prefix: str) -> dict[str, ET.Element]:
    """The SVG's elements whose id starts with ``prefix``, by id."""
    root = ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    return {
        element.get("id", ""): element
        for element in root.iter()
        if element.get("id", "").startswith(prefix)
    }


# ------------------------------------------------------------ against runh2server


@pytest.mark.e2e
def test_waterfall_of_a_slow_page_has_a_row_per_stream(
    h2server: ServerProcess, tmp_path: Path
) -> None:
    svg, png = tmp_path / "declared.svg", tmp_path / "declared.png"
    url = h2server.url("/slow/declared/?ms=300")
    verify = ("--cafile", str(cafile(h2server)))

    output = run_probe(url, *verify, "--waterfall", str(svg))

    assert f"Waterfall: {svg}" in output
    assert "Why:" not in output  # A 103 and both pushes: nothing to explain.
    rows = ids(svg, "stream-")
    assert sorted(rows) == ["stream-1", "stream-2", "stream-4"]  # the page and 2 pushes
    for group in rows.values():
        assert group.tag == f"{SVG}g"
        assert group.findall(f".//{SVG}path"), "each row draws its bars"
    assert list(ids(svg, "early-hint-")) == ["early-hint-1"]

    output = run_probe(url, *verify, "--no-push", "--waterfall", str(png))
    assert f"Waterfall: {png}" in output
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert "- No push: the probe refused pushes (--no-push" in output


@pytest.mark.e2e
def test_why_for_a_page_without_a_link_header(h2server: ServerProcess) -> None:
    output = run_probe(h2server.url("/api/menu.json"), "--cafile", str(cafile(h2server)))

    why = output[output.index("\nWhy:\n") :]
    assert "- The response has no Link header." in why
    assert "discovery reads HTML pages only, and this is application/json" in why
    assert "docs/discovery.rst" in why


@pytest.mark.e2e
def test_why_for_a_learned_route_until_its_third_visit(h2server_factory: H2ServerFactory) -> None:
    server = h2server_factory()  # Its own process: nothing learned for /slow/ yet.
    url = server.url("/slow/?ms=50")
    verify = ("--cafile", str(cafile(server)))

    first = run_probe(url, *verify)
    assert "Early hints: 0" in first and "Pushed: 2" in first
    why = " ".join(first[first.index("\nWhy:\n") :].split())
    assert "- No 103, although the Link header has preloads. Likely:" in why
    assert "h2push hints a learned link once two pages of the route agreed" in why
    assert "No push" not in why

    run_probe(url, *verify)
    third = run_probe(url, *verify)
    assert "Early hints: 1" in third
    assert "Why:" not in third


@pytest.fixture
def http11_only(dev_cert_pair: tuple[Path, Path]) -> Iterator[int]:
    """A TLS server on a loopback port whose ALPN offers only http/1.1; it completes
    each handshake and closes."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*dev_cert_pair)
    context.set_alpn_protocols(["http/1.1"])
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        try:
            raw, _ = listener.accept()
            with context.wrap_socket(raw, server_side=True) as conn:
                conn.recv(1)  # Until the client gives up and closes.
        except OSError:
            pass  # The test ended first, or the client closed mid-handshake.

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(timeout=5)


@pytest.mark.e2e
def test_why_for_a_server_that_is_not_http2(
    http11_only: int, dev_cert_pair: tuple[Path, Path]
) -> None:
    out = StringIO()
    url = f"https://127.0.0.1:{http11_only}/"
    with pytest.raises(CommandError, match="did not agree to HTTP/2"):
        call_command("h2probe", url, "--cafile", str(dev_cert_pair[0]), stdout=out)
    assert "- The connection is not HTTP/2 (ALPN gave http/1.1)" in out.getvalue()


# --------------------------------------------------------------- without a server


def built_exchange() -> Exchange:
    """A page hinted at 5 ms and answered at 310 ms, with one pushed stylesheet and
    one push the server reset."""
    events = [
        TimelineEvent(EventKind.PUSH_PROMISE, 10.004, 1, "/p/", status=None),
        TimelineEvent(EventKind.INFORMATIONAL, 10.005, 1, "/p/", status=103),
        TimelineEvent(EventKind.PUSH_HEADERS, 10.008, 2, "/a.css", status=200),
        TimelineEvent(EventKind.PUSH_END, 10.012, 2, "/a.css"),
        TimelineEvent(EventKind.PUSH_RESET, 10.013, 4, "/b.js", error_code=8),
        TimelineEvent(EventKind.HEADERS, 10.310, 1, "/p/", status=200),
        TimelineEvent(EventKind.END, 10.312, 1, "/p/"),
    ]
    promises = [
        Promise("/a.css", [], 2, 1, 10.004, 200, [], b"x" * 400, 10.012),
        Promise("/b.js", [], 4, 1, 10.004, None, [], b"", 10.013, 8),
    ]
    return Exchange(
        "GET", "/p/", 1, [], 200, [], b"<html>", [], [Interim(103, [], 10.005)],
        promises, events, 10.0, 10.312,
    )  # fmt: skip


def test_rows_are_the_page_then_its_pushes_in_ms() -> None:
    page, css, js = waterfall_rows([built_exchange()])
    assert (page.gid, page.start_ms, page.hints_ms) == ("stream-1", 0.0, (pytest.approx(5.0),))
    assert page.headers_ms == pytest.approx(310.0) and page.end_ms == pytest.approx(312.0)
    assert (css.gid, css.pushed, css.status, css.size) == ("stream-2", True, 200, 400)
    assert css.headers_ms == pytest.approx(8.0)
    assert (js.headers_ms, js.status, js.summary) == (None, None, "reset at 13.0 ms")


def test_the_svg_is_the_same_for_the_same_exchange(tmp_path: Path) -> None:
    first, second = tmp_path / "1.svg", tmp_path / "2.svg"
    draw_waterfall([built_exchange()], first, title="built")
    draw_waterfall([built_exchange()], second, title="built")
    assert first.read_bytes() == second.read_bytes()
    assert b"<dc:date>" not in first.read_bytes()
    assert sorted(ids(first, "stream-")) == ["stream-1", "stream-2", "stream-4"]


def test_a_name_that_is_not_svg_or_png_is_refused_before_probing() -> None:
    with pytest.raises(CommandError, match=r"written as \.svg or \.png, not '\.gif'"):
        # Nothing listens on port 9: the name is refused before any connection.
        run_probe("https://127.0.0.1:9/", "--waterfall", "out.gif")


def test_without_matplotlib_drawing_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    with pytest.raises(WaterfallUnavailable, match=r"pip install 'h2push\[plots\]'"):
        draw_waterfall([built_exchange()], tmp_path / "w.svg")
