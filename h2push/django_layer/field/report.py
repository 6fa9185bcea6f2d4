"""The field report: per route and viewport group, what the samples show.

How many samples and distinct clients there are, the LCP element they name, each
hinted URL used or unused, and whether the hints help: the median LCP and FCP of
visits served as usual against the holdout visits (served without a 103 on
purpose), with a bootstrap interval of the difference of the medians.

Visits served as usual are compared as a whole, whether their 103 arrived or not: a
proxy that drops 103s is part of what the site's visitors get, and leaving those
visits out would flatter the hints.

``manage.py h2push_field`` prints it (:func:`as_text`, or :func:`as_json` with
``--json``).
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings

from h2push.django_layer.field.encoding import Window
from h2push.django_layer.field.quorum import conclude, hint_votes, lcp_votes
from h2push.django_layer.field.sample import (
    VIEWPORT_BREAKPOINTS,
    LcpElement,
    Sample,
    ViewportGroup,
)
from h2push.django_layer.field.samples import CacheSamples, FieldStore, MemorySamples

__all__ = [
    "CONFIDENCE",
    "DEFAULT_QUORUM",
    "MIN_VISITS",
    "RESAMPLES",
    "Comparison",
    "GroupReport",
    "HintLine",
    "as_json",
    "as_text",
    "bootstrap_interval",
    "compare",
    "field_quorum",
    "group_label",
    "median",
    "read_reports",
    "report_window",
    "store_label",
]

DEFAULT_QUORUM = 5
#: Resamples of the bootstrap: enough that the interval's ends move by less than a
#: millisecond or two from one seed to another on windows of this size.
RESAMPLES = 4000
#: A fixed seed: the same samples always give the same interval, so two runs of the
#: report differ only when the samples do.
SEED = 20
CONFIDENCE = 0.95
#: The fewest visits of each kind worth an interval: below it, the interval of a
#: median is mostly the spread of two or three numbers.
MIN_VISITS = 5


def field_quorum() -> int:
    """How many distinct clients must agree (``H2PUSH_FIELD_QUORUM``)."""
    return int(getattr(settings, "H2PUSH_FIELD_QUORUM", DEFAULT_QUORUM))


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def bootstrap_interval(
    first: Sequence[float],
    second: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """A percentile bootstrap interval of ``median(first) - median(second)``;
    ``None`` if either has fewer than :data:`MIN_VISITS` values."""
    if len(first) < MIN_VISITS or len(second) < MIN_VISITS:
        return None
    rng = random.Random(seed)
    differences = sorted(
        statistics.median(rng.choices(first, k=len(first)))
        - statistics.median(rng.choices(second, k=len(second)))
        for _ in range(resamples)
    )
    tail = (1 - confidence) / 2
    low = differences[math.floor(tail * resamples)]
    high = differences[math.ceil((1 - tail) * resamples) - 1]
    return low, high


@dataclass(frozen=True, slots=True)
class Comparison:
    """One metric (LCP or FCP, ms) of visits served as usual against holdout visits."""

    visits: int
    holdout_visits: int
    median: float | None
    holdout_median: float | None
    interval: tuple[float, float] | None  # of the difference; None: too few visits

    @property
    def difference(self) -> float | None:
        if self.median is None or self.holdout_median is None:
            return None
        return self.median - self.holdout_median

    def as_json(self) -> dict[str, object]:
        return {
            "median_ms": self.median,
            "holdout_median_ms": self.holdout_median,
            "visits": self.visits,
            "holdout_visits": self.holdout_visits,
            "difference_ms": self.difference,
            "interval_ms": None if self.interval is None else list(self.interval),
            "too_few": self.interval is None,
        }


def compare(
    regular: Sequence[Sample], holdout: Sequence[Sample], metric: Callable[[Sample], float | None]
) -> Comparison:
    """``metric`` of the ``regular`` visits against the ``holdout`` ones; a visit that
    did not report it (the page left before its LCP) is left out."""
    values = [value for sample in regular if (value := metric(sample)) is not None]
    held = [value for sample in holdout if (value := metric(sample)) is not None]
    return Comparison(
        visits=len(values),
        holdout_visits=len(held),
        median=median(values),
        holdout_median=median(held),
        interval=bootstrap_interval(values, held),
    )


@dataclass(frozen=True, slots=True)
class HintLine:
    """What became of one hinted URL, in distinct clients."""

    url: str
    used_by: int
    unused_by: int
    verdict: str  # "used", "unused" (the quorum agrees) or "undecided"


@dataclass(frozen=True, slots=True)
class GroupReport:
    """What one route's samples in one viewport group show."""

    route: str
    group: ViewportGroup
    samples: int
    holdout_samples: int
    clients: int
    early_hints: int  # visits served as usual whose 103 arrived
    single_client: bool
    lcp: LcpElement | None  # the element most clients named, hinted or not
    lcp_clients: int
    lcp_hinted: bool  # the quorum agrees on it, and it is an <img>
    hints: tuple[HintLine, ...]
    lcp_ms: Comparison
    fcp_ms: Comparison

    def as_json(self) -> dict[str, object]:
        lcp = self.lcp
        element = None
        if lcp is not None:
            element = {
                "url": lcp.url,
                "image": lcp.is_image,
                "srcset": lcp.srcset,
                "sizes": lcp.sizes,
                "clients": self.lcp_clients,
                "hinted": self.lcp_hinted,
            }
        return {
            "route": self.route,
            "group": self.group.name.lower(),
            "group_label": group_label(self.group),
            "samples": self.samples,
            "holdout_samples": self.holdout_samples,
            "clients": self.clients,
            "early_hints": self.early_hints,
            "single_client": self.single_client,
            "lcp_element": element,
            "hints": [
                {"url": h.url, "used_by": h.used_by, "unused_by": h.unused_by, "verdict": h.verdict}
                for h in self.hints
            ],
            "lcp": self.lcp_ms.as_json(),
            "fcp": self.fcp_ms.as_json(),
        }


