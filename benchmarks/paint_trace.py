"""Chromium's own account of a few loads of one ``browser`` cell (``--trace RTT,VIEW``).

After the measured loads, each h2push variant (a, d) and the warm-cache limit (w) is
loaded a few more times with a Chromium performance trace running (Playwright's
``browser.start_tracing``; its categories include the network stack's netlog), and
each trace is read into one timeline, in ms from the navigation's start:

- from the network service (HTTP/2 frames of the page's connection): when the
  page's request went out (``request``), the 103 came (``hint``), the final
  response's headers came (``html``), and per asset when Chromium asked the server
  for it (``<asset> asked``) and had all its bytes (``<asset> arrived``);
- from the page's renderer: when it began to commit the navigation (``commit``) and
  finished (``commit end``), when the document asked for each asset (``<asset>
  requested``: a preload from the ``Link`` header or the parser, served from the 103's
  fetch or the cache) and had it (``<asset> loaded``), when parsing began
  (``parse``), and the first contentful paint (``fcp``);
- how much the main threads did before the paint: the page's renderer from the
  HTML's arrival (``page busy``, wall time inside tasks, and ``page cpu``, their
  thread time: the difference is time the thread waited for a CPU), and from the
  navigation's start the CPU time of Chromium's other renderers (``other renderers
  cpu``: its own WebUI among them) and of the browser process's main thread
  (``browser cpu``).

Tracing slows Chromium down, so these loads are not the measured ones; they show
where the time goes, not how much. The raw traces are kept (gzipped) in a folder
of their own, printed at the end.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser

from benchmarks.chromium import ASSETS, Load
from benchmarks.stats import spread
from harness.report import log, print_table

__all__ = ["CATEGORIES", "Traced", "print_traces", "timeline", "trace_load"]

CATEGORIES = [
    "blink.user_timing",  # navigationStart
    "devtools.timeline",
    "loading",
    "navigation",
    "netlog",
    "disabled-by-default-netlog",
    "toplevel",
]
Event = dict[str, Any]
Traced = dict[str, list[dict[str, float]]]  # variant key: one timeline per load


def trace_load(
    browser: Browser, load: Callable[[], Load], url: str, folder: Path
) -> tuple[Load, dict[str, float]]:
    """``load()`` of ``url`` with Chromium tracing: what it read, and its timeline (see
    :func:`timeline`); the raw trace is kept in ``folder``."""
    browser.start_tracing(page=None, categories=CATEGORIES)
    try:
        result = load()
    finally:
        data = browser.stop_tracing()
    number = len(list(folder.glob("*.json.gz")))
    (folder / f"{number:03d}.json.gz").write_bytes(gzip.compress(data))
    return result, timeline(json.loads(data)["traceEvents"], url)


def _ms(event: Event, zero: float) -> float:
    return (float(event["ts"]) - zero) / 1000


def _headers(event: Event) -> list[str]:
    return list(event.get("args", {}).get("params", {}).get("headers", []))


def _busy(events: Iterable[Event], start: float, end: float) -> float:
    """Milliseconds of ``[start, end]`` (trace µs) covered by the events' durations."""
    spans = sorted(
        (max(start, e["ts"]), min(end, e["ts"] + e.get("dur", 0)))
        for e in events
        if e["ts"] < end and e["ts"] + e.get("dur", 0) > start
    )
    total, reach = 0.0, start
    for left, right in spans:
        if right > reach:
            total += right - max(left, reach)
            reach = right
    return total / 1000


def _cpu(tasks: Iterable[Event], start: float, end: float) -> float:
    """Milliseconds of thread (CPU) time of the tasks that began in ``[start, end)``."""
    return float(sum(e.get("tdur", 0) for e in tasks if start <= e["ts"] < end)) / 1000


def _network(events: Sequence[Event], url: str, zero: float) -> dict[str, float]:
    """The page's connection, from the netlog's HTTP/2 frames."""
    parts = urlsplit(url)
    authority = f":authority: {parts.netloc}"
    sent = [
        e
        for e in events
        if e.get("name") == "HTTP2_SESSION_SEND_HEADERS" and authority in _headers(e)
    ]
    page = next((e for e in sent if f":path: {parts.path}" in _headers(e)), None)
    if page is None:
        return {}
    session = page.get("id2")
    here = [e for e in events if str(e.get("name", "")).startswith("HTTP2_SESSION_")]
    here = [e for e in here if e.get("id2") == session]
    streams = {"page": page["args"]["params"]["stream_id"]}
    times = {"request": _ms(page, zero)}
    for name, path in ASSETS.items():
        asked = next((e for e in sent if f":path: {path}" in _headers(e)), None)
        if asked is not None:
            times[f"{name} asked"] = _ms(asked, zero)
            streams[name] = asked["args"]["params"]["stream_id"]
    for e in here:
        params = e.get("args", {}).get("params", {})
        stream = params.get("stream_id")
        if e["name"] == "HTTP2_SESSION_RECV_HEADERS" and stream == streams["page"]:
            key = "hint" if ":status: 103" in _headers(e) else "html"
            times.setdefault(key, _ms(e, zero))
        elif e["name"] == "HTTP2_SESSION_RECV_DATA" and params.get("fin"):
            for name, number in streams.items():
                if number == stream and name != "page":
                    times.setdefault(f"{name} arrived", _ms(e, zero))
    return times


