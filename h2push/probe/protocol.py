"""The probe's HTTP/2 exchange without I/O: bytes in, bytes to send out.

:class:`ProbeProtocol` wraps the ``h2`` client state machine. The caller queues a batch
of calls (``begin``), lets it open their streams (``send_queued``), feeds it the
server's bytes with the time they were read (``receive_data``) and writes out
``data_to_send()`` after each step, until ``batch_done``; a call may join the batch
in flight (``add``). Meanwhile it records each call's 1xx responses, promises,
pushed responses and timeline, cancels pushes nobody waits for, sends refused
streams again, and turns a reset, a GOAWAY or a broken rule into the matching
:class:`~h2push.probe.errors.ProbeError`. An :data:`EventHook` (``on_event``) sees
every ``h2`` event as it arrives.

It owns no socket and reads no clock but the one it is given (``clock``, which stamps
when a request's HEADERS were queued), so it runs the same on a test's bytes.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Final

import h2.events
import h2.exceptions
from h2.errors import ErrorCodes

from h2push.probe.calls import Call, Push, describe_outstanding
from h2push.probe.errors import (
    GoAwayError,
    ProtocolViolation,
    StreamResetError,
    error_code_name,
    setting_name,
)
from h2push.probe.h2state import client_h2
from h2push.probe.headers import decode_headers, joined, split_status
from h2push.probe.results import EventKind, Interim, Promise

__all__ = ["EventHook", "ProbeProtocol"]

#: ``on_event(event, at)``: every event ``h2`` reports for the server's frames, with
#: the :func:`time.monotonic` their bytes were read at, before the protocol handles
#: it. For a caller that acts while a response arrives (asks for a stylesheet once a
#: 103 names it, with :meth:`ProbeProtocol.add`) or wants frames the results leave
#: out. GOAWAY never reaches it (the protocol reads that frame itself). It must not
#: change the ``h2`` connection; what it raises leaves :meth:`~ProbeProtocol.receive_data`.
EventHook = Callable[[h2.events.Event, float], None]

# A refused stream was never processed (RFC 9113 section 8.7), so it is safe to
# send again; the bound only stops a server that refuses everything from looping.
_MAX_REFUSED_RETRIES: Final = 3
_FRAME_HEADER_SIZE: Final = 9
_PUSH_PROMISE_TYPE: Final = 0x5
_GOAWAY_TYPE: Final = 0x7


class ProbeProtocol:
    """One client connection's HTTP/2 state; see the module's docstring for the protocol.

    The settings are the client's SETTINGS (``None`` keeps h2's defaults: 100, 65535,
    16384); ``connection_window_size`` enlarges the connection-level receive window.
    ``on_event`` (an :data:`EventHook`, also settable later as an attribute) sees
    every event.
    The connection preface is ready in :meth:`data_to_send` as soon as it is built.
    """

    def __init__(
        self,
        *,
        enable_push: bool = True,
        max_concurrent_streams: int | None = None,
        initial_window_size: int | None = None,
        max_frame_size: int | None = None,
        connection_window_size: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_event: EventHook | None = None,
    ) -> None:
        self.enable_push = enable_push
        self.on_event = on_event
        self._h2 = client_h2(
            enable_push=enable_push,
            max_concurrent_streams=max_concurrent_streams,
            initial_window_size=initial_window_size,
            max_frame_size=max_frame_size,
            connection_window_size=connection_window_size,
        )
        self._clock = clock
        self._inbuf = bytearray()
        #: Whether the server's first SETTINGS frame has arrived (with its stream limit).
        self.settings_received = False
        #: The server's GOAWAY, once one arrived.
        self.goaway: GoAwayError | None = None
        self._batch: list[Call] = []
        self._queue: deque[Call] = deque()
        self._calls: dict[int, Call] = {}
        self._pushes: dict[int, Push] = {}
        self._sending: list[Call] = []
        self._open_pushes = 0
        # Responses plus pushed responses still expected; checking each call after
        # every read would cost O(requests) per read.
        self._outstanding = 0
        #: The most pushed streams that were open at once on this connection. RFC 9113
        #: lets a server open no more than the client's SETTINGS_MAX_CONCURRENT_STREAMS.
        self.max_open_pushed_streams = 0

    # -- state -------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """The bytes queued for the server since the last call."""
        return self._h2.data_to_send()

    @property
    def server_settings(self) -> dict[str, int]:
        """The server's current SETTINGS values (RFC defaults for those it did not send)."""
        return {setting_name(code): value for code, value in self._h2.remote_settings.items()}

    @property
    def batch_done(self) -> bool:
        """Whether every call of the batch and every stream pushed for them has ended."""
        return self._outstanding == 0

    def waiting_for(self) -> str:
        """What the protocol still expects from the server, for error messages."""
        if not self.settings_received:
            return "the server's SETTINGS frame"
        return describe_outstanding(self._batch)

    # -- a batch of calls --------------------------------------------------------------

    def begin(self, calls: Iterable[Call]) -> None:
        """Queue a batch of calls; their streams open in :meth:`send_queued`."""
        if self.goaway is not None:
            raise self._goaway_error("earlier on this connection; open a new one")
        self._batch = list(calls)
        self._queue.extend(self._batch)
        self._outstanding = len(self._batch)

    def add(self, call: Call) -> None:
        """Add a call to the batch in flight (from an event hook, say): its stream opens
        at the next :meth:`send_queued` and the batch is done only once it has ended."""
        if self.goaway is not None:
            raise self._goaway_error("earlier on this connection; open a new one")
        self._batch.append(call)
        self._queue.append(call)
        self._outstanding += 1

    def end_batch(self) -> None:
        """Forget the batch's streams, so that a failed batch leaves nothing behind."""
        self._batch = []
        self._queue.clear()
        self._sending.clear()
        self._calls.clear()
        self._pushes.clear()
        self._open_pushes = 0
        self._outstanding = 0

    def close(self) -> None:
        """Queue a GOAWAY (NO_ERROR) unless the server said GOAWAY first."""
        if self.goaway is None:
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self._h2.close_connection()

    # -- sending -----------------------------------------------------------------------

    def send_queued(self) -> None:
        """Open queued streams as the server's limit allows and send request bodies."""
        if self._queue and self.goaway is not None:
            raise self._goaway_error("and a request was still waiting to be sent")
        limit = self._h2.remote_settings.max_concurrent_streams
        # h2 counts open streams by walking all of them, so count once and go on locally.
        open_streams = self._h2.open_outbound_streams if self._queue else 0
        while self._queue and open_streams < limit:
            open_streams += 1
            self._open_stream(self._queue.popleft())
        for call in list(self._sending):
            self._send_body(call)

    def _open_stream(self, call: Call) -> None:
        call.clear()
        call.stream_id = self._h2.get_next_available_stream_id()
        try:
            self._h2.send_headers(call.stream_id, call.headers, end_stream=not call.request.body)
        except h2.exceptions.ProtocolError as exc:
            raise ValueError(
                f"cannot send request headers for {call.request.path}: {exc}"
            ) from None
        call.started_at = self._clock()
        self._calls[call.stream_id] = call
        if call.request.body:
            self._sending.append(call)

    def _send_body(self, call: Call) -> None:
        conn = self._h2
        body = call.request.body
        try:
            while call.body_sent < len(body):
                size = min(
                    conn.local_flow_control_window(call.stream_id),
                    conn.max_outbound_frame_size,
                    len(body) - call.body_sent,
                )
                if size <= 0:
                    return  # Flow control: WINDOW_UPDATE will bring us back here.
                end = call.body_sent + size
                conn.send_data(
                    call.stream_id, body[call.body_sent : end], end_stream=end == len(body)
                )
                call.body_sent = end
        except h2.exceptions.StreamClosedError:
            pass  # The server answered and closed the stream; the rest is not wanted.
        self._sending.remove(call)

    # -- receiving ---------------------------------------------------------------------

    def receive_data(self, data: bytes, at: float) -> None:
        """Take bytes the server sent, read at ``at`` (:func:`time.monotonic`).

        Raises :class:`ProtocolViolation` (h2 has then queued a GOAWAY saying why) or
        :class:`GoAwayError` when the connection cannot go on, and
        :class:`StreamResetError` when the server reset a request's stream.
        """
        self._inbuf += data
        # Feeding h2 one frame at a time keeps the events of good frames when a later
        # frame in the same read breaks a rule (h2 raises and drops the whole batch).
        while len(self._inbuf) >= _FRAME_HEADER_SIZE:
            size = _FRAME_HEADER_SIZE + int.from_bytes(self._inbuf[:3], "big")
            if len(self._inbuf) < size:
                break
            frame = bytes(self._inbuf[:size])
            del self._inbuf[:size]
            if frame[3] == _GOAWAY_TYPE and len(frame) >= _FRAME_HEADER_SIZE + 8:
                # Kept from h2, which rejects every frame after a GOAWAY: a graceful
                # GOAWAY still lets the streams the server accepted finish.
                self._on_goaway(frame[_FRAME_HEADER_SIZE:])
                continue
            for event in self._receive_frame(frame):
                if self.on_event is not None:
                    self.on_event(event, at)
                self._handle(event, at)

    def _receive_frame(self, frame: bytes) -> list[h2.events.Event]:
        try:
            return self._h2.receive_data(frame)
        except h2.exceptions.ProtocolError as exc:
            if frame[3] == _PUSH_PROMISE_TYPE and not self.enable_push:
                message = (
                    "the server sent PUSH_PROMISE although the client sent SETTINGS_ENABLE_PUSH=0"
                )
            else:
                message = f"the server broke HTTP/2 rules: {exc}"
        raise ProtocolViolation(message)

    def _handle(self, event: h2.events.Event, at: float) -> None:
        match event:
            case h2.events.DataReceived():
                self._on_data(event, at)
            case h2.events.ResponseReceived():
                self._on_response(event, at)
            case h2.events.InformationalResponseReceived():
                self._on_informational(event, at)
            case h2.events.PushedStreamReceived():
                self._on_push_promise(event, at)
            case h2.events.TrailersReceived():
                self._on_trailers(event, at)
            case h2.events.StreamEnded():
                self._on_stream_end(event, at)
            case h2.events.StreamReset():
                self._on_reset(event, at)
            case h2.events.RemoteSettingsChanged():
                self.settings_received = True
        # SettingsAcknowledged, WindowUpdated, PriorityUpdated, Ping(Ack)Received,
        # AlternativeServiceAvailable and UnknownFrameReceived need nothing here: h2
        # answers pings and settings itself, and send_queued() reads the windows it tracks.

    def _on_data(self, event: h2.events.DataReceived, at: float) -> None:
        # Acknowledge at once: the data is consumed, and windows must reopen or a
        # server pushing hundreds of responses stalls.
        if event.flow_controlled_length:
            self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        if call := self._calls.get(event.stream_id):
            call.body += event.data
            call.record(EventKind.DATA, at, byte_count=len(event.data))
        elif push := self._pushes.get(event.stream_id):
            push.body += event.data

    def _on_response(self, event: h2.events.ResponseReceived, at: float) -> None:
        status, rest = split_status(event.headers)
        if call := self._calls.get(event.stream_id):
            call.status = status
            call.response_headers = rest
            call.record(EventKind.HEADERS, at, status=status)
        elif push := self._pushes.get(event.stream_id):
            push.promise.status = status
            push.promise.response_headers = rest
            push.record(EventKind.PUSH_HEADERS, at, status=status)
            self._open_pushes += 1
            self.max_open_pushed_streams = max(self.max_open_pushed_streams, self._open_pushes)

    def _on_informational(self, event: h2.events.InformationalResponseReceived, at: float) -> None:
        if call := self._calls.get(event.stream_id):
            status, rest = split_status(event.headers)
            call.interim.append(Interim(status, rest, at))
            call.record(EventKind.INFORMATIONAL, at, status=status)

    def _on_trailers(self, event: h2.events.TrailersReceived, at: float) -> None:
        if call := self._calls.get(event.stream_id):
            call.trailers = decode_headers(event.headers)
            call.record(EventKind.TRAILERS, at, field_count=len(call.trailers))

    def _on_push_promise(self, event: h2.events.PushedStreamReceived, at: float) -> None:
        pushed_id, parent_id = event.pushed_stream_id, event.parent_stream_id
        assert pushed_id is not None and parent_id is not None
        headers = decode_headers(event.headers)
        call = self._calls.get(parent_id)
        if call is None:
            # Nobody waits for it (its parent stream is not one of ours any more).
            self._h2.reset_stream(pushed_id, ErrorCodes.CANCEL)
            return
        promise = Promise(
            path=joined(headers, ":path") or "",
            headers=headers,
            stream_id=pushed_id,
            parent_stream_id=parent_id,
            received_at=at,
        )
        push = Push(promise, call)
        call.pushes.append(push)
        self._pushes[pushed_id] = push
        self._outstanding += 1
        push.record(EventKind.PUSH_PROMISE, at)

    def _on_stream_end(self, event: h2.events.StreamEnded, at: float) -> None:
        if call := self._calls.pop(event.stream_id, None):
            self._outstanding -= 1
            call.ended_at = at
            call.record(EventKind.END, at)
            if call in self._sending:
                # The response is complete, so the rest of the body is unwanted;
                # a reset frees the stream slot that a half-sent body would hold.
                self._sending.remove(call)
                self._h2.reset_stream(call.stream_id, ErrorCodes.CANCEL)
        elif push := self._pushes.pop(event.stream_id, None):
            self._outstanding -= 1
            push.promise.finished_at = at
            push.record(EventKind.PUSH_END, at)
            if push.promise.status is not None:
                self._open_pushes -= 1

    def _on_reset(self, event: h2.events.StreamReset, at: float) -> None:
        code = int(event.error_code)
        if push := self._pushes.pop(event.stream_id, None):
            self._outstanding -= 1
            push.promise.reset_code = code
            push.promise.finished_at = at
            push.record(EventKind.PUSH_RESET, at, error_code=code)
            if push.promise.status is not None:
                self._open_pushes -= 1
            return
        call = self._calls.pop(event.stream_id, None)
        if call is None:
            return
        if call in self._sending:
            self._sending.remove(call)
        if code == ErrorCodes.REFUSED_STREAM and call.refused < _MAX_REFUSED_RETRIES:
            self._retry(call)
            return
        raise StreamResetError(
            f"the server reset stream {event.stream_id} ({call.request.method} "
            f"{call.request.path}) with {error_code_name(code)}",
            event.stream_id,
            call.request.path,
            code,
        )

    def _retry(self, call: Call) -> None:
        """Queue a refused call again, dropping the pushes of its refused stream."""
        call.refused += 1
        for push in call.pushes:
            if self._pushes.pop(push.promise.stream_id, None) is not None:
                self._outstanding -= 1
        self._queue.appendleft(call)

    def _on_goaway(self, payload: bytes) -> None:
        self.goaway = goaway = GoAwayError.from_payload(payload)
        # RFC 9113 section 6.8: streams above last_stream_id were not processed and no
        # new stream may be opened; with NO_ERROR the ones at or below it still finish.
        unaccepted = any(stream_id > goaway.last_stream_id for stream_id in self._calls)
        if goaway.error_code != ErrorCodes.NO_ERROR or unaccepted or self._queue:
            raise self._goaway_error(f"while the probe was waiting for {self.waiting_for()}")

    def _goaway_error(self, context: str) -> GoAwayError:
        assert self.goaway is not None
        return GoAwayError(
            f"the server sent GOAWAY ({self.goaway}) {context}",
            self.goaway.error_code,
            self.goaway.last_stream_id,
            self.goaway.debug_data,
        )
