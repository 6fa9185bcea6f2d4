"""What one browser's report says, once checked: the contract between the beacon's
checks and the samples' store and quorum."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["VIEWPORT_BREAKPOINTS", "HintUse", "LcpElement", "Sample", "ViewportGroup", "group_of"]

#: Viewport widths (CSS px) that split visitors into groups whose LCP element may
#: differ: a phone, a small tablet, a tablet, a desktop.
VIEWPORT_BREAKPOINTS = (480, 600, 782)


class ViewportGroup(IntEnum):
    PHONE = 0  # up to 480 px
    SMALL_TABLET = 1  # up to 600 px
    TABLET = 2  # up to 782 px
    DESKTOP = 3  # wider


def group_of(width: int) -> ViewportGroup:
    """The group of a viewport ``width`` px wide."""
    for group, limit in enumerate(VIEWPORT_BREAKPOINTS):
        if width <= limit:
            return ViewportGroup(group)
    return ViewportGroup.DESKTOP


@dataclass(frozen=True, slots=True)
class LcpElement:
    """The resource of the page's Largest Contentful Paint element."""

    url: str  # as the page's HTML named it, resolved to a site-relative or absolute URL
    is_image: bool  # an <img>; False for a CSS background image
    srcset: str | None = None
    sizes: str | None = None


@dataclass(frozen=True, slots=True)
class HintUse:
    """What became of one URL the page was hinted."""

    url: str
    used: bool  # an element or a document.fonts face references it
    initiator: str  # Resource Timing initiatorType ("early-hints", "link", "css", ...)
    response_end_ms: float | None


@dataclass(frozen=True, slots=True)
class Sample:
    """One navigation's report, as stored: nothing that names the visitor."""

    route: str
    group: ViewportGroup
    client: str  # a keyed hash of the client's address: tells clients apart, names none
    lcp: LcpElement | None
    lcp_ms: float | None
    fcp_ms: float | None
    had_early_hint: bool  # firstInterimResponseStart > 0
    holdout: bool  # the page was served without a 103 on purpose, for comparison
    hints: tuple[HintUse, ...]