def _renderer(events: Sequence[Event], url: str, start: Event, html: float) -> dict[str, float]:
    """The page's renderer: commit, the document's asset requests, parse, paint."""
    pid, zero = start["pid"], float(start["ts"])
    mine = [e for e in events if e.get("pid") == pid]
    times: dict[str, float] = {}
    commit = next(
        (
            e
            for e in mine
            if e["name"] == "RenderFrameImpl::CommitNavigation" and _ms(e, zero) >= html - 1
        ),
        None,
    )
    if commit is not None:
        times["commit"] = _ms(commit, zero)
        times["commit end"] = times["commit"] + commit.get("dur", 0) / 1000
    ids: dict[str, str] = {}
    for e in mine:
        data = e.get("args", {}).get("data", {})
        if e["name"] == "ResourceSendRequest":
            for name, path in ASSETS.items():
                if str(data.get("url", "")).endswith(path) and name not in ids:
                    ids[name] = data.get("requestId")
                    times[f"{name} requested"] = _ms(e, zero)
        elif e["name"] == "ResourceFinish":
            for name, request in ids.items():
                if data.get("requestId") == request:
                    times.setdefault(f"{name} loaded", _ms(e, zero))
        elif e["name"] == "ParseHTML":
            if e.get("args", {}).get("beginData", {}).get("url") == url:
                times.setdefault("parse", _ms(e, zero))
        elif e["name"] == "firstContentfulPaint":
            times.setdefault("fcp", _ms(e, zero))
    return times


def _main_threads(events: Sequence[Event]) -> dict[int, str]:
    """Each process's id and kind (its ``process_name``)."""
    return {
        int(e["pid"]): str(e["args"].get("name", ""))
        for e in events
        if e.get("name") == "process_name" and e.get("ph") == "M"
    }


def timeline(events: Sequence[Event], url: str) -> dict[str, float]:
    """One traced load's milestones, in ms from its navigation's start (see above)."""
    start = next(
        (
            e
            for e in events
            if e.get("name") == "navigationStart"
            and e.get("args", {}).get("data", {}).get("documentLoaderURL") == url
        ),
        None,
    )
    if start is None:
        return {}
    zero = float(start["ts"])
    times = _network(events, url, zero)
    times |= _renderer(events, url, start, times.get("html", 0.0))
    fcp = times.get("fcp")
    if fcp is None:
        return times
    end = zero + fcp * 1000
    kinds = _main_threads(events)
    tasks = [
        e
        for e in events
        if e.get("name") == "ThreadControllerImpl::RunTask" and e.get("tid") == e.get("pid")
    ]
    after_html = zero + times.get("html", 0.0) * 1000
    page = [e for e in tasks if e["pid"] == start["pid"]]
    times["page busy"] = _busy(page, after_html, end)
    times["page cpu"] = _cpu(page, after_html, end)
    # Renderers are named "Renderer", "WebUI Top Renderer" or by their command line.
    others = {pid for pid, kind in kinds.items() if pid != start["pid"] and "enderer" in kind}
    times["other renderers cpu"] = _cpu([e for e in tasks if e["pid"] in others], zero, end)
    browser = {pid for pid, kind in kinds.items() if kind == "Browser"}
    times["browser cpu"] = _cpu([e for e in tasks if e["pid"] in browser], zero, end)
    return times


def _is_duration(name: str) -> bool:
    return name.endswith((" busy", " cpu"))


def _median(traced: Traced, key: str, name: str) -> float:
    return spread([times[name] for times in traced[key] if name in times]).median


def _milestones(traced: Traced) -> list[str]:
    """The milestones in the order they happen (their median in the first variant
    that has them: a, d, w), then the durations."""
    names: list[str] = []
    for loads in traced.values():
        for times in loads:
            names += [name for name in times if name not in names]
    medians = {name: [_median(traced, k, name) for k in traced] for name in names}
    first = {name: next(m for m in ms if m == m) for name, ms in medians.items()}
    points = sorted((n for n in names if not _is_duration(n)), key=first.__getitem__)
    return points + [name for name in names if _is_duration(name)]


def print_traces(traced: Traced, cell: tuple[int, int], folder: Path) -> None:
    """The median of each milestone per variant, in the order they happen."""
    rtt, view = cell
    log(f"\nChromium's trace of RTT {rtt} ms, view {view} ms (median ms from navigation start;")
    log("busy and cpu: ms of the main threads' tasks, see benchmarks/paint_trace.py):")
    keys = list(traced)
    rows = []
    for name in _milestones(traced):
        medians = [_median(traced, key, name) for key in keys]
        rows.append([name, *(f"{m:.0f}" if m == m else "-" for m in medians)])
    print_table(["milestone", *(f"{k} ({len(traced[k])} loads)" for k in keys)], rows)
    log(f"raw traces (chrome://tracing, Perfetto): {folder}")


def trace_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="h2push-bench-browser-traces-"))
