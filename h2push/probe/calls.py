"""The protocol's bookkeeping for a request in flight and the streams pushed for it.

A :class:`Call` collects what arrives for one request until its stream ends, then
becomes an :class:`~h2push.probe.results.Exchange`; a :class:`Push` does the same for
one promised stream and its :class:`~h2push.probe.results.Promise`.
"""

from __future__ import annotations

from collections.abc import Sequence

from h2push.probe.errors import ProtocolViolation
from h2push.probe.headers import HeaderList
from h2push.probe.request import Request
from h2push.probe.results import EventKind, Exchange, Interim, Promise, TimelineEvent

__all__ = ["Call", "Push", "describe_outstanding"]


class Push:
    """One promised stream, recorded on the timeline of the call it was promised for."""

    __slots__ = ("body", "call", "promise")

    def __init__(self, promise: Promise, call: Call) -> None:
        self.promise = promise
        self.call = call
        self.body = bytearray()

    @property
    def done(self) -> bool:
        return self.promise.finished_at is not None

    def record(
        self,
        kind: EventKind,
        at: float,
        *,
        status: int | None = None,
        error_code: int | None = None,
    ) -> None:
        """Add a ``PUSH_*`` event for this stream to its call's timeline."""
        self.call.events.append(
            TimelineEvent(
                kind,
                at,
                self.promise.stream_id,
                self.promise.path,
                status=status,
                error_code=error_code,
            )
        )


class Call:
    """One request while it is queued or in flight."""

    def __init__(self, request: Request, headers: HeaderList) -> None:
        self.request = request
        self.headers = headers
        self.refused = 0
        self.clear()

    def clear(self) -> None:
        """Forget a previous attempt (a stream the server refused) before sending again."""
        self.stream_id = 0
        self.started_at = 0.0
        self.status: int | None = None
        self.response_headers: HeaderList = []
        self.body = bytearray()
        self.trailers: HeaderList = []
        self.interim: list[Interim] = []
        self.pushes: list[Push] = []
        self.events: list[TimelineEvent] = []
        self.ended_at: float | None = None
        self.body_sent = 0

    def record(
        self,
        kind: EventKind,
        at: float,
        *,
        status: int | None = None,
        byte_count: int | None = None,
        field_count: int | None = None,
    ) -> None:
        """Add an event of the request's own stream to its timeline."""
        self.events.append(
            TimelineEvent(
                kind,
                at,
                self.stream_id,
                self.request.path,
                status=status,
                byte_count=byte_count,
                field_count=field_count,
            )
        )

    def exchange(self) -> Exchange:
        """The finished request as the caller sees it."""
        if self.status is None or self.ended_at is None:
            raise ProtocolViolation(
                f"stream {self.stream_id} ({self.request.path}) ended without a final response"
            )
        for push in self.pushes:
            push.promise.body = bytes(push.body)
        finished = max(
            [self.ended_at, *(p.promise.finished_at or self.ended_at for p in self.pushes)]
        )
        return Exchange(
            method=self.request.method,
            path=self.request.path,
            stream_id=self.stream_id,
            request_headers=self.headers,
            status=self.status,
            headers=self.response_headers,
            body=bytes(self.body),
            trailers=self.trailers,
            interim=self.interim,
            promises=[push.promise for push in self.pushes],
            events=self.events,
            started_at=self.started_at,
            finished_at=finished,
        )


def describe_outstanding(calls: Sequence[Call]) -> str:
    """What is still expected for ``calls``, e.g. ``"2 of 3 responses"``."""
    responses = sum(1 for call in calls if call.ended_at is None)
    pushes = sum(1 for call in calls for push in call.pushes if not push.done)
    parts = []
    if responses:
        parts.append(f"{responses} of {len(calls)} responses")
    if pushes:
        parts.append(f"{pushes} pushed responses")
    return " and ".join(parts) or "nothing"
