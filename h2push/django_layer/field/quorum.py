"""What a viewport group's samples conclude, once enough distinct clients agree.

Pure functions over samples, nothing stored or read here. Every count is of distinct
clients, never of samples: a client adds at most one sample per route and time
window, but over many windows one client could fill a window on its own, and a
conclusion it alone could reach would let one attacker with one address choose
what every other visitor is hinted. A quorum of ``q`` distinct clients means no
single client ever decides anything by itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from h2push.django_layer.field.sample import LcpElement, Sample

__all__ = [
    "SINGLE_CLIENT_SAMPLES",
    "Conclusion",
    "HintVotes",
    "clients_of",
    "conclude",
    "hint_votes",
    "is_single_client",
    "lcp_votes",
]

#: How many samples, all from one client, make the sign of a proxy whose client
#: header is not configured: one or two are just the first visitor.
SINGLE_CLIENT_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class Conclusion:
    """What a viewport group's samples agree on."""

    lcp: LcpElement | None  # the image to hint, or None: no image has the quorum
    unused: frozenset[str]  # hinted URLs the quorum shows the page never used
    single_client: bool  # every sample came from one client (a proxy's address?)
    clients: int  # distinct clients among the samples


@dataclass(frozen=True, slots=True)
class HintVotes:
    """How many distinct clients reported one hinted URL used, and how many not."""

    used_by: int
    unused_by: int


def clients_of(samples: Iterable[Sample]) -> int:
    return len({sample.client for sample in samples})


def is_single_client(samples: Sequence[Sample]) -> bool:
    """Whether ``samples`` are enough of them and all come from one client."""
    return len(samples) >= SINGLE_CLIENT_SAMPLES and clients_of(samples) == 1


def lcp_votes(samples: Iterable[Sample]) -> tuple[tuple[LcpElement, int], ...]:
    """Each LCP element the samples named, with how many distinct clients named it
    exactly so (URL, kind, ``srcset`` and ``sizes``), the most named first.

    The whole element must agree, not only its URL: the ``srcset`` and ``sizes`` go
    into the hint as they are, and one client must not be able to choose them.
    """
    clients: defaultdict[LcpElement, set[str]] = defaultdict(set)
    for sample in samples:
        if sample.lcp is not None:
            clients[sample.lcp].add(sample.client)
    votes = [(element, len(named_by)) for element, named_by in clients.items()]
    # The URL breaks ties, so that the order (and the report) does not depend on
    # the order the samples came in.
    votes.sort(key=lambda vote: (-vote[1], vote[0].url, vote[0].is_image))
    return tuple(votes)


def hint_votes(samples: Iterable[Sample]) -> dict[str, HintVotes]:
    """Per hinted URL the samples reported on: distinct clients that used it, and
    distinct clients that did not."""
    used: defaultdict[str, set[str]] = defaultdict(set)
    unused: defaultdict[str, set[str]] = defaultdict(set)
    for sample in samples:
        for hint in sample.hints:
            (used if hint.used else unused)[hint.url].add(sample.client)
    urls = sorted(used.keys() | unused.keys())
    return {url: HintVotes(len(used.get(url, ())), len(unused.get(url, ()))) for url in urls}


def _lcp_image(votes: Sequence[tuple[LcpElement, int]], quorum: int) -> LcpElement | None:
    if not votes:
        return None
    element, clients = votes[0]
    if clients < quorum or not element.is_image:
        return None  # a CSS background is reported, never hinted: no preload fits it
    if len(votes) > 1 and votes[1][1] == clients:
        return None  # two elements as often: the clients do not agree
    return element


def conclude(samples: Sequence[Sample], quorum: int, hinted: Collection[str]) -> Conclusion:
    """What ``samples`` (one route's, one viewport group's) conclude with a quorum of
    ``quorum`` distinct clients, for a route whose hints are ``hinted``.

    - ``lcp``: the ``<img>`` that at least ``quorum`` distinct clients named as their
      LCP element, and more of them than named any other element;
    - ``unused``: the ``hinted`` URLs that at least ``quorum`` distinct clients
      reported unused and no sample reported used (a page that uses a hint some of
      the time needs it);
    - ``single_client``: see :func:`is_single_client`.
    """
    # A quorum below one would conclude from no client at all: every hint unused.
    quorum = max(1, quorum)
    votes = hint_votes(samples)
    unused = frozenset(
        url
        for url in hinted
        if (vote := votes.get(url)) is not None and vote.used_by == 0 and vote.unused_by >= quorum
    )
    return Conclusion(
        lcp=_lcp_image(lcp_votes(samples), quorum),
        unused=unused,
        single_client=is_single_client(samples),
        clients=clients_of(samples),
    )
