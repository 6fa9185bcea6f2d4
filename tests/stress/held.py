"""What the server holds between parts: OS threads, open descriptors, asyncio tasks.

A connection Hypercorn fails to clean up keeps its streams' tasks, and often a thread
and an open static file per stream; a clean close gives all of them back. So each
part reads the server before it starts (once the previous part's clients are gone)
and again after its last client closed, and fails if the server did not come back
within :data:`MARGIN` of where it was, within :data:`SETTLE_SECONDS`.

Threads and descriptors come from ``/proc`` (:mod:`tests.support.leaks`). Tasks come
from the server itself: ``/rel/tasks/`` is an async view of the reliability URLs, so
it runs on Hypercorn's event loop and counts its tasks, after a pass of the garbage
collector (:mod:`tests.stress.urls` says why). That reading's own
connection and request are in every count alike, and a connection stuck with no
thread or file (as the GOAWAY deadlock of issue 17 left them) shows there and
nowhere else. Descriptors are read after the tasks, so after that collection; when
a part fails, the reading says what they are (sockets, which files).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from h2push.probe import ProbeError, fetch
from harness.certificates import cafile, verified
from harness.processes import ServerProcess
from tests.support.leaks import resources

__all__ = ["MARGIN", "SETTLE_SECONDS", "Held", "back_within", "judge", "read_held", "settled"]

TASKS_PATH = "/rel/tasks/"
SETTLE_SECONDS = 10.0
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Held:
    """One reading; ``tasks`` is -1 if the server did not answer the count."""

    threads: int
    fds: int
    tasks: int
    kinds: dict[str, int] = field(default_factory=dict, compare=False)
    fd_kinds: dict[str, int] = field(default_factory=dict, compare=False)

    def counts(self) -> tuple[int, int, int]:
        return self.threads, self.fds, self.tasks

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Margin:
    """How far above its level before a part the server may stay. A pool may keep a
    few threads it started during the part (calls to a shared store, on the
    dead-store server, took three more in a run: 9 -> 12), and a request's own thread
    may be a moment from its end; a connection a client cut without a TLS close
    holds a descriptor and three tasks until Hypercorn's idle timeout closes it. A
    leak is hundreds: a thread and a file per stalled stream, two tasks per stuck
    connection."""

    threads: int = 5
    fds: int = 8
    tasks: int = 6

    def exceeded(self, before: Held, after: Held) -> list[str]:
        names = ("threads", "fds", "tasks")
        allowed = (self.threads, self.fds, self.tasks)
        return [
            f"{name} {start} -> {end} (margin {extra})"
            for name, start, end, extra in zip(
                names, before.counts(), after.counts(), allowed, strict=True
            )
            if end > start + extra
        ]


MARGIN = Margin()


def _tasks(server: ServerProcess) -> tuple[int, dict[str, int]]:
    try:
        with verified(server):  # a certificate that fails is raised, not read as -1
            exchange = fetch(
                server.url(TASKS_PATH), enable_push=False, timeout=10.0, cafile=cafile(server)
            )
        data = json.loads(exchange.body)
    except (OSError, ProbeError, ValueError):
        return -1, {}
    return int(data["tasks"]), dict(data["kinds"])


def _fd_kinds(pid: int) -> dict[str, int]:
    """Open descriptors by what they are: ``socket``, ``pipe``, a file's name."""
    kinds: Counter[str] = Counter()
    folder = Path(f"/proc/{pid}/fd")
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            with contextlib.suppress(OSError):  # closed while we looked
                target = os.readlink(entry)
                kinds[target.split(":", 1)[0] if ":" in target else Path(target).name] += 1
    return dict(kinds.most_common())


def read_held(server: ServerProcess) -> Held:
    tasks, kinds = _tasks(server)
    # /proc after the tasks: their reading collected the garbage that may hold files.
    found = resources(server.pid)
    return Held(found.threads, found.fds, tasks, kinds, _fd_kinds(server.pid))


def settled(server: ServerProcess, seconds: float = 5.0) -> Held:
    """The first reading equal to the one before it (or the last, after ``seconds``):
    a level not taken while an earlier client's connection is still closing."""
    deadline = time.monotonic() + seconds
    last = read_held(server)
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        now = read_held(server)
        if now.counts() == last.counts():
            return now
        last = now
    return last


def back_within(server: ServerProcess, before: Held, seconds: float = SETTLE_SECONDS) -> Held:
    """Read until two readings in a row agree and are within :data:`MARGIN` of
    ``before``, or ``seconds`` pass; the last reading either way. Waiting for two
    that agree lets the part's last requests finish their threads, so the reading
    judged is the server at rest, not a moment of it."""
    deadline = time.monotonic() + seconds
    last = read_held(server)
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        now = read_held(server)
        if now.counts() == last.counts() and not MARGIN.exceeded(before, now):
            return now
        last = now
    return last


def judge(before: Held, after: Held) -> tuple[bool, str]:
    """Whether ``after`` is back within :data:`MARGIN` of ``before``, and in words."""
    over = MARGIN.exceeded(before, after)
    if not over:
        return True, (
            f"threads {before.threads} -> {after.threads}, fds {before.fds} -> {after.fds}, "
            f"tasks {before.tasks} -> {after.tasks}"
        )
    # What the tasks are tells a stuck connection (send_task, _server_callback) from
    # requests still running (process_request, listen_for_disconnect).
    kinds = ", ".join(f"{count} {kind}" for kind, count in after.kinds.items())
    files = ", ".join(f"{count} {kind}" for kind, count in after.fd_kinds.items())
    return False, "; ".join(over) + f"; tasks now: {kinds}; fds now: {files}"
