"""What one part of the run counted, and whether it passed.

A :class:`Tally` counts requests and what came of them; each client thread keeps its
own and the part adds them up at the end, so no counter is shared between threads.
A :class:`Part` is one row of the report: its tally, the server's memory, log and
what it held (threads, descriptors, tasks) around it, and named :class:`Check`
results. A part fails on anything lost or broken (see :meth:`Part.failures`); the
checks say what else the part required.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from h2push.probe import (
    ConnectionClosed,
    Exchange,
    GoAwayError,
    ProbeError,
    ProbeTimeout,
    ProtocolViolation,
    StreamResetError,
    error_code_name,
)
from tests.stress.held import Held, judge

__all__ = ["Check", "Part", "Tally"]

# A few messages of each kind are kept as evidence; all of them would be noise.
KEPT_MESSAGES = 5


@dataclass
class Tally:
    """Counts of one client's (or one part's) requests.

    ``requests`` counts the requests the client sent, not the pushed streams.
    ``lost`` counts requests that got no final response: the probe gives up a whole
    multiplexed batch when its connection fails, so a failed batch counts whole.
    """

    requests: int = 0
    ok: int = 0
    server_errors: int = 0
    expected_errors: int = 0
    other_status: int = 0
    resets: int = 0
    goaways: int = 0
    broken: int = 0
    lost: int = 0
    pushes: int = 0
    bad_pushes: int = 0
    hints: int = 0
    messages: Counter[str] = field(default_factory=Counter)

    def record_status(self, path: str, status: int, *, expect_status: int = 200) -> None:
        """Count one answered request by its final status."""
        self.requests += 1
        if status == expect_status == 200:
            self.ok += 1
        elif status == expect_status:
            self.expected_errors += 1
        elif status >= 500:
            self.server_errors += 1
            self.note(f"{path[:80]} answered {status}")
        else:
            self.other_status += 1
            self.note(f"{path[:80]} answered {status}")

    def record(self, exchange: Exchange, *, expect_status: int = 200) -> None:
        """Count one answered request and the pushes that came with it."""
        self.record_status(exchange.path, exchange.status, expect_status=expect_status)
        self.hints += bool(exchange.early_hints)
        for promise in exchange.promises:
            self.pushes += 1
            if promise.reset_code is not None:
                # Only the server resets here: the probe never cancels a push.
                self.resets += 1
                self.bad_pushes += 1
                self.note(
                    f"pushed {promise.path[:80]} reset: {error_code_name(promise.reset_code)}"
                )
            elif promise.status is None or not 200 <= promise.status < 300:
                self.bad_pushes += 1
                self.note(f"pushed {promise.path[:80]} answered {promise.status}")

    def record_failure(self, error: ProbeError, requests: int) -> None:
        """Count a batch of ``requests`` that ended in ``error`` instead of answers."""
        self.requests += requests
        self.lost += requests
        if isinstance(error, GoAwayError):
            self.goaways += 1
        elif isinstance(error, StreamResetError):
            self.resets += 1
        else:
            self.broken += 1
        self.note(f"{type(error).__name__}: {error}")

    def note(self, message: str) -> None:
        self.messages[message] += 1

    def add(self, other: Tally) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.messages.update(other.messages)

    @property
    def clean(self) -> bool:
        """Nothing lost, refused, reset or broken, and no unexpected status."""
        return not any(getattr(self, name) for name in BAD_COUNTS)

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in COUNTS}
        data["messages"] = [f"{n} x {m}" for m, n in self.messages.most_common(KEPT_MESSAGES)]
        return data


COUNTS = [name for name in Tally.__dataclass_fields__ if name != "messages"]
BAD_COUNTS = ("server_errors", "other_status", "resets", "goaways", "broken", "lost", "bad_pushes")
#: What makes a batch fail as a whole, as opposed to a bad status in an answer.
BATCH_FAILURES = (ConnectionClosed, StreamResetError, ProbeTimeout, ProtocolViolation)


@dataclass
class Check:
    """A named yes/no the part required, with what was seen. An informational check
    (``required=False``) is reported but decides nothing."""

    name: str
    passed: bool
    detail: str = ""
    required: bool = True


@dataclass
class Part:
    """One row of the report."""

    name: str
    title: str
    tally: Tally = field(default_factory=Tally)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    held_start: Held | None = None
    held_end: Held | None = None
    logged_errors: int = 0
    expected_logged_errors: int = 0
    logged_warnings: int = 0
    log_excerpt: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, name: str, passed: bool, detail: str = "", *, required: bool = True) -> None:
        self.checks.append(Check(name, passed, detail, required))

    def check_held(self, before: Held, after: Held) -> None:
        """Record what the server held around the part; it must have come back."""
        self.held_start, self.held_end = before, after
        passed, detail = judge(before, after)
        self.check("threads, files and tasks given back", passed, detail)

    def failures(self) -> list[str]:
        """Why this part failed; empty if it passed."""
        reasons = [f"{name}: {getattr(self.tally, name)}" for name in BAD_COUNTS]
        reasons = [reason for reason in reasons if not reason.endswith(": 0")]
        if self.logged_errors > self.expected_logged_errors:
            reasons.append(
                f"errors in the server's log: {self.logged_errors} "
                f"(expected {self.expected_logged_errors})"
            )
        reasons += [f"{c.name}: {c.detail}" for c in self.checks if c.required and not c.passed]
        return reasons

    @property
    def passed(self) -> bool:
        return not self.failures()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            **self.tally.to_json(),
            "rss_start_kb": self.rss_start_kb,
            "rss_end_kb": self.rss_end_kb,
            "held_start": self.held_start.to_json() if self.held_start else None,
            "held_end": self.held_end.to_json() if self.held_end else None,
            "logged_errors": self.logged_errors,
            "expected_logged_errors": self.expected_logged_errors,
            "logged_warnings": self.logged_warnings,
            "seconds": round(self.seconds, 1),
            "checks": [asdict(check) for check in self.checks],
            "notes": self.notes,
            "failures": self.failures(),
            "passed": self.passed,
            "log_excerpt": self.log_excerpt,
        }
