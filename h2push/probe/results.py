"""What a probe returns: the exchange of one request, its 1xx responses, its pushes and
the timeline of what arrived when.

Every time here (``at``, ``received_at``, ``started_at``, ``finished_at``) is a
:func:`time.monotonic` value; :meth:`Exchange.ms` turns one into milliseconds since the
request went out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from h2push.core.linkheader import split_links
from h2push.probe.errors import error_code_name
from h2push.probe.headers import HeaderList, joined, values

__all__ = ["EventKind", "Exchange", "Interim", "Promise", "TimelineEvent"]


class EventKind(StrEnum):
    """What a :class:`TimelineEvent` records. The values are the names used before the
    timeline had fields, so ``event.kind == "headers"`` still reads naturally."""

    #: A PUSH_PROMISE on the request's stream (``path``: the promised path).
    PUSH_PROMISE = "push_promise"
    #: A 1xx response, e.g. 103 Early Hints (``status``).
    INFORMATIONAL = "informational"
    #: The final response's HEADERS (``status``).
    HEADERS = "headers"
    #: A DATA frame of the response (``byte_count``).
    DATA = "data"
    #: Trailing HEADERS (``field_count``).
    TRAILERS = "trailers"
    #: The response's stream ended.
    END = "end"
    #: A pushed response's HEADERS (``path``, ``status``).
    PUSH_HEADERS = "push_headers"
    #: A pushed stream ended (``path``).
    PUSH_END = "push_end"
    #: The server reset a pushed stream (``path``, ``error_code``).
    PUSH_RESET = "push_reset"


PUSH_KINDS = frozenset(
    {EventKind.PUSH_PROMISE, EventKind.PUSH_HEADERS, EventKind.PUSH_END, EventKind.PUSH_RESET}
)


@dataclass(frozen=True, slots=True, repr=False)
class TimelineEvent:
    """One step of an exchange, in the order the frames arrived.

    ``stream_id`` and ``path`` are the request's for the request's own events and the
    pushed stream's (the promised path) for the ``PUSH_*`` kinds. Of the other fields
    each kind fills the ones :class:`EventKind` names; the rest stay ``None``.
    ``at`` is :func:`time.monotonic` when the bytes were read.
    """

    kind: EventKind
    at: float
    stream_id: int
    path: str
    status: int | None = None
    byte_count: int | None = None
    field_count: int | None = None
    error_code: int | None = None

    @property
    def is_push(self) -> bool:
        """Whether the event concerns a pushed stream rather than the request's own."""
        return self.kind in PUSH_KINDS

    @property
    def detail(self) -> str:
        """The event's fields as one string, e.g. ``"200"`` or ``"/a.css CANCEL"``.

        Kept for readers of the older string timeline; new code reads the fields.
        """
        kind = self.kind
        if kind in (EventKind.PUSH_PROMISE, EventKind.PUSH_END):
            return self.path
        if kind in (EventKind.INFORMATIONAL, EventKind.HEADERS):
            return str(self.status)
        if kind is EventKind.DATA:
            return str(self.byte_count)
        if kind is EventKind.TRAILERS:
            return str(self.field_count)
        if kind is EventKind.PUSH_HEADERS:
            return f"{self.path} {self.status}"
        if kind is EventKind.PUSH_RESET:
            return f"{self.path} {error_code_name(self.error_code or 0)}"
        return ""

    def __repr__(self) -> str:
        detail = f" {self.detail}" if self.detail else ""
        return f"<TimelineEvent {self.kind.value}{detail} stream={self.stream_id} at={self.at}>"


@dataclass(repr=False)
class Interim:
    """An informational (1xx) response, such as 103 Early Hints."""

    status: int
    headers: HeaderList
    received_at: float

    @property
    def links(self) -> list[str]:
        """Its links, one per value: a field may carry several, comma-joined."""
        return _link_values(self.headers)

    @property
    def link_fields(self) -> list[str]:
        """Its ``link`` field lines, as sent."""
        return values(self.headers, "link")

    def header_values(self, name: str) -> list[str]:
        return values(self.headers, name)

    def __repr__(self) -> str:
        return f"<Interim {self.status} links={self.links!r}>"