def group_label(group: ViewportGroup) -> str:
    """``phone (up to 480 px)``, ..., ``desktop (over 782 px)``."""
    name = group.name.lower().replace("_", " ")
    if group < len(VIEWPORT_BREAKPOINTS):
        return f"{name} (up to {VIEWPORT_BREAKPOINTS[group]} px)"
    return f"{name} (over {VIEWPORT_BREAKPOINTS[-1]} px)"


def _verdict(url: str, used_by: int, unused: frozenset[str]) -> str:
    if url in unused:
        return "unused"
    return "used" if used_by else "undecided"


def report_window(route: str, group: ViewportGroup, window: Window, quorum: int) -> GroupReport:
    """The report of one route's window in ``group``, with a quorum of ``quorum``."""
    samples = window.samples
    votes = hint_votes(samples)
    # Every URL the samples reported on was hinted to the page that sent them.
    conclusion = conclude(samples, quorum, votes.keys())
    elements = lcp_votes(samples)
    lcp, lcp_clients = elements[0] if elements else (None, 0)
    return GroupReport(
        route=route,
        group=group,
        samples=len(window.regular),
        holdout_samples=len(window.holdout),
        clients=conclusion.clients,
        early_hints=sum(sample.had_early_hint for sample in window.regular),
        single_client=conclusion.single_client,
        lcp=lcp,
        lcp_clients=lcp_clients,
        lcp_hinted=lcp is not None and conclusion.lcp == lcp,
        hints=tuple(
            HintLine(
                url, vote.used_by, vote.unused_by, _verdict(url, vote.used_by, conclusion.unused)
            )
            for url, vote in votes.items()
        ),
        lcp_ms=compare(window.regular, window.holdout, lambda sample: sample.lcp_ms),
        fcp_ms=compare(window.regular, window.holdout, lambda sample: sample.fcp_ms),
    )


def read_reports(
    store: FieldStore, quorum: int, route_contains: str | None = None
) -> list[GroupReport]:
    """The report of every route the store lists (those whose key contains
    ``route_contains``, if given), by route then viewport group; a group without
    samples is left out. Raises what the store raises."""
    reports = []
    for route in sorted(store.routes()):
        if route_contains is not None and route_contains not in route:
            continue
        for group, window in zip(ViewportGroup, store.windows(route), strict=True):
            if window.regular or window.holdout:
                reports.append(report_window(route, group, window, quorum))
    return reports


