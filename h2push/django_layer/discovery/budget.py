"""What one reading of a page may cost, in CPU time of the thread that reads it.

A page is read either in the background thread (or in the request's own thread
under WSGI), with :func:`background`'s budget, or right on the event loop (under
ASGI) with :func:`on_event_loop`'s few milliseconds. A reading on the event loop
that would cost more raises :class:`Deferred`, and the page goes to the background
thread instead. docs/discovery.rst gives the measurements behind each number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = [
    "INLINE_MAX_PAGE_BYTES",
    "MAX_TAGS",
    "PAGE_SECONDS",
    "PARSE_SECONDS",
    "SHEET_SECONDS",
    "Budget",
    "Deferred",
    "OverBudget",
    "background",
    "on_event_loop",
]

#: Lexbor's share of a page's reading: a page it cannot parse in this much CPU time
#: is read only as far as it got (its ``<head>``, for any page of a sane size).
PARSE_SECONDS = 0.020
#: A page's whole reading; past it, no more stylesheets are read for it (those read
#: so far are kept, so a later reading of the route goes further).
PAGE_SECONDS = 0.100
#: One stylesheet's scan for its fonts; one that needs longer yields those found in
#: that time (a stylesheet is read once, and kept until its file changes).
SHEET_SECONDS = 0.100
#: The ``<link>``, ``<script>`` and ``<base>`` tags examined in one page.
MAX_TAGS = 1024

#: Pages larger than this are never read on the event loop.
INLINE_MAX_PAGE_BYTES = 64 * 1024
_INLINE_PARSE_SECONDS = 0.002
_INLINE_PAGE_SECONDS = 0.005
_INLINE_MAX_SHEET_BYTES = 64 * 1024
_INLINE_SHEET_READS = 4

# Lexbor is given the page this many bytes at a time, and the clock read after each:
# smaller chunks overrun the budget less and cost more calls.
_CHUNK = 512
_INLINE_CHUNK = 256
_CHECK_EVERY = 32


class OverBudget(Exception):
    """Part of a page or a stylesheet was left unread: reading it would cost more
    than its budget. Told once per process, as a warning."""


class Deferred(Exception):
    """The page is worth reading, but not on the event loop: it would take longer
    than the event loop may wait."""


@dataclass(slots=True)
class Budget:
    """The limits of one reading, and the clock it started at."""

    parse_seconds: float
    page_seconds: float
    chunk: int
    inline: bool
    max_sheet_bytes: int | None = None  # None: any size (up to the stylesheet cap)
    sheet_reads: int | None = None  # uncached stylesheets this reading may read
    started: float = field(default_factory=time.thread_time)

    def exhausted(self) -> bool:
        """Whether the reading has used its time; on the event loop, this hands
        the page over (:class:`Deferred`) instead of answering ``True``."""
        if time.thread_time() - self.started <= self.page_seconds:
            return False
        if self.inline:
            raise Deferred("the reading took longer than the event loop may wait")
        return True

    def check(self, count: int | None = None) -> None:
        """On the event loop, hand the page over if it has used its time. In a
        loop, pass the count: the clock is read once in :data:`_CHECK_EVERY`
        turns (reading it costs too). Off the event loop, nothing: the counts
        bound the loops there."""
        if self.inline and (count is None or count % _CHECK_EVERY == _CHECK_EVERY - 1):
            self.exhausted()

    def sheet_deadline(self) -> float:
        """The thread CPU time at which a stylesheet's scan must give up."""
        if self.inline:
            return self.started + self.page_seconds
        return time.thread_time() + SHEET_SECONDS

    def may_read_sheet(self, size: int) -> bool:
        """Whether a stylesheet of ``size`` bytes, not read yet, may be read now
        (and count it); on the event loop, one that may not hands the page over."""
        if self.inline:
            if self.max_sheet_bytes is not None and size > self.max_sheet_bytes:
                raise Deferred("a stylesheet to read is too large for the event loop")
            if self.sheet_reads == 0:
                raise Deferred("too many stylesheets to read on the event loop")
        if self.sheet_reads is not None:
            self.sheet_reads -= 1
        return not self.exhausted()


def background() -> Budget:
    """The budget of a reading off the event loop."""
    return Budget(PARSE_SECONDS, PAGE_SECONDS, _CHUNK, inline=False)


def on_event_loop() -> Budget:
    """The budget of a reading on the event loop: a few milliseconds."""
    return Budget(
        _INLINE_PARSE_SECONDS,
        _INLINE_PAGE_SECONDS,
        _INLINE_CHUNK,
        inline=True,
        max_sheet_bytes=_INLINE_MAX_SHEET_BYTES,
        sheet_reads=_INLINE_SHEET_READS,
    )
