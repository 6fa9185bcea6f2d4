"""A django-debug-toolbar panel: what h2push did for the page, and why.

Configure it with the toolbar's own setting::

    DEBUG_TOOLBAR_PANELS = [
        # ... the toolbar's panels ...
        "h2push.debug_toolbar.H2PushPanel",
    ]

Only a project that names the panel imports this module (and so the toolbar):
importing it is what asks :mod:`h2push.core.story` to record every request's story.
The panel reads that story when the toolbar collects its stats, and once more when
the response has been sent, since pushes made at the response's start happen after
Django has answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from debug_toolbar.panels import Panel
from django.http import HttpRequest, HttpResponseBase

from h2push.core import story as stories
from h2push.core.story import STORY_KEY, Fate, Story

__all__ = ["H2PushPanel", "find_story", "story_stats"]

# The mark each fate gets on a link's timeline: what reached the client early,
# what only the header carried, what was held back.
FATE_COLOURS = {
    Fate.EARLY_HINT: "#2e8b57",
    Fate.PUSHED: "#2f6fbd",
    Fate.PRECONNECT: "#17a2b8",
    Fate.LINK_HEADER: "#7a7a7a",
}
HELD_BACK_COLOUR = "#c0392b"


class H2PushPanel(Panel):
    """Each link of the page with its source and fates, the 103's time against the
    view's, and the reasons for what did not happen."""

    title = "h2push"
    template = "h2push/debug_toolbar.html"
    # Nothing here blocks: the panel only reads what the request recorded.
    is_async = True

    @property
    def nav_subtitle(self) -> str:
        stats = self._stats()
        if not stats.get("recorded"):
            return ""
        count = len(stats["links"])
        links = f"{count} link{'' if count == 1 else 's'}"
        hint_ms = stats["hint_ms"]
        return f"{links}, 103 at {hint_ms:.0f} ms" if hint_ms is not None else f"{links}, no 103"

    def generate_stats(self, request: HttpRequest, response: HttpResponseBase) -> None:
        if not self.enabled:
            return
        story = find_story(request)
        if story is None:
            self._record({"recorded": False})
            return
        answered_ms = _ms(story, time.perf_counter())
        self._record(story_stats(story, answered_ms))

        def after_response() -> None:
            self._record(story_stats(story, answered_ms, sent=True))

        _after_close(response, after_response)

    # The toolbar's own methods carry no annotations: typed doors to them.
    def _stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.get_stats()  # type: ignore[no-untyped-call]
        return stats

    def _record(self, stats: dict[str, Any]) -> None:
        self.record_stats(stats)  # type: ignore[no-untyped-call]


def find_story(request: HttpRequest) -> Story | None:
    """The story a layer of h2push began for this request, if any."""
    carrier: Any = getattr(request, "scope", None) or request.META
    found = carrier.get(STORY_KEY)
    return found if isinstance(found, Story) else None


def _after_close(response: HttpResponseBase, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the server has sent ``response`` and closed it.

    Django's handlers close a response after its last byte went out, and the close
    runs the response's resource closers (the hook FileResponse uses for its file):
    the pushes made at the response's start are in the story by then.
    """
    closers = getattr(response, "_resource_closers", None)
    if isinstance(closers, list):
        closers.append(callback)


def story_stats(story: Story, answered_ms: float, *, sent: bool = False) -> dict[str, Any]:
    """The panel's stats: plain values only, as the toolbar may keep them as JSON.

    ``answered_ms``: when Django had answered (fates after it came with the
    response's start); ``sent``: taken after the response went out.
    """
    view = None
    if story.view_started is not None and story.view_ended is not None:
        view = [_ms(story, story.view_started), _ms(story, story.view_ended)]
    hint_ms = story.ms(story.hint_at)
    links = _links(story, answered_ms)
    return {
        "recorded": True,
        "complete": sent,
        "method": story.method,
        "path": story.path,
        "links": links,
        "reasons": [str(reason) for reason in story.reasons],
        "field": story.field,
        "hint_ms": hint_ms,
        "view_ms": view,
        "answered_ms": answered_ms,
        "late_fates": sum(fate["late"] for link in links for fate in link["fates"]),
        "hint_against_view": _hint_against_view(hint_ms, view),
        "timeline": _timeline(links, hint_ms, view, answered_ms),
    }


def _ms(story: Story, at: float) -> float:
    return (at - story.started) * 1000


def _links(story: Story, answered_ms: float) -> list[dict[str, Any]]:
    """Each link once, in the order it was first met: its source and its fates,
    each fate with the time it was first recorded."""
    sources = story.sources()
    fates: dict[str, list[dict[str, Any]]] = {}
    for event in story.events:
        if event.fate is None:
            continue
        known = fates.setdefault(event.url, [])
        if all(f["fate"] != event.fate for f in known):
            ms = _ms(story, event.at)
            colour = FATE_COLOURS.get(event.fate, HELD_BACK_COLOUR)
            late = ms > answered_ms
            known.append({"fate": str(event.fate), "ms": ms, "late": late, "colour": colour})
    return [
        {"url": url, "source": str(sources.get(url, "unknown")), "fates": fates.get(url, [])}
        for url in dict.fromkeys([*sources, *fates])
    ]


def _hint_against_view(hint_ms: float | None, view: list[float] | None) -> str:
    if hint_ms is None or view is None:
        return ""
    start, end = view
    when = (
        f"{hint_ms - start:.1f} ms after the view started"
        if hint_ms >= start
        else f"{start - hint_ms:.1f} ms before the view started"
    )
    if hint_ms <= end:
        return f"{when}, {end - hint_ms:.1f} ms before it ended"
    return f"{when}, {hint_ms - end:.1f} ms after it ended"


def _timeline(
    links: list[dict[str, Any]], hint_ms: float | None, view: list[float] | None, answered: float
) -> dict[str, float] | None:
    """Positions, in percent of the longest time shown, for the panel's timelines
    (each fate gets its ``x`` too)."""
    if view is None:
        return None
    times = [view[1], answered, hint_ms or 0.0]
    times += [fate["ms"] for link in links for fate in link["fates"]]
    span = max(times) or 1.0

    def percent(ms: float) -> float:
        return round(100 * ms / span, 2)

    for fate in (fate for link in links for fate in link["fates"]):
        fate["x"] = min(percent(fate["ms"]), 99.2)  # a mark at the very end stays visible
    timeline = {
        "span_ms": round(span, 1),
        "view_x": percent(view[0]),
        "view_width": max(percent(view[1] - view[0]), 0.3),
        "answered_x": min(percent(answered), 99.6),
    }
    if hint_ms is not None:
        timeline["hint_x"] = percent(hint_ms)
    return timeline


if H2PushPanel not in stories.listeners:
    # A project that configures the panel wants every request's story.
    stories.listeners.append(H2PushPanel)