def store_label(store: FieldStore) -> str:
    if isinstance(store, CacheSamples):
        return f"cache {store.alias!r}"
    return "this process"


def as_json(store: FieldStore, quorum: int, reports: Sequence[GroupReport]) -> dict[str, object]:
    return {
        "store": store_label(store),
        "quorum": quorum,
        "groups": [report.as_json() for report in reports],
    }


# --- as text ------------------------------------------------------------------------


def as_text(store: FieldStore, quorum: int, reports: Sequence[GroupReport]) -> str:
    lines = [
        f"Field samples in {store_label(store)}; a conclusion needs {quorum} distinct clients."
    ]
    if not reports:
        lines.append("No samples.")
        if isinstance(store, MemorySamples):
            lines.append(
                "The learned store is kept in each process (H2PUSH_LEARN_CACHE is not set): "
                "this command, a process of its own, cannot see a server's samples. Name a "
                "cache that the server's workers share in H2PUSH_LEARN_CACHE to read them here."
            )
    for report in reports:
        lines += ["", *_group_lines(report, quorum)]
    return "\n".join(lines)


def _group_lines(report: GroupReport, quorum: int) -> list[str]:
    lines = [
        f"{report.route} -- {group_label(report.group)}",
        f"  samples: {report.samples} served as usual (103 arrived in {report.early_hints}), "
        f"{report.holdout_samples} holdout; {report.clients} distinct "
        f"{_plural(report.clients, 'client')}",
    ]
    if report.single_client:
        lines.append(
            "  WARNING: every sample came from one client. Behind a proxy, name the header "
            "it writes the client's address in with H2PUSH_FIELD_CLIENT_HEADER: until then "
            "no quorum can form."
        )
    lines.append(f"  LCP element: {_element_text(report, quorum)}")
    if report.hints:
        lines.append("  hints:")
    width = max((len(hint.verdict) for hint in report.hints), default=0)
    for hint in report.hints:
        lines.append(
            f"    {hint.verdict:<{width}}  {hint.url}: used by {hint.used_by}, "
            f"unused by {hint.unused_by} {_plural(hint.unused_by, 'client')}"
        )
    lines.append(f"  LCP: {_comparison_text(report.lcp_ms)}")
    lines.append(f"  FCP: {_comparison_text(report.fcp_ms)}")
    return lines


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _element_text(report: GroupReport, quorum: int) -> str:
    lcp = report.lcp
    if lcp is None:
        return "none reported"
    kind = "<img>" if lcp.is_image else "CSS background"
    text = f"{kind} {lcp.url}"
    if lcp.srcset is not None or lcp.sizes is not None:
        text += f" (srcset {lcp.srcset!r}, sizes {lcp.sizes!r})"
    text += f", named by {report.lcp_clients} {_plural(report.lcp_clients, 'client')}: "
    if report.lcp_hinted:
        return text + "hinted (preload, fetchpriority=high)"
    if not lcp.is_image:
        return text + "reported, never hinted (no preload fits a background)"
    if report.lcp_clients < quorum:
        return text + f"not hinted, below the quorum of {quorum}"
    return text + "not hinted, another element was named as often"


def _median_text(median: float | None, visits: int) -> str:
    if median is None:
        return "none yet"
    return f"{median:.0f} ms ({visits} {_plural(visits, 'visit')})"


def _comparison_text(comparison: Comparison) -> str:
    text = (
        f"served as usual {_median_text(comparison.median, comparison.visits)}, "
        f"holdout {_median_text(comparison.holdout_median, comparison.holdout_visits)}"
    )
    difference = comparison.difference
    if difference is not None:
        text += f"; difference {difference:+.0f} ms"
    if comparison.interval is None:
        return text + f"; too few visits for an interval ({MIN_VISITS} of each needed)"
    low, high = comparison.interval
    return text + f", {CONFIDENCE:.0%} interval {low:+.0f} to {high:+.0f} ms"
