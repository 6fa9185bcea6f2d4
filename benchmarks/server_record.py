"""What a benchmark server saw of each page load, from the browser tests' recorder.

``harness/browser_recorder.py`` wraps an application and appends a line
per event (a request read, a 103 sent, a response started or ended) with the
server's ``time.monotonic()`` to a file. :class:`EventLog` reads the lines written
since its last read; :func:`load_timings` turns one page load's lines into times in
milliseconds from the page's request: when the 103 went out, when the stylesheet
was asked for and sent, when the page was sent. This shows what the browser's own
Resource Timing cannot: a preload taken from a 103 reports its ``responseEnd`` when
the document picks it up, not when its bytes arrived.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["EventLog", "load_timings"]

Event = tuple[float, str, str]


class EventLog:
    """The recorder's file, read on from where the last read stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def since_last(self) -> list[Event]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as file:
            file.seek(self.offset)
            data = file.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits
        self.offset += len(complete)
        events = []
        for line in complete.decode().splitlines():
            at, event, detail = line.split(" ", 2)
            events.append((float(at), event, detail))
        return events


def load_timings(events: list[Event], page: str, stylesheet: str) -> dict[str, float]:
    """Milliseconds from the request of ``page`` to its 103, the stylesheet's request
    and end, and the page's end: those of them that happened."""
    starts = [at for at, event, detail in events if event == "request" and detail == page]
    if not starts:
        return {}
    began = starts[-1]
    wanted = {
        "hint": ("hint", page),
        "stylesheet_request": ("request", stylesheet),
        "stylesheet_sent": ("end", stylesheet),
        "page_sent": ("end", page),
    }
    timings: dict[str, float] = {}
    for at, event, detail in events:
        if at < began:
            continue
        for name, (kind, target) in wanted.items():
            if name not in timings and event == kind and detail == target:
                timings[name] = (at - began) * 1000
    return timings
