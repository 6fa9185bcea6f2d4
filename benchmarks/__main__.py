"""``python -m benchmarks COMMAND [options]``: overhead, early-hints, in-process, browser,
lcp, cost, push-vs-pull, growth. (The reliability run is the stress suite: ``python -m
tests.stress``.)"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import benchmarks
from benchmarks import (
    cost,
    early_hints,
    growth,
    in_process,
    lcp,
    overhead,
    paint,
    push_pull,
)

Run = Callable[[argparse.Namespace], int]


def parser() -> argparse.ArgumentParser:
    summary = (benchmarks.__doc__ or "").split("\n\n")[0]
    main_parser = argparse.ArgumentParser(prog="python -m benchmarks", description=summary)
    commands = main_parser.add_subparsers(dest="command", required=True)
    for name, module, help_text in (
        ("overhead", overhead, "requests/s: plain Django vs h2push (h2load)"),
        ("early-hints", early_hints, "time to the stylesheet, hints on vs off"),
        ("in-process", in_process, "CPU per request, Django and h2push only"),
        ("browser", paint, "first contentful paint in headless Chromium, per RTT and view"),
        ("lcp", lcp, "a hero page's LCP in headless Chromium: field data, plain, warm limit"),
        ("cost", cost, "server CPU per request and h2push's own work: plain Django vs h2push"),
        ("push-vs-pull", push_pull, "pages with assets per second on one connection"),
        ("growth", growth, "CPU against preloads, memory against routes, parse against size"),
    ):
        command = commands.add_parser(name, help=help_text)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    options = parser().parse_args(argv)
    run: Run = options.run
    return run(options)


if __name__ == "__main__":
    sys.exit(main())
