"""A waterfall picture of one or more exchanges: one row per stream, against time.

Each row is a stream: a request's own, or one the server pushed for it. A row starts
when the request went out (or the PUSH_PROMISE arrived) and has two segments: the
wait until the response's HEADERS, then the body until the stream ended. Each 103
Early Hints response is a diamond on its request's row and a dashed line across the
picture. Times are milliseconds from the first request.

:func:`waterfall_rows` works the rows out without any plotting library, so they can be
tested alone; :func:`draw_waterfall` draws them with matplotlib, imported only then
(``pip install 'h2push[plots]'``). The SVG it writes has no date and fixed ids, so the
same exchange gives the same file, and each row's bars are a group whose id is
``stream-<id>``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from h2push.probe.results import EventKind, Exchange

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

__all__ = [
    "FORMATS",
    "Row",
    "WaterfallUnavailable",
    "draw_waterfall",
    "waterfall_format",
    "waterfall_rows",
]

#: File name endings :func:`draw_waterfall` writes.
FORMATS = ("svg", "png")

# Colours readable by colour-blind eyes too (blue and orange stand apart in each kind).
PAGE_WAIT, PAGE_BODY = "#b9cde5", "#1f5fa8"
PUSH_WAIT, PUSH_BODY = "#f6d5a8", "#d4760f"
HINT_COLOUR = "#2e8b3a"
# A body that arrived within a fraction of a millisecond would be invisible.
MIN_WIDTH_SHARE = 0.004


class WaterfallUnavailable(Exception):
    """The picture cannot be drawn: matplotlib is missing, or the format is unknown."""


@dataclass(frozen=True, slots=True)
class Row:
    """One stream of the picture; times in ms from the first request.

    ``headers_ms`` is ``None`` for a push reset before its response; ``hints_ms``
    holds the 103s that arrived on a request's stream.
    """

    label: str
    stream_id: int
    pushed: bool
    start_ms: float
    headers_ms: float | None
    end_ms: float
    status: int | None
    size: int
    hints_ms: tuple[float, ...] = ()

    @property
    def gid(self) -> str:
        return f"stream-{self.stream_id}"

    @property
    def summary(self) -> str:
        """What the row's right-hand note says, e.g. ``"200, 878 B, 324.6 ms"``."""
        if self.status is None:
            return f"reset at {self.end_ms:.1f} ms"
        return f"{self.status}, {self.size:,} B, done at {self.end_ms:.1f} ms"


def waterfall_rows(exchanges: Sequence[Exchange]) -> list[Row]:
    """Each exchange's own row followed by the rows of the streams pushed for it."""
    if not exchanges:
        return []
    origin = min(exchange.started_at for exchange in exchanges)
    rows: list[Row] = []
    for exchange in exchanges:
        rows.append(_request_row(exchange, origin))
        rows.extend(_push_rows(exchange, origin))
    return rows


def _ms(at: float, origin: float) -> float:
    return (at - origin) * 1000.0


def _short(path: str, limit: int = 42) -> str:
    return path if len(path) <= limit else path[: limit - 1] + "…"


def _request_row(exchange: Exchange, origin: float) -> Row:
    own = [event for event in exchange.events if not event.is_push]
    headers = next((e.at for e in own if e.kind is EventKind.HEADERS), None)
    end = next((e.at for e in own if e.kind is EventKind.END), exchange.finished_at)
    return Row(
        label=f"{exchange.method} {_short(exchange.path)}",
        stream_id=exchange.stream_id,
        pushed=False,
        start_ms=_ms(exchange.started_at, origin),
        headers_ms=None if headers is None else _ms(headers, origin),
        end_ms=_ms(end, origin),
        status=exchange.status,
        size=len(exchange.body),
        hints_ms=tuple(_ms(hint.received_at, origin) for hint in exchange.early_hints),
    )


def _push_rows(exchange: Exchange, origin: float) -> list[Row]:
    rows = []
    for promise in exchange.promises:
        mine = [e for e in exchange.events if e.is_push and e.stream_id == promise.stream_id]
        headers = next((e.at for e in mine if e.kind is EventKind.PUSH_HEADERS), None)
        ended = [e.at for e in mine if e.kind in (EventKind.PUSH_END, EventKind.PUSH_RESET)]
        end = promise.finished_at or (ended[-1] if ended else exchange.finished_at)
        rows.append(
            Row(
                label=f"push {_short(promise.path)}",
                stream_id=promise.stream_id,
                pushed=True,
                start_ms=_ms(promise.received_at, origin),
                headers_ms=None if headers is None else _ms(headers, origin),
                end_ms=_ms(end, origin),
                status=promise.status,
                size=len(promise.body),
            )
        )
    return rows


