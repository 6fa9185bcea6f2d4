"""One thread that reads the pages the event loop hands over.

Under ASGI, discovery is called on the event loop, which must not wait for a long
parse: every other request of the process waits with it. A page that cannot be
read in a few milliseconds there is queued here instead, and read by one daemon
thread, one page at a time (so discovery never uses more than one core). The
queue holds at most a few pages, one per route; a page that finds it full, or its
route already queued, is not read now, and its route's next response that needs
a reading tries again.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["Background"]

logger = logging.getLogger("h2push")


class Background:
    """A bounded queue of jobs, each under a key (a route), run by one thread."""

    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max_waiting
        self._jobs: OrderedDict[str, Callable[[], None]] = OrderedDict()
        self._running: str | None = None
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        os.register_at_fork(after_in_child=self._after_fork)

    def submit(self, key: str, job: Callable[[], None]) -> bool:
        """Queue ``job``; ``False`` if the queue is full or ``key`` is queued or
        running already (nothing is queued then)."""
        with self._changed:
            if key in self._jobs or key == self._running or len(self._jobs) >= self.max_waiting:
                return False
            self._jobs[key] = job
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="h2push-discovery", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()
        return True

    def busy_with(self, key: str) -> bool:
        """Whether a job under ``key`` is queued or running."""
        with self._changed:
            return key in self._jobs or key == self._running

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or running; ``False`` if ``timeout``
        (seconds) passed first. For tests and benchmarks."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._jobs and self._running is None, timeout)

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._jobs))
                self._running, job = self._jobs.popitem(last=False)
            try:
                job()
            except Exception:  # a job's failure must not end the thread
                logger.exception("h2push discovery failed reading a page in the background")
            finally:
                with self._changed:
                    self._running = None
                    self._changed.notify_all()

    def _after_fork(self) -> None:
        # A forked child (a Gunicorn worker) has no copy of the thread: it starts
        # its own when it first needs one, with nothing queued.
        self._jobs = OrderedDict()
        self._running = None
        self._changed = threading.Condition()
        self._thread = None
