"""Headless Firefox ESR driven over WebDriver BiDi: no geckodriver, no Playwright.

Debian's ``/usr/bin/firefox-esr`` (``scripts/setup.sh --debian`` installs it) opens a
WebDriver BiDi server itself when started with ``--remote-debugging-port``; with port 0
it picks a free one and writes it to ``WebDriverBiDiServer.json`` in the profile. This
module speaks that protocol over the ``websockets`` package's synchronous client::

    with Firefox.launch(trust=certfile) as firefox:
        tab = firefox.new_tab()
        firefox.navigate(tab, "https://127.0.0.1:8443/")
        title = firefox.evaluate(tab, "document.title")

- Each launch gets a fresh profile in a temporary folder (an empty cache), removed on
  :meth:`Firefox.quit`.
- ``trust``: a PEM certificate the profile's NSS database trusts (``certutil -A -t
  "C,,"`` before the first start), so the browser meets no certificate error, as a
  visitor's would, and needs no ``acceptInsecureCerts``. A self-signed leaf (h2push's
  development certificate) works: Firefox takes a certificate marked "C" as its own
  trust anchor. (Without it: ``MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT``.)
- Every wait has a deadline (:data:`TIMEOUT`): the start, each command's answer, the exit.
- :meth:`Firefox.quit` ends the browser with ``browser.close``, then stops its whole
  process group (the main process and its content processes share it), so nothing
  outlives the driver.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from itertools import count
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.sync.client import ClientConnection, connect

from harness.processes import stop_process

FIREFOX = "/usr/bin/firefox-esr"
CERTUTIL = "/usr/bin/certutil"
#: Seconds for each wait: the browser's start, one command, its exit.
TIMEOUT = 30.0
# Preferences on top of those the remote agent sets itself (remote.prefs.recommended):
# no background traffic of its own that would show up at the servers under test.
PREFS = {
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.predictor.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "app.normandy.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
}


class BiDiError(RuntimeError):
    """A command the browser answered with an error, or a script that threw."""


def require_firefox() -> None:
    """Fail with the reason when Firefox or ``certutil`` is missing."""
    for path, package in ((FIREFOX, "firefox-esr"), (CERTUTIL, "libnss3-tools")):
        assert os.access(path, os.X_OK), (
            f"{path} is missing: scripts/setup.sh --debian installs Debian's {package} package"
        )


def make_profile(folder: Path, trust: Path | None = None) -> None:
    """A new profile in ``folder`` with :data:`PREFS`, trusting the PEM ``trust``."""
    lines = [f'user_pref("{name}", {json.dumps(value)});' for name, value in PREFS.items()]
    (folder / "user.js").write_text("\n".join(lines) + "\n")
    if trust is not None:
        database = f"sql:{folder}"
        for argv in (
            [CERTUTIL, "-N", "-d", database, "--empty-password"],
            [CERTUTIL, "-A", "-n", "h2push-test", "-t", "C,,", "-i", str(trust), "-d", database],
        ):
            subprocess.run(argv, check=True, capture_output=True, timeout=TIMEOUT)


class Firefox:
    """One headless Firefox with a WebDriver BiDi session open."""

    def __init__(self, proc: subprocess.Popen[bytes], folder: Path, timeout: float) -> None:
        self.proc = proc
        self.folder = folder
        self.timeout = timeout
        self._ids = count(1)
        self._socket: ClientConnection | None = None
        self._exits = contextlib.ExitStack()

    @classmethod
    def launch(cls, trust: Path | None = None, timeout: float = TIMEOUT) -> Firefox:
        """Start Firefox in a fresh profile and open a session; on failure nothing is left."""
        require_firefox()
        folder = Path(tempfile.mkdtemp(prefix="h2push-firefox-"))
        profile = folder / "profile"
        profile.mkdir()
        make_profile(profile, trust)
        with (folder / "firefox.log").open("wb") as log:
            # Port 0: Firefox picks a free port and names it in WebDriverBiDiServer.json.
            argv = [FIREFOX, "--headless", "--no-remote", "--remote-debugging-port", "0"]
            proc = subprocess.Popen(
                [*argv, "--profile", str(profile)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        firefox = cls(proc, folder, timeout)
        try:
            firefox._connect(profile / "WebDriverBiDiServer.json")
            firefox.command("session.new", {"capabilities": {}})
        except BaseException:
            firefox.quit()
            raise
        return firefox

    def _connect(self, announced: Path) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Firefox exited with {self.proc.returncode}: {self.log()}")
            with contextlib.suppress(OSError, ValueError, KeyError):
                port = json.loads(announced.read_text())["ws_port"]
                url = f"ws://127.0.0.1:{port}/session"
                left = max(0.1, deadline - time.monotonic())
                # proxy=None: loopback, whatever the environment's proxy settings say.
                connection = connect(
                    url, open_timeout=left, close_timeout=2, max_size=None, proxy=None
                )
                self._socket = self._exits.enter_context(connection)
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"Firefox opened no BiDi server in {self.timeout} s")
            time.sleep(0.1)

    def log(self) -> str:
        """What Firefox printed so far."""
        return (self.folder / "firefox.log").read_text(errors="replace")[-4000:]

    def command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one command; its result, once the answer came (events are skipped)."""
        assert self._socket is not None, "the session is closed"
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                left = deadline - time.monotonic()
                message = json.loads(self._socket.recv(timeout=max(0.0, left)))
            except TimeoutError:
                raise TimeoutError(f"Firefox did not answer {method} in {self.timeout} s") from None
            if message.get("id") != ident:
                continue
            if message.get("type") == "error":
                raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
            result: dict[str, Any] = message["result"]
            return result

    def new_user_context(self) -> str:
        """A new user context (a container: its own cookies, cache and connections)."""
        return str(self.command("browser.createUserContext", {})["userContext"])

    def remove_user_context(self, user_context: str) -> None:
        """Remove ``user_context`` and close its tabs."""
        self.command("browser.removeUserContext", {"userContext": user_context})

    def new_tab(self, user_context: str = "default") -> str:
        """A new tab's browsing context id, in ``user_context``."""
        params = {"type": "tab", "userContext": user_context}
        return str(self.command("browsingContext.create", params)["context"])

    def close_tab(self, context: str) -> None:
        self.command("browsingContext.close", {"context": context})

    def navigate(self, context: str, url: str) -> str:
        """Load ``url`` in ``context`` and wait for its load event; the final URL."""
        params = {"context": context, "url": url, "wait": "complete"}
        return str(self.command("browsingContext.navigate", params)["url"])

    def evaluate(self, context: str, expression: str) -> Any:
        """The JSON value of ``expression`` (a promise is awaited) in ``context``'s page."""
        source = f"(async () => JSON.stringify(await ({expression})))()"
        params = {
            "expression": source,
            "target": {"context": context},
            "awaitPromise": True,
            "resultOwnership": "none",
        }
        answer = self.command("script.evaluate", params)
        if answer["type"] == "exception":
            details = answer["exceptionDetails"]
            raise BiDiError(f"{details.get('text')}\n{expression}")
        value = answer["result"].get("value")
        return None if value is None else json.loads(value)

    def quit(self) -> None:
        """Close the browser, stop its process group, remove the profile."""
        closing = False
        if self._socket is not None:
            with contextlib.suppress(Exception):
                self.command("browser.close", {})
                closing = True
            with contextlib.suppress(Exception):
                self._exits.close()
            self._socket = None
        if closing:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(self.timeout / 3)
        # A browser that did not answer gets no second chance. stop_process SIGKILLs
        # the group at the end in any case: content processes may outlive the main one.
        stop_process(self.proc, signal.SIGTERM if closing else signal.SIGKILL, grace=5.0)
        deadline = time.monotonic() + 5.0
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.folder, ignore_errors=True)

    def leftovers(self) -> list[int]:
        """Live processes (zombies aside) still in the browser's process group."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
                if int(group) == self.proc.pid and state != "Z":
                    pids.append(int(stat.parent.name))
        return pids

    def __enter__(self) -> Firefox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.quit()
