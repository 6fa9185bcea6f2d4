"""Benchmarks of h2push: what it costs, and what its Early Hints gain.

``python scripts/benchmark.py overhead``
    Requests per second of the same page under Hypercorn (TLS, HTTP/2, one
    worker), measured with ``h2load`` (which refuses push, as browsers do):
    plain Django rendering it with ``{% static %}`` against h2push (middleware and
    ASGI adapter) rendering it with ``{% push_static %}``. Runs alternate between
    the servers to spread the drift of a shared machine over both. The target:
    h2push reaches at least 0.95 times plain Django's requests per second.

``python scripts/benchmark.py in-process``
    The CPU time per request of Django and h2push alone: the same pages through
    the ASGI applications, called in this process with a scope like Hypercorn's
    and no network. Shows h2push's own share without TLS, HTTP/2 framing and the
    noise of a load test (``--profile`` lists its costliest functions).

``python scripts/benchmark.py early-hints``
    A browser-like client (push refused) loads ``/slow/?ms=300`` through a TCP delay
    proxy and requests the page's stylesheet as soon as it learns its URL: from the
    103 when Early Hints are on, else from the final response. It reports when the
    stylesheet and the page were complete, with hints on and off, at several
    round-trip times.

A script, not a test: timings belong in a report, not in assertions. The commands
start their own servers on free loopback ports, stop them by process id and finish
within about two minutes (``overhead`` starts no round after the third once it
would end past ``--budget`` seconds). ``overhead`` needs ``h2load`` (Debian:
``nghttp2-client``). See docs/benchmarks.rst for what is measured and the results.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
HOST = "127.0.0.1"
TARGET_RATIO = 0.95
MIN_ROUNDS = 3
# Hypercorn closes an HTTP/2 connection after 1000 requests by default; h2load
# never reconnects, so a run would stop short.
KEEP_ALIVE_MAX_REQUESTS = 100_000_000

sys.path[:0] = [str(SCRIPTS), str(ROOT)]
sys.dont_write_bytecode = True  # leave no __pycache__ next to the scripts

from bench_client import BrowserConnection, PageLoad, fetch_once  # noqa: E402

# ----------------------------------------------------------------------- helpers


def log(message: str = "") -> None:
    print(message, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def listening_socket() -> socket.socket:
    """A socket listening on a free loopback port, inheritable by a child process.

    Binding here and handing the descriptor over (``fd://N``) leaves no moment in
    which another process could take the port.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1: h2push's development certificate."""
    from h2push.devcert import ensure_dev_certificate

    info = ensure_dev_certificate(directory)
    return info.certfile, info.keyfile


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(SCRIPTS), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env.update(
        PYTHONPATH=os.pathsep.join(paths),
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


def process_cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of one process (Linux /proc), 0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_process(process: subprocess.Popen[bytes], name: str) -> None:
    """SIGTERM to the process we started, then SIGKILL to its own process group
    (it was started in a new session, so that group holds only its children)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            log(f"  {name} (pid {process.pid}) ignored SIGTERM; killing its process group")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


# ----------------------------------------------------------------------- servers


@dataclass
class Server:
    """One Hypercorn process (TLS, HTTP/2, one worker) serving a ``bench_asgi`` app."""

    name: str
    variant: str  # H2PUSH_BENCH_VARIANT: plain, h2push, nohints or hintall
    app: str  # an attribute of bench_asgi, or "module:attribute"
    workdir: Path
    certfile: Path
    keyfile: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def app_path(self) -> str:
        return self.app if ":" in self.app else f"bench_asgi:{self.app}"

    @property
    def logfile(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> None:
        sock = listening_socket()
        self.port = sock.getsockname()[1]
        config = self.workdir / f"{self.name}.toml"
        config.write_text(
            f'bind = ["fd://{sock.fileno()}"]\n'
            f'certfile = "{self.certfile}"\n'
            f'keyfile = "{self.keyfile}"\n'
            f"keep_alive_max_requests = {KEEP_ALIVE_MAX_REQUESTS}\n"
            "workers = 1\n"
        )
        with open(self.logfile, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hypercorn", "-c", str(config), self.app_path],
                cwd=ROOT,
                env=child_env(H2PUSH_BENCH_VARIANT=self.variant),
                pass_fds=[sock.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        sock.close()

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited:\n{self.log_tail()}")
            try:
                status, _, _ = fetch_once(HOST, self.port, path, timeout=30)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name} server did not answer within {timeout:g} s:\n"
                        f"{self.log_tail()}"
                    ) from None
                time.sleep(0.2)
                continue
            if status != 200:
                raise RuntimeError(f"{self.name} answered {path} with {status}")
            return

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, f"{self.name} server")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server: Hypercorn's supervisor
        and its children (the worker, multiprocessing's resource tracker)."""
        assert self.process is not None
        pids = [self.process.pid]
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids += [int(pid) for pid in children.read_text().split()]
        return sum(process_cpu_seconds(pid) for pid in pids)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextlib.contextmanager
def running(servers: Sequence[Server], ready_path: str) -> Iterator[None]:
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(ready_path)
            log(
                f"  {server.name}: pid {server.process.pid if server.process else '?'}, "
                f"https://{HOST}:{server.port}/"
            )
        yield
    finally:
        for server in servers:
            server.stop()


def machine_info() -> list[tuple[str, str]]:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "?"

    h2load = shutil.which("h2load")
    h2load_version = "missing"
    if h2load:
        output = subprocess.run([h2load, "--version"], capture_output=True, text=True).stdout
        h2load_version = output.strip().removeprefix("h2load ")
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return [
        ("CPUs (nproc)", str(len(os.sched_getaffinity(0)))),
        ("CPU", cpu),
        ("Python", platform.python_version()),
        ("Django", version("django")),
        ("Hypercorn", version("hypercorn")),
        ("h2", version("h2")),
        ("h2load", h2load_version),
        ("OpenSSL", ssl.OPENSSL_VERSION),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join("-" * w for w in widths)
    log(line)
    log("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    log(line)
    for row in rows:
        log("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    log(line)


# ----------------------------------------------------------------------- overhead


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    server: str
    path: str
    baseline: str | None  # the variant whose req/s it is compared against
    scale: int = 1  # runs this many times --requests (for fast servers)


VARIANTS = {
    "a": Variant("a", "plain Django, {% static %}", "plain", "/bench/static/", None),
    "b": Variant("b", "h2push, {% push_static %}", "h2push", "/bench/push/", "a"),
    "c": Variant("c", "h2push, /slow/declared/?ms=0", "h2push", "/slow/declared/?ms=0", "d"),
    "d": Variant("d", "plain Django, /slow/declared/?ms=0", "plain", "/slow/declared/?ms=0", None),
    "e": Variant("e", "h2push, hints off, {% push_static %}", "nohints", "/bench/push/", "a"),
    "f": Variant(
        "f", "h2push, hints off, /slow/declared/?ms=0", "nohints", "/slow/declared/?ms=0", "d"
    ),
    # Not Django: a bare ASGI app, to see what Hypercorn itself spends on a 103.
    "i": Variant("i", "h2push, a 103 for every page", "hintall", "/bench/push/", "a"),
    "g": Variant("g", "bare ASGI app (no Django)", "bare", "/", None, scale=10),
    "h": Variant("h", "bare ASGI app, sends a 103", "bare_hint", "/", "g", scale=10),
}

H2LOAD_FINISHED = re.compile(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s")
H2LOAD_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
    r"(\d+) failed, (\d+) errored, (\d+) timeout"
)
H2LOAD_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")


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


def h2load(url: str, args: Sequence[str], timeout: float) -> H2LoadResult:
    command = ["h2load", *args, url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    out = completed.stdout
    finished, requests, statuses = (
        H2LOAD_FINISHED.search(out),
        H2LOAD_REQUESTS.search(out),
        H2LOAD_STATUS.search(out),
    )
    if completed.returncode != 0 or not (finished and requests and statuses):
        raise RuntimeError(f"h2load failed ({' '.join(command)}):\n{out}\n{completed.stderr}")
    # h2load counts a response by its first status: a 103 lands among the "3xx".
    return H2LoadResult(
        rps=float(finished.group(3)),
        done=int(requests.group(3)),
        failed=int(requests.group(5)) + int(requests.group(6)) + int(requests.group(7)),
        errors=int(statuses.group(3)) + int(statuses.group(4)),
    )


def overhead(options: argparse.Namespace) -> int:
    keys = [k.strip() for k in options.variants.split(",") if k.strip()]
    unknown = [k for k in keys if k not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    variants = [VARIANTS[k] for k in keys]
    for variant in variants:
        if variant.baseline and variant.baseline not in keys:
            log(f"note: {variant.key} is compared with {variant.baseline}, which is not run")
    if shutil.which("h2load") is None:
        raise SystemExit("h2load is missing: apt-get install nghttp2-client")
    started = time.monotonic()
    log("h2push overhead benchmark: the same page, plain Django vs h2push\n")
    print_table(["machine", ""], machine_info())
    load = [f"-n{options.requests}", f"-c{options.clients}", f"-m{options.streams}", "-t1"]
    log(
        f"\nh2load {' '.join(load)} URL; {options.rounds} rounds, the variants alternating "
        "(reversed every other round)\n"
    )

    with tempfile.TemporaryDirectory(prefix="h2push-bench-") as tmp:
        workdir = Path(tmp)
        certfile, keyfile = make_certificate(workdir / "cert")
        server_specs = {
            "plain": ("plain", "plain"),
            "h2push": ("h2push", "h2push"),
            "nohints": ("nohints", "h2push"),
            "hintall": ("hintall", "h2push"),
            "bare": ("plain", "bare"),
            "bare_hint": ("plain", "bare_hint"),
        }
        needed = sorted({v.server for v in variants}, key=list(server_specs).index)
        servers = {
            name: Server(name, *server_specs[name], workdir, certfile, keyfile) for name in needed
        }
        log("Starting Hypercorn (1 worker, TLS, HTTP/2):")
        with running(list(servers.values()), "/bench/static/"):
            log("\nWhat each variant's page answers (second request, after learning):")
            for variant in variants:
                port = servers[variant.server].port
                fetch_once(HOST, port, variant.path)
                status, interim, links = fetch_once(HOST, port, variant.path)
                hints = ",".join(map(str, interim)) or "no 1xx"
                link = "Link header" if links else "no Link header"
                log(f"  {variant.key}  {variant.path:<24} {status}, {hints}, {link}")
                if status != 200:
                    raise SystemExit(f"{variant.key}: {variant.path} answered {status}")
            log(f"\nWarming up ({options.warm_up_requests} requests each) ...")
            for variant in variants:
                url = f"https://{HOST}:{servers[variant.server].port}{variant.path}"
                warm_up = options.warm_up_requests * variant.scale
                h2load(url, [f"-n{warm_up}", "-c4", "-m4"], timeout=120)
            results: dict[str, list[H2LoadResult]] = {v.key: [] for v in variants}
            round_seconds = 0.0
            for round_number in range(options.rounds):
                elapsed = time.monotonic() - started
                if round_number >= MIN_ROUNDS and elapsed + round_seconds > options.budget:
                    log(f"  (stopping after {round_number} rounds: the {options.budget} s budget)")
                    break
                round_started = time.monotonic()
                order = variants if round_number % 2 == 0 else variants[::-1]
                for variant in order:
                    server = servers[variant.server]
                    url = f"https://{HOST}:{server.port}{variant.path}"
                    cpu_before = server.cpu_seconds()
                    requests = options.requests * variant.scale
                    result = h2load(url, [f"-n{requests}", *load[1:]], timeout=300)
                    result.cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / result.done
                    results[variant.key].append(result)
                    log(
                        f"  round {round_number + 1} {variant.key}: {result.rps:7.1f} req/s, "
                        f"{result.cpu_ms:5.2f} server CPU ms/request"
                        + ("" if result.clean else "  (failures!)")
                    )
                round_seconds = time.monotonic() - round_started
            loadavg = os.getloadavg()

    rps = {key: median([r.rps for r in runs]) for key, runs in results.items()}
    cpu = {key: median([r.cpu_ms for r in runs]) for key, runs in results.items()}
    rows = []
    for variant in variants:
        runs = results[variant.key]
        ratio = paired = cpu_ratio = ""
        if variant.baseline in rps:
            base = results[variant.baseline]
            ratio = f"{rps[variant.key] / rps[variant.baseline]:.3f}"
            pairs = [r.rps / b.rps for r, b in zip(runs, base, strict=False)]
            paired = f"{median(pairs):.3f}"
            cpu_ratio = f"{cpu[variant.baseline] / cpu[variant.key]:.3f}"
        rows.append(
            [
                variant.key,
                variant.label,
                " ".join(f"{r.rps:.0f}" for r in runs),
                f"{rps[variant.key]:.1f}",
                f"{cpu[variant.key]:.2f}",
                variant.baseline or "",
                ratio,
                paired,
                cpu_ratio,
                "yes" if all(r.clean for r in runs) else "NO",
            ]
        )
    log("")
    print_table(
        [
            "",
            "variant",
            "req/s per run",
            "median",
            "CPU ms/req",
            "vs",
            "ratio",
            "paired",
            "CPU ratio",
            "clean",
        ],
        rows,
    )
    log(
        "ratio: median req/s / the baseline's; paired: median of the per-round ratios;\n"
        "CPU ratio: the baseline's server CPU per request / this variant's (1.0 = same cost)"
    )
    log(
        f"load average at the end: {' '.join(f'{x:.2f}' for x in loadavg)}; "
        f"took {time.monotonic() - started:.0f} s"
    )
    if "a" in rps and "b" in rps:
        ratio_b = rps["b"] / rps["a"]
        verdict = "meets" if ratio_b >= TARGET_RATIO else "misses"
        log(
            f"\nVerdict: h2push serves {ratio_b:.3f} x plain Django's requests/s "
            f"({rps['b']:.1f} vs {rps['a']:.1f} req/s, server CPU per request ratio "
            f"{cpu['a'] / cpu['b']:.3f}): it {verdict} the {TARGET_RATIO} target."
        )
        return 0 if ratio_b >= TARGET_RATIO else 1
    return 0


# -------------------------------------------------------------------- early hints


@contextlib.contextmanager
def delay_proxy(routes: Sequence[tuple[int, float]], workdir: Path) -> Iterator[list[int]]:
    """One proxy process with a listener per ``(target port, one-way delay ms)``;
    yields the listeners' ports in the same order."""
    sockets = [listening_socket() for _ in routes]
    specs = [
        f"{sock.fileno()}:{port}:{delay}"
        for sock, (port, delay) in zip(sockets, routes, strict=True)
    ]
    with open(workdir / "proxy.log", "wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPTS / "bench_proxy.py"), *specs],
            cwd=ROOT,
            env=child_env(),
            pass_fds=[sock.fileno() for sock in sockets],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    try:
        log(f"  delay proxy: pid {process.pid}")
        yield ports
    finally:
        stop_process(process, "delay proxy")


def early_hints(options: argparse.Namespace) -> int:
    rtts = [float(x) for x in options.rtts.split(",")]
    path = f"/slow/?ms={options.view_ms}"
    started = time.monotonic()
    log("h2push Early Hints benchmark: time until a page's stylesheet has arrived\n")
    print_table(["machine", ""], machine_info())
    log(
        f"\nPage {path} ({options.view_ms} ms of view work, assets named with "
        f"{{% push_static %}}, learned after one visit); {options.runs} runs per cell, "
        "a fresh connection each (handshake not timed), hints on and off alternating.\n"
    )
    with tempfile.TemporaryDirectory(prefix="h2push-bench-") as tmp:
        workdir = Path(tmp)
        certfile, keyfile = make_certificate(workdir / "cert")
        servers = {
            True: Server("hints-on", "h2push", "h2push_static", workdir, certfile, keyfile),
            False: Server("hints-off", "nohints", "h2push_static", workdir, certfile, keyfile),
        }
        log("Starting Hypercorn (1 worker, TLS, HTTP/2) with the static files handler:")
        with running(list(servers.values()), "/bench/static/"):
            routes = [
                (servers[on].port, rtt / 2) for rtt in rtts if rtt > 0 for on in (True, False)
            ]
            with delay_proxy(routes, workdir) as proxy_ports:
                ports: dict[tuple[float, bool], int] = {}
                proxied = iter(proxy_ports)
                for rtt in rtts:
                    for on in (True, False):
                        ports[rtt, on] = servers[on].port if rtt <= 0 else next(proxied)
                # h2push learns per host and route, and the client names the port it
                # connects to, so one visit through each port teaches its route; a
                # second one checks what the server sends.
                for (rtt, on), port in ports.items():
                    with BrowserConnection(HOST, port) as connection:
                        connection.load(path)
                        check = connection.load(path)
                    hinted = check.hint_ms is not None
                    log(
                        f"  RTT {rtt:g} ms, {servers[on].name}: {check.status}, 103: "
                        f"{'yes' if hinted else 'no'}, {check.css_path} from the {check.css_source}"
                    )
                    if hinted != on or check.status != 200:
                        raise SystemExit(f"expected 103 = {on} and 200, got {hinted}, {check}")
                results: dict[tuple[float, bool], list[PageLoad]] = {key: [] for key in ports}
                for rtt in rtts:
                    for run in range(options.runs):
                        for on in (True, False) if run % 2 == 0 else (False, True):
                            with BrowserConnection(HOST, ports[rtt, on]) as connection:
                                loaded = connection.load(path)
                            if loaded.status != 200 or loaded.css_status != 200:
                                raise SystemExit(
                                    f"RTT {rtt:g}, hints {on}: status {loaded.status}, "
                                    f"CSS {loaded.css_status}"
                                )
                            results[rtt, on].append(loaded)
                    on_css = median([r.css_done_ms or 0 for r in results[rtt, True]])
                    off_css = median([r.css_done_ms or 0 for r in results[rtt, False]])
                    log(
                        f"  RTT {rtt:5g} ms: stylesheet complete after {on_css:6.1f} ms "
                        f"(hints on) vs {off_css:6.1f} ms (off)"
                    )

    def cell(values: list[float | None]) -> str:
        numbers = [v for v in values if v is not None]
        return f"{median(numbers):.1f}" if numbers else "-"

    rows = []
    for rtt in rtts:
        for on in (True, False):
            runs = results[rtt, on]
            rows.append(
                [
                    f"{rtt:g}" + (" (direct)" if rtt <= 0 else ""),
                    "on" if on else "off",
                    cell([r.hint_ms for r in runs]),
                    cell([r.css_requested_ms for r in runs]),
                    cell([r.css_done_ms for r in runs]),
                    cell([r.page_done_ms for r in runs]),
                    cell([r.ready_ms for r in runs]),
                    Counter(r.css_source for r in runs).most_common(1)[0][0] or "",
                ]
            )
    log("")
    print_table(
        [
            "RTT ms",
            "hints",
            "103 at",
            "CSS asked",
            "CSS done",
            "page done",
            "both done",
            "CSS URL from",
        ],
        rows,
    )
    log("Medians in ms from sending the page request; 'both done': page and stylesheet.")
    log("")
    gains = []
    for rtt in rtts:
        on_css = median([r.css_done_ms or 0 for r in results[rtt, True]])
        off_css = median([r.css_done_ms or 0 for r in results[rtt, False]])
        on_ready = median([r.ready_ms for r in results[rtt, True]])
        off_ready = median([r.ready_ms for r in results[rtt, False]])
        gains.append(
            [
                f"{rtt:g}",
                f"{off_css - on_css:.1f}",
                f"{off_ready - on_ready:.1f}",
                f"{(off_ready - on_ready) / off_ready * 100:.0f}%",
            ]
        )
    print_table(["RTT ms", "CSS sooner by", "page+CSS sooner by", "of the load"], gains)
    log(
        f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"took {time.monotonic() - started:.0f} s"
    )
    return 0


# --------------------------------------------------------------------- in process


def in_process(options: argparse.Namespace) -> int:
    """Django and h2push without a server: see ``bench_inprocess.py``."""
    log("h2push in-process benchmark: CPU per request of Django and h2push, no server\n")
    print_table(["machine", ""], machine_info())
    log("")
    command = [
        sys.executable,
        str(SCRIPTS / "bench_inprocess.py"),
        f"--rounds={options.rounds}",
        f"--requests={options.requests}",
    ]
    if options.profile:
        command.append("--profile")
    return subprocess.run(command, cwd=ROOT, env=child_env(), timeout=600).returncode


# ----------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cost = commands.add_parser("overhead", help="requests/s: plain Django vs h2push (h2load)")
    cost.add_argument("--rounds", type=int, default=4, help="runs per variant (default 4)")
    cost.add_argument("--requests", type=int, default=800, help="h2load -n per run (800)")
    cost.add_argument(
        "--budget",
        type=int,
        default=160,
        help=f"seconds: no new round after {MIN_ROUNDS} once it would end later (160)",
    )
    cost.add_argument("--warm-up-requests", type=int, default=300, help="per variant (300)")
    cost.add_argument("--clients", type=int, default=10, help="h2load -c (default 10)")
    cost.add_argument("--streams", type=int, default=10, help="h2load -m (default 10)")
    cost.add_argument(
        "--variants",
        default="a,b,i,e,c,d",
        help="a: plain Django, b: h2push, c: h2push 103 path, d: plain on c's path, "
        "e: b with Early Hints off, f: c with Early Hints off, i: b with a 103 for every "
        "page (default a,b,i,e,c,d); "
        "g: a bare ASGI app, h: g sending a 103 (Hypercorn's own cost of a 103)",
    )
    cost.set_defaults(run=overhead)
    gain = commands.add_parser("early-hints", help="time to the stylesheet, hints on vs off")
    gain.add_argument("--runs", type=int, default=7, help="loads per cell (default 7)")
    gain.add_argument("--view-ms", type=int, default=300, help="the view's delay (300)")
    gain.add_argument("--rtts", default="0,20,100", help="round-trip times in ms (0,20,100)")
    gain.set_defaults(run=early_hints)
    alone = commands.add_parser("in-process", help="CPU per request, Django and h2push only")
    alone.add_argument("--rounds", type=int, default=6, help="blocks per case (default 6)")
    alone.add_argument("--requests", type=int, default=200, help="per block (default 200)")
    alone.add_argument("--profile", action="store_true", help="cProfile h2push's functions")
    alone.set_defaults(run=in_process)
    options = parser.parse_args(argv)
    result: int = options.run(options)
    return result


if __name__ == "__main__":
    sys.exit(main())
