"""``overhead``: requests per second of one page, plain Django against h2push.

Every server is Hypercorn (TLS, HTTP/2, one worker), loaded by ``h2load``, which
refuses push as browsers do. The variants run in turn, in reversed order every other
round, so that a shared machine's drift lands on all of them alike. The target:
h2push serves at least 0.95 times plain Django's requests per second.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.h2load import H2LoadResult, require_h2load, run_h2load
from benchmarks.servers import HOST, Server, ServerSpec, bench_servers
from h2push.probe import fetch
from harness.machine import print_machine
from harness.report import load_average, log, median, print_table

__all__ = ["VARIANTS", "Variant", "add_arguments", "run"]

TARGET_RATIO = 0.95
MIN_ROUNDS = 3


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    server: str  # a key of SERVERS
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
    "i": Variant("i", "h2push, a 103 for every page", "hintall", "/bench/push/", "a"),
    # The cost target's pair: a's very page, its assets found by discovery.
    "s": Variant("s", "h2push, {% static %} (discovery)", "h2push", "/bench/static/", "a"),
    # s without its 103s: what h2push costs the server apart from Hypercorn's 103.
    "t": Variant("t", "h2push, hints off, {% static %}", "nohints", "/bench/static/", "a"),
    # Not Django: a bare ASGI app, to see what Hypercorn itself spends on a 103.
    "g": Variant("g", "bare ASGI app (no Django)", "bare", "/", None, scale=10),
    "h": Variant("h", "bare ASGI app, sends a 103", "bare_hint", "/", "g", scale=10),
}

SERVERS = {
    "plain": ServerSpec("plain", "plain"),
    "h2push": ServerSpec("h2push", "h2push"),
    "nohints": ServerSpec("nohints", "h2push"),
    "hintall": ServerSpec("hintall", "h2push"),
    "bare": ServerSpec("plain", "bare"),
    "bare_hint": ServerSpec("plain", "bare_hint"),
}

Results = dict[str, list[H2LoadResult]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--rounds", type=int, default=4, help="runs per variant (default 4)")
    add("--requests", type=int, default=800, help="h2load -n per run (800)")
    add(
        "--budget",
        type=int,
        default=160,
        help=f"seconds: no new round after {MIN_ROUNDS} once it would end later (160)",
    )
    add("--warm-up-requests", type=int, default=300, help="per variant (300)")
    add("--clients", type=int, default=10, help="h2load -c (default 10)")
    add("--streams", type=int, default=10, help="h2load -m (default 10)")
    add(
        "--variants",
        default="a,b,i,e,c,d",
        help="a: plain Django, b: h2push, c: h2push 103 path, d: plain on c's path, "
        "e: b with Early Hints off, f: c with Early Hints off, i: b with a 103 for every "
        "page, s: h2push on a's page (default a,b,i,e,c,d); "
        "g: a bare ASGI app, h: g sending a 103 (Hypercorn's own cost of a 103)",
    )
    add(
        "--quick",
        action="store_true",
        help="a smoke run: 1 round of 100 requests, 50 to warm up",
    )


def chosen_variants(spec: str) -> list[Variant]:
    keys = [k.strip() for k in spec.split(",") if k.strip()]
    unknown = [k for k in keys if k not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    for key in keys:
        baseline = VARIANTS[key].baseline
        if baseline and baseline not in keys:
            log(f"note: {key} is compared with {baseline}, which is not run")
    return [VARIANTS[k] for k in keys]


def run(options: argparse.Namespace) -> int:
    if options.quick:
        options.rounds, options.requests, options.warm_up_requests = 1, 100, 50
    variants = chosen_variants(options.variants)
    require_h2load()
    started = time.monotonic()
    log("h2push overhead benchmark: the same page, plain Django vs h2push\n")
    print_machine()
    load = [f"-c{options.clients}", f"-m{options.streams}", "-t1"]
    log(
        f"\nh2load -n{options.requests} {' '.join(load)} URL; {options.rounds} rounds, "
        "the variants alternating (reversed every other round)\n"
    )
    wanted = sorted({v.server for v in variants}, key=list(SERVERS).index)
    log("Starting Hypercorn (1 worker, TLS, HTTP/2):")
    with bench_servers({name: SERVERS[name] for name in wanted}, "/bench/static/") as site:
        servers = site.servers
        check_pages(variants, servers)
        warm_up(variants, servers, options.warm_up_requests)
        results = measure(variants, servers, options, load, started)
        loadavg = load_average()
    print_summary(variants, results)
    log(f"load average at the end: {loadavg}; took {time.monotonic() - started:.0f} s")
    return verdict(results)


def url(variant: Variant, servers: dict[str, Server]) -> str:
    return f"https://{HOST}:{servers[variant.server].port}{variant.path}"


def check_pages(variants: Sequence[Variant], servers: dict[str, Server]) -> None:
    """Show what each page answers once h2push has learned it (the second request)."""
    log("\nWhat each variant's page answers (second request, after learning):")
    for variant in variants:
        fetch(url(variant, servers), enable_push=False, timeout=30)
        answer = fetch(url(variant, servers), enable_push=False, timeout=30)
        hints = ",".join(str(interim.status) for interim in answer.interim) or "no 1xx"
        link = "Link header" if answer.links else "no Link header"
        log(f"  {variant.key}  {variant.path:<24} {answer.status}, {hints}, {link}")
        if answer.status != 200:
            raise SystemExit(f"{variant.key}: {variant.path} answered {answer.status}")


def warm_up(variants: Sequence[Variant], servers: dict[str, Server], requests: int) -> None:
    log(f"\nWarming up ({requests} requests each) ...")
    for variant in variants:
        run_h2load(url(variant, servers), [f"-n{requests * variant.scale}", "-c4", "-m4"], 120)


def measure(
    variants: Sequence[Variant],
    servers: dict[str, Server],
    options: argparse.Namespace,
    load: Sequence[str],
    started: float,
) -> Results:
    """Rounds of one h2load run per variant, until --rounds or the time budget ends."""
    results: Results = {v.key: [] for v in variants}
    round_seconds = 0.0
    for number in range(options.rounds):
        elapsed = time.monotonic() - started
        if number >= MIN_ROUNDS and elapsed + round_seconds > options.budget:
            log(f"  (stopping after {number} rounds: the {options.budget} s budget)")
            break
        round_started = time.monotonic()
        for variant in variants if number % 2 == 0 else variants[::-1]:
            requests = options.requests * variant.scale
            result = load_once(servers[variant.server], url(variant, servers), requests, load)
            results[variant.key].append(result)
            log(
                f"  round {number + 1} {variant.key}: {result.rps:7.1f} req/s, "
                f"{result.cpu_ms:5.2f} server CPU ms/request"
                + ("" if result.clean else "  (failures!)")
            )
        round_seconds = time.monotonic() - round_started
    return results


def load_once(server: Server, target: str, requests: int, load: Sequence[str]) -> H2LoadResult:
    """One h2load run, with the server's CPU time per request it cost."""
    cpu_before = server.cpu_seconds()
    result = run_h2load(target, [f"-n{requests}", *load], timeout=300)
    result.cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / result.done
    return result


