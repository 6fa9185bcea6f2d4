"""The fake HTTP/2 connection of the push tests (``tests.support.early_harness``)
must itself never hang.

``FakeConnection.drain`` once spun for ever on Python 3.12: a promised request that
ended in the same turn of the event loop as ``drain`` resumed was still in the
connection's task set (its ``discard`` done-callback not run yet), and 3.12's
``asyncio.gather`` of finished tasks completes at once, without yielding, so the
callback never got its turn and ``while self.tasks`` never ended. No timeout inside
the loop could fire. The test recreates that turn exactly; it runs in a thread so
that a regression fails it instead of hanging the run.
"""

from __future__ import annotations

import asyncio
import threading

from h2push.testing import H2TestClient
from tests.support.early_harness import FakeConnection

# Far longer than drain needs here (microseconds), far shorter than the per-test timeout.
WAIT_SECONDS = 5.0


async def _nothing(scope: object, receive: object, send: object) -> None:
    return None


async def _drain_just_after_a_promise_ended() -> bool:
    connection = FakeConnection(_nothing, H2TestClient(_nothing))

    async def promised_request() -> None:
        return None

    task = connection.track(asyncio.get_running_loop().create_task(promised_request()))
    # One turn of the loop: the task runs and ends first, this coroutine resumes next,
    # and the task's done-callbacks wait for the following turn.
    await asyncio.sleep(0)
    assert task.done() and task in connection.tasks
    await connection.drain()
    return all(task.done() for task in connection.tasks)


def test_drain_returns_when_a_promised_request_ended_in_the_same_turn() -> None:
    outcome: list[bool] = []
    runner = threading.Thread(
        target=lambda: outcome.append(asyncio.run(_drain_just_after_a_promise_ended())),
        daemon=True,  # a spinning drain must not keep the test process alive
    )
    runner.start()
    runner.join(WAIT_SECONDS)
    assert not runner.is_alive(), "FakeConnection.drain spun without yielding"
    assert outcome == [True]