def waterfall_format(path: str | os.PathLike[str]) -> str:
    """``"svg"`` or ``"png"`` from the file name's ending; :class:`WaterfallUnavailable`
    for any other, so a caller can refuse a name before probing."""
    suffix = Path(path).suffix
    if suffix.lower().lstrip(".") not in FORMATS:
        raise WaterfallUnavailable(
            f"a waterfall is written as .svg or .png, not {suffix or 'a name without one'!r}"
        )
    return suffix.lower().lstrip(".")


def draw_waterfall(
    exchanges: Sequence[Exchange], path: str | os.PathLike[str], *, title: str = ""
) -> Path:
    """Draw ``exchanges`` into ``path`` (``.svg`` or ``.png``) and return the path.

    Raises :class:`WaterfallUnavailable` for another ending, or without matplotlib.
    """
    target = Path(path)
    kind = waterfall_format(target)
    try:
        # Imported here: plotting is an optional extra, and the probe works without it.
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise WaterfallUnavailable(
            "drawing a waterfall needs matplotlib: pip install 'h2push[plots]'"
        ) from None
    rows = waterfall_rows(exchanges)
    # Fixed ids and no date: the same exchange always makes the same SVG.
    with matplotlib.rc_context({"svg.hashsalt": "h2push-waterfall", "font.size": 9}):
        figure = Figure(figsize=(10, 1.7 + 0.42 * len(rows)), layout="constrained")
        axes = figure.subplots()
        _draw(axes, rows)
        if title:
            axes.set_title(title, loc="left", fontsize=10)
        metadata = {"Date": None} if kind == "svg" else None
        figure.savefig(target, format=kind, metadata=metadata, dpi=110)
    return target


def _draw(axes: Axes, rows: list[Row]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    span = max([row.end_ms for row in rows] + [1.0])
    min_width = span * MIN_WIDTH_SHARE
    for y, row in enumerate(rows):
        _draw_row(axes, y, row, min_width)
    hints = [(y, at) for y, row in enumerate(rows) for at in row.hints_ms]
    for number, (y, at) in enumerate(hints, start=1):
        line = axes.axvline(at, color=HINT_COLOUR, linestyle="--", linewidth=1)
        line.set_gid(f"early-hint-{number}")
        axes.plot([at], [y], marker="D", color=HINT_COLOUR, markersize=7, zorder=4)
        axes.annotate(
            f"103 at {at:.1f} ms",
            (at, -0.36),
            xytext=(3, 0),
            textcoords="offset points",
            color=HINT_COLOUR,
            fontsize=8,
            va="bottom",
        )
    axes.set_yticks(range(len(rows)), [f"{row.label}  ({row.stream_id})" for row in rows])
    axes.set_ylim(len(rows) - 0.5, -0.8)  # First request at the top, room for the 103.
    axes.set_xlim(0, span * 1.3)
    axes.set_xlabel("ms since the request was sent")
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    legend: list[Artist] = [
        Patch(color=PAGE_WAIT, label="request: waiting for HEADERS"),
        Patch(color=PAGE_BODY, label="response body"),
        Patch(color=PUSH_WAIT, label="push: promised, waiting"),
        Patch(color=PUSH_BODY, label="pushed body"),
    ]
    if hints:
        legend.append(
            Line2D([], [], color=HINT_COLOUR, linestyle="--", marker="D", label="103 Early Hints")
        )
    # Below the axes, where it can hide no bar.
    axes.figure.legend(handles=legend, loc="outside lower center", ncols=len(legend), fontsize=8)


def _draw_row(axes: Axes, y: int, row: Row, min_width: float) -> None:
    wait_colour, body_colour = (PUSH_WAIT, PUSH_BODY) if row.pushed else (PAGE_WAIT, PAGE_BODY)
    headers = row.end_ms if row.headers_ms is None else row.headers_ms
    spans = [(row.start_ms, max(headers - row.start_ms, min_width))]
    colours = [wait_colour]
    if row.headers_ms is not None:
        spans.append((headers, max(row.end_ms - headers, min_width)))
        colours.append(body_colour)
    bars = axes.broken_barh(spans, (y - 0.3, 0.6), facecolors=colours)
    bars.set_gid(row.gid)
    if row.headers_ms is None:
        axes.plot([row.end_ms], [y], marker="x", color="#b00020", markersize=8, zorder=4)
    axes.annotate(
        row.summary,
        (max(row.end_ms, headers + min_width), y),
        xytext=(5, 0),
        textcoords="offset points",
        va="center",
        fontsize=8,
    )