def summary_row(variant: Variant, results: Results) -> list[str]:
    runs = results[variant.key]
    rps, cpu = median([r.rps for r in runs]), median([r.cpu_ms for r in runs])
    ratio = paired = cpu_ratio = ""
    if variant.baseline in results:
        base = results[variant.baseline]
        ratio = f"{rps / median([b.rps for b in base]):.3f}"
        paired = f"{median([r.rps / b.rps for r, b in zip(runs, base, strict=False)]):.3f}"
        cpu_ratio = f"{median([b.cpu_ms for b in base]) / cpu:.3f}"
    return [
        variant.key,
        variant.label,
        " ".join(f"{r.rps:.0f}" for r in runs),
        f"{rps:.1f}",
        f"{cpu:.2f}",
        variant.baseline or "",
        ratio,
        paired,
        cpu_ratio,
        "yes" if all(r.clean for r in runs) else "NO",
    ]


def print_summary(variants: Sequence[Variant], results: Results) -> None:
    log("")
    headers = ["", "variant", "req/s per run", "median", "CPU ms/req"]
    headers += ["vs", "ratio", "paired", "CPU ratio", "clean"]
    print_table(headers, [summary_row(variant, results) for variant in variants])
    log(
        "ratio: median req/s / the baseline's; paired: median of the per-round ratios;\n"
        "CPU ratio: the baseline's server CPU per request / this variant's (1.0 = same cost)"
    )


def verdict(results: Results) -> int:
    """Print whether h2push (b) meets the target against plain Django (a); 1 if not."""
    if "a" not in results or "b" not in results:
        return 0
    rps = {key: median([r.rps for r in results[key]]) for key in "ab"}
    cpu = {key: median([r.cpu_ms for r in results[key]]) for key in "ab"}
    ratio = rps["b"] / rps["a"]
    meets = ratio >= TARGET_RATIO
    log(
        f"\nVerdict: h2push serves {ratio:.3f} x plain Django's requests/s "
        f"({rps['b']:.1f} vs {rps['a']:.1f} req/s, server CPU per request ratio "
        f"{cpu['a'] / cpu['b']:.3f}): it {'meets' if meets else 'misses'} the "
        f"{TARGET_RATIO} target."
    )
    return 0 if meets else 1