@dataclass(repr=False)
class Promise:
    """One PUSH_PROMISE and the response pushed on its stream.

    ``headers`` are the promised request's fields, pseudo fields included.
    ``status`` stays ``None`` if the server never answered the promise (it was
    reset: see ``reset_code``).
    """

    path: str
    headers: HeaderList
    stream_id: int
    parent_stream_id: int
    received_at: float
    status: int | None = None
    response_headers: HeaderList = field(default_factory=list)
    body: bytes = b""
    finished_at: float | None = None
    reset_code: int | None = None

    def header(self, name: str) -> str | None:
        """A field of the promised request, e.g. ``":authority"``."""
        return joined(self.headers, name)

    def response_header(self, name: str) -> str | None:
        return joined(self.response_headers, name)

    def __repr__(self) -> str:
        state = f"reset {error_code_name(self.reset_code)}" if self.reset_code is not None else ""
        return (
            f"<Promise {self.path} stream={self.stream_id} status={self.status} "
            f"{len(self.body)} bytes{(' ' + state) if state else ''}>"
        )


@dataclass(repr=False)
class Exchange:
    """One request and everything the server sent for it.

    ``started_at`` is when its HEADERS frame was handed to the socket;
    ``finished_at`` when the last of its stream and its pushed streams ended.
    Both, and every ``received_at``/``at``, are :func:`time.monotonic` values.
    """

    method: str
    path: str
    stream_id: int
    request_headers: HeaderList
    status: int
    headers: HeaderList
    body: bytes
    trailers: HeaderList
    interim: list[Interim]
    promises: list[Promise]
    events: list[TimelineEvent]
    started_at: float
    finished_at: float

    def header(self, name: str) -> str | None:
        """A response field; repeated fields are joined with ``", "``."""
        return joined(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        return values(self.headers, name)

    @property
    def links(self) -> list[str]:
        """The final response's links, one per value (as :attr:`Interim.links`)."""
        return _link_values(self.headers)

    @property
    def link_fields(self) -> list[str]:
        """The final response's ``link`` field lines, as sent."""
        return values(self.headers, "link")

    @property
    def early_hints(self) -> list[Interim]:
        return [interim for interim in self.interim if interim.status == 103]

    @property
    def pushed_paths(self) -> list[str]:
        return [promise.path for promise in self.promises]

    def promise_for(self, path: str) -> Promise | None:
        return next((p for p in self.promises if p.path == path), None)

    @property
    def promised_before_headers(self) -> bool:
        """Whether every PUSH_PROMISE arrived before the final response's HEADERS.

        RFC 9113 section 8.4 asks for this: the page's ``Link`` header refers to
        the pushed resources, so their promises belong before it. False when
        there were no promises, so that an assertion on it cannot pass vacuously.
        """
        kinds = [event.kind for event in self.events]
        if EventKind.PUSH_PROMISE not in kinds or EventKind.HEADERS not in kinds:
            return False
        last_promise = len(kinds) - 1 - kinds[::-1].index(EventKind.PUSH_PROMISE)
        return last_promise < kinds.index(EventKind.HEADERS)

    def ms(self, at: float) -> float:
        """Milliseconds from sending the request to ``at``."""
        return (at - self.started_at) * 1000.0

    @property
    def duration_ms(self) -> float:
        return self.ms(self.finished_at)

    def __repr__(self) -> str:
        return (
            f"<Exchange {self.method} {self.path} stream={self.stream_id} {self.status}, "
            f"{len(self.body)} bytes, {len(self.interim)} interim, "
            f"{len(self.promises)} promises>"
        )


def _link_values(headers: HeaderList) -> list[str]:
    return [link for line in values(headers, "link") for link in split_links(line)]
