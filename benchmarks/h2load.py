"""Running ``h2load`` (nghttp2's load generator) and reading its summary."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["H2LoadResult", "require_h2load", "run_h2load"]

_FINISHED = re.compile(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s")
_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
    r"(\d+) failed, (\d+) errored, (\d+) timeout"
)
_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")


@dataclass
class H2LoadResult:
    rps: float
    done: int
    failed: int
    errors: int  # 4xx and 5xx responses
    cpu_ms: float = 0.0  # server CPU milliseconds per request, filled in by the caller

    @property
    def clean(self) -> bool:
        return self.failed == 0 and self.errors == 0 and self.done > 0


def require_h2load() -> None:
    if shutil.which("h2load") is None:
        raise SystemExit("h2load is missing: apt-get install nghttp2-client")


def run_h2load(url: str, args: Sequence[str], timeout: float) -> H2LoadResult:
    """One ``h2load`` run against ``url``; raises if it fails or prints no summary."""
    command = ["h2load", *args, url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    out = completed.stdout
    finished, requests, statuses = (
        _FINISHED.search(out),
        _REQUESTS.search(out),
        _STATUS.search(out),
    )
    if completed.returncode != 0 or not (finished and requests and statuses):
        raise RuntimeError(f"h2load failed ({' '.join(command)}):\n{out}\n{completed.stderr}")
    # h2load files a response under its first status, so a 103 is counted as "3xx":
    # only 4xx and 5xx are errors.
    return H2LoadResult(
        rps=float(finished.group(3)),
        done=int(requests.group(3)),
        failed=int(requests.group(5)) + int(requests.group(6)) + int(requests.group(7)),
        errors=int(statuses.group(3)) + int(statuses.group(4)),
    )
