"""What h2push did for one request, and why: its links, their fates, the reasons.

Both layers tell the story as it happens; nobody pays for it unless someone
listens (the ``h2push`` logger at ``DEBUG``, or the debug-toolbar panel). A
:class:`Story` travels with the request under :data:`STORY_KEY` (the ASGI scope or
the WSGI environ), made by whichever layer meets the request first; the one that
made it tells it once the response has gone (:func:`tell`). This module imports
neither layer, and nothing of Django.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "STORY_KEY",
    "Fate",
    "LinkEvent",
    "Reason",
    "Source",
    "Story",
    "begin",
    "listening",
    "tell",
]

logger = logging.getLogger("h2push")

STORY_KEY = "h2push.core.story"


class Source(StrEnum):
    """Where a link came from."""

    DECLARED = "declared"  # @push_static / @push_url on the view
    REGISTERED = "registered"  # template tag, make_push_promise, response.push_promises
    LEARNED = "learned"  # what the route's pages agreed on
    DISCOVERED = "discovered"  # found in this page's HTML
    VIEW = "view header"  # the view's own Link header
    FIELD = "field"  # the LCP image the route's visitors reported (H2PUSH_FIELD)


class Fate(StrEnum):
    """What became of a link."""

    LINK_HEADER = "in the Link header"
    EARLY_HINT = "in the 103"
    PUSHED = "pushed"
    PRECONNECT = "another origin: a preconnect instead"
    FOREIGN = "left out: an origin the site does not name (H2PUSH_ASSET_ORIGINS)"
    DIGEST_SKIP = "not pushed: the digest says the client has it"
    OVER_BUDGET = "not pushed: over the connection's push budget"
    OVER_CAP = "left out: over H2PUSH_MAX_PRELOADS"
    TOO_LONG = "left out: URL over 2,048 characters"
    MISSING_FILE = "left out: no static file has that name"
    UNUSED = "left out: the route's visitors never used it (field)"
    DECLARED_UNUSED = "kept (declared), though the route's visitors never used it (field)"


class Reason(StrEnum):
    """Why no 103 or no push went out."""

    NEW_ROUTE = "no 103: nothing learned for this route yet (two pages must agree)"
    FAST_VIEW = "no 103: the route answers faster than H2PUSH_EARLY_HINTS_MIN_VIEW_MS"
    NO_EARLY_CHANNEL = "no 103: the server offers no way to send one"
    NOT_NAVIGATION = "no 103: not a top-level navigation (Sec-Fetch-*)"
    EARLY_HINTS_OFF = "no 103: H2PUSH_EARLY_HINTS is off"
    NOTHING_EARLY = "no 103: no link was known before the view"
    STORE_FAILED = "no learned hints: the learned store failed"
    NO_PUSH_EXTENSION = "no push: the server does not offer push"
    BROWSER = "no push: a browser (Sec-Fetch-*), and browsers refuse push"
    PUSH_OFF = "no push: H2PUSH_ENABLED is off"
    HOLDOUT = "no 103: held out, to compare with (H2PUSH_FIELD_HOLDOUT)"


@dataclass(frozen=True)
class LinkEvent:
    url: str
    source: Source | None
    fate: Fate | None
    at: float


@dataclass
class Story:
    """One request's events, in order, with the times that place them."""

    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    events: list[LinkEvent] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    hint_at: float | None = None
    view_started: float | None = None
    view_ended: float | None = None
    # What field learning knows of the route (H2PUSH_FIELD), in a few words.
    field: str | None = None
    # The route is settled and this page was not read for links (one in 32 is).
    settled: bool = False

    def link(self, url: str, source: Source) -> None:
        if not any(e.url == url and e.source is not None for e in self.events):
            self.events.append(LinkEvent(url, source, None, time.perf_counter()))

    def fate(self, url: str, fate: Fate) -> None:
        self.events.append(LinkEvent(url, None, fate, time.perf_counter()))

    def reason(self, reason: Reason) -> None:
        # The first layer to know why no 103 went out knows best: keep its reason.
        first_word = reason.value.split(":")[0]
        if not any(r.value.split(":")[0] == first_word for r in self.reasons):
            self.reasons.append(reason)

    def hinted(self) -> None:
        self.hint_at = time.perf_counter()

    def sources(self) -> dict[str, Source]:
        return {e.url: e.source for e in self.events if e.source is not None}

    def fates(self) -> dict[str, list[Fate]]:
        fates: dict[str, list[Fate]] = {}
        for event in self.events:
            if event.fate is not None and event.fate not in fates.setdefault(event.url, []):
                fates[event.url].append(event.fate)
        return fates

    def ms(self, at: float | None) -> float | None:
        return None if at is None else (at - self.started) * 1000

    def summary(self) -> str:
        """One line: the request and the process that answered it, each link with
        its source and fates, then the reasons."""
        sources, fates = self.sources(), self.fates()
        links = [
            f"{url} [{sources.get(url, '?')}: {', '.join(fates.get(url, [])) or 'nothing'}]"
            for url in dict.fromkeys([*sources, *fates])
        ]
        timing = f"103 at {self.ms(self.hint_at):.1f} ms; " if self.hint_at else ""
        view = self._view_times()
        # Each worker of a multi-process server learns, times and discovers on its
        # own (unless H2PUSH_LEARN_CACHE is shared): the pid says whose memory
        # answered. Read now, not at import: a preforking server forks after that.
        request = f"{self.method} {self.path} (pid {os.getpid()})"
        field = f" | field: {self.field}" if self.field else ""
        settled = " | settled route: page not read for links" if self.settled else ""
        return (
            f"{request}: {timing}{view}{'; '.join(links) or 'no links'}"
            + (f" | {'; '.join(self.reasons)}" if self.reasons else "")
            + field
            + settled
        )

    def _view_times(self) -> str:
        start, end = self.ms(self.view_started), self.ms(self.view_ended)
        if start is None or end is None:
            return ""
        return f"view {start:.1f}-{end:.1f} ms; "


# Listeners beside the logger (the debug-toolbar panel registers here).
listeners: list[Any] = []


def listening() -> bool:
    """Whether anyone listens to stories now."""
    return bool(listeners) or logger.isEnabledFor(logging.DEBUG)


def begin(carrier: MutableMapping[str, Any], method: str, path: str) -> Story | None:
    """The request's story, made now if someone listens; ``None`` (and nothing
    recorded, nothing spent) otherwise. ``carrier`` is the scope or the environ."""
    story: Story | None = carrier.get(STORY_KEY)
    if story is None and listening():
        story = carrier[STORY_KEY] = Story(method, path)
    return story


def tell(story: Story | None) -> None:
    """Log the story at ``DEBUG`` (one line per page)."""
    # A request no view answered and that had no links (an asset, a pushed
    # response) is no story worth a line, whatever the delivery layer noted.
    worth_telling = story is not None and (bool(story.events) or story.view_started is not None)
    if worth_telling and story is not None and logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s", story.summary())
