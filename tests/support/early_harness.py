"""Requests through the Early Hints test views, driven by ``harness.asgi``.

``run_gated`` proves order: it puts an ``asyncio.Event`` in the scope (see
``tests.support.apps.early_urls.GATE``) and sets it only when the app sends
``http.response.early_hint``, so a gated view can only finish after the 103.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from h2push.testing import H2TestClient
from harness.asgi import HINT, PUSH, AsgiCall, kinds, pushed_paths, response_start
from tests.support.apps.early_urls import GATE, GATE_TIMEOUT_KEY, LOG
from tests.support.linkfields import links_in

# Generous: a deadline only stops a broken app from hanging the test run.
DEADLINE = 15.0


@dataclass
class Run:
    """What one request sent, and the order of events around the view."""

    messages: list[dict[str, Any]]
    log: list[str] = field(default_factory=list)

    @property
    def start(self) -> dict[str, Any]:
        return response_start(self.messages)

    @property
    def status(self) -> int:
        return int(self.start["status"])

    @property
    def kinds(self) -> list[str]:
        return kinds(self.messages)

    @property
    def pushed(self) -> list[str]:
        return pushed_paths(self.messages)

    @property
    def hints(self) -> list[list[str]]:
        """Each 103's links, in order, whichever fields carried them."""
        return [[link for fields in hint for link in fields] for hint in self.hint_fields]

    @property
    def hint_fields(self) -> list[list[list[str]]]:
        """Each 103's ``link`` fields (bytes, as ASGI wants), each as the links it
        carries: ``[[[a, b]]]`` is one 103 with one field holding ``a`` and ``b``."""
        hints = [m["links"] for m in self.messages if m["type"] == HINT]
        return [[links_in(bytes.decode(field)) for field in fields] for fields in hints]

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower().encode()
        return [v.decode() for n, v in self.start.get("headers", ()) if n.lower() == wanted]


async def run_request(
    app: Any, scope: dict[str, Any], *, gate: bool = False, gate_timeout: float | None = None
) -> Run:
    """Run one request through ``app``; with ``gate``, the view waits for the 103."""
    log: list[str] = []
    event = asyncio.Event()
    scope = {**scope, LOG: log}
    if gate:
        scope[GATE] = event
        if gate_timeout is not None:
            scope[GATE_TIMEOUT_KEY] = gate_timeout

    def note(message: dict[str, Any]) -> None:
        # The views log into the same list: it shows sends and view steps interleaved.
        log.append(message["type"])
        if message["type"] == HINT:
            event.set()

    messages = await AsgiCall(scope, on_send=note).run(app, DEADLINE)
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

    async def page(
        self, path: str, headers: dict[str, str] | None = None, *, after_answers: int = 0
    ) -> Run:
        """One page request; pages started together begin within ``spread`` seconds,
        and not before ``after_answers`` promised requests have been answered (which
        holds on a machine too busy to honour the spread)."""
        await asyncio.sleep(self.random.uniform(0.0, self.spread))
        while self.completed < after_answers:
            await asyncio.sleep(0.001)
        await self._pause()
        return await self._run(self.client.scope("GET", path, headers))

    async def _run(self, scope: dict[str, Any]) -> Run:
        return Run(await AsgiCall(scope, on_send=self._on_send).run(self.app))

    def _on_send(self, message: dict[str, Any]) -> None:
        if message["type"] != PUSH:
            return
        self.promised += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.follow_promises:
            self.track(asyncio.get_running_loop().create_task(self._promised(message)))

    def track(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        """Count ``task`` (a promised request) among those :meth:`drain` waits for."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _promised(self, message: dict[str, Any]) -> None:
        headers = {k.decode(): v.decode() for k, v in message["headers"]}
        await self._pause()
        try:
            run = await self._run(self.client.scope("GET", message["path"], headers))
            self.pushed_statuses.append(run.status)
        finally:
            self.completed += 1

    async def drain(self) -> None:
        """Wait until every promised request has been answered.

        Waits for the tasks still running, never for finished ones: a task that ended
        in this turn of the loop stays in ``tasks`` until its done-callback runs, and
        Python 3.12's ``gather`` of finished tasks returns without yielding, so
        awaiting it in a loop would never let that callback run (tests/delivery/
        test_fake_connection.py). Errors of promised requests surface here.
        """
        while running := [task for task in self.tasks if not task.done()]:
            await asyncio.wait(running)
        for task in list(self.tasks):
            task.result()
