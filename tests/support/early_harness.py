"""Test-only helpers: drive an ASGI app with hand-written scope, receive and send.

``run_gated`` proves order: it puts an ``asyncio.Event`` in the scope (see
``tests.support.apps.early_urls.GATE``) and sets it only when the app sends
``http.response.early_hint``, so a gated view can only finish after the 103.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from h2push.testing import H2TestClient
from tests.support.apps.early_urls import GATE, GATE_TIMEOUT_KEY, LOG

PUSH = "http.response.push"
HINT = "http.response.early_hint"
START = "http.response.start"

# Generous: a deadline only stops a broken app from hanging the test run.
DEADLINE = 15.0


@dataclass
class Run:
    """What one request sent, and the order of events around the view."""

    messages: list[dict[str, Any]]
    log: list[str] = field(default_factory=list)

    @property
    def start(self) -> dict[str, Any]:
        return next(m for m in self.messages if m["type"] == START)

    @property
    def status(self) -> int:
        return int(self.start["status"])

    @property
    def kinds(self) -> list[str]:
        return [m["type"] for m in self.messages]

    @property
    def pushed(self) -> list[str]:
        return [m["path"] for m in self.messages if m["type"] == PUSH]

    @property
    def hints(self) -> list[list[str]]:
        return [[v.decode() for v in m["links"]] for m in self.messages if m["type"] == HINT]

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower().encode()
        return [v.decode() for n, v in self.start.get("headers", ()) if n.lower() == wanted]


async def run_request(
    app: Any, scope: dict[str, Any], *, gate: bool = False, gate_timeout: float | None = None
) -> Run:
    """Run one request through ``app``; with ``gate``, the view waits for the 103."""
    log: list[str] = []
    messages: list[dict[str, Any]] = []
    event = asyncio.Event()
    scope = {**scope, LOG: log}
    if gate:
        scope[GATE] = event
        if gate_timeout is not None:
            scope[GATE_TIMEOUT_KEY] = gate_timeout
    sent = False
    disconnected = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind in (PUSH, HINT) and kind not in scope.get("extensions", {}):
            raise RuntimeError(f"{kind} sent, but the scope does not advertise it")
        messages.append(message)
        log.append(kind)
        if kind == HINT:
            event.set()

    try:
        await asyncio.wait_for(app(scope, receive, send), DEADLINE)
    finally:
        disconnected.set()
    return Run(messages, log)


def request(
    client: H2TestClient,
    path: str,
    *,
    gate: bool = False,
    gate_timeout: float | None = None,
    headers: dict[str, str] | None = None,
) -> Run:
    """One GET with ``client``'s scope (its connection, host and extensions)."""
    scope = client.scope("GET", path, headers)
    return asyncio.run(run_request(client.application, scope, gate=gate, gate_timeout=gate_timeout))


class FakeConnection:
    """One HTTP/2 connection of a fake server, as Hypercorn runs it.

    Every request carries the same scope ``client`` (the budget tells connections
    apart by it). When the app sends ``http.response.push``, the connection starts
    the promised request as a new task through the same app, as Hypercorn does;
    ``follow_promises=False`` acts as a client that refuses pushes (it never sends
    what was promised). ``in_flight`` counts pushes promised and not yet answered.
    """

    def __init__(
        self,
        app: Any,
        client: H2TestClient,
        *,
        follow_promises: bool = True,
        delays: tuple[float, ...] = (0.0,),
        spread: float = 0.0,
        seed: int = 0,
    ) -> None:
        import random

        self.app = app
        self.client = client
        self.follow_promises = follow_promises
        self.delays = delays
        self.spread = spread
        self.random = random.Random(seed)
        self.promised = 0
        self.completed = 0
        self.max_in_flight = 0
        self.pushed_statuses: list[int] = []
        self.tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        return self.promised - self.completed

    async def _pause(self) -> None:
        await asyncio.sleep(0)
        delay = self.random.choice(self.delays)
        await asyncio.sleep(delay)

    async def page(self, path: str, headers: dict[str, str] | None = None) -> Run:
        """One page request; pages started together begin within ``spread`` seconds."""
        await asyncio.sleep(self.random.uniform(0.0, self.spread))
        await self._pause()
        return await self._run(self.client.scope("GET", path, headers))

    async def _run(self, scope: dict[str, Any]) -> Run:
        messages: list[dict[str, Any]] = []
        sent = False
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            if message["type"] == PUSH:
                self.promised += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                if self.follow_promises:
                    task = asyncio.get_running_loop().create_task(self._promised(message))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        return Run(messages)

    async def _promised(self, message: dict[str, Any]) -> None:
        headers = {k.decode(): v.decode() for k, v in message["headers"]}
        await self._pause()
        try:
            run = await self._run(self.client.scope("GET", message["path"], headers))
            self.pushed_statuses.append(run.status)
        finally:
            self.completed += 1

    async def drain(self) -> None:
        """Wait until every promised request has been answered."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks))
