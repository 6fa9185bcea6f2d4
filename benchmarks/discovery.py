"""``discovery``: what reading a page's HTML costs, per page size, in this process.

``python -m benchmarks.discovery [--rounds N]`` builds pages of about 10 KB, 100 KB
and 1 MB (a head with stylesheets, scripts and a module script, a body of ordinary
markup, one stylesheet with two ``@font-face`` rules on disk) and times, with
:func:`time.perf_counter` (wall clock) and :func:`time.process_time` (CPU, which a
busy machine inflates less), the median of N calls of:

- **parse**: a full discovery (HTML parse, URL checks, the stylesheet's fonts from
  the in-memory stylesheet cache), what a route's first response, a changed page
  within its budget, or a sample costs;
- **remembered**: :func:`h2push.django_layer.discovery.discover` for a route whose page did not
  change, what most responses cost (the fingerprint and a dictionary look-up);
- **changed, no budget**: the same for a page that differs every time (a CSRF
  token) between two of its route's parses.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SIZES = {"10 KB": 10_000, "100 KB": 100_000, "1 MB": 1_000_000}
STYLESHEET = """
@font-face { font-family: Inter; font-display: swap;
  src: local("Inter"), url("../fonts/inter.woff2") format("woff2"),
       url("../fonts/inter.woff") format("woff"); }
@font-face { font-family: Inter; font-weight: 700;
  src: url("../fonts/inter-bold.woff2") format("woff2"); unicode-range: U+0000-00FF; }
body { font-family: Inter, sans-serif; }
"""
HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A page</title><link rel="stylesheet" href="/static/css/site.css">
<link rel="stylesheet" href="/static/css/print.css" media="print">
<link rel="icon" href="/static/img/favicon.ico">
<script src="/static/js/vendor.js" defer></script>
<script type="module" src="/static/js/app.js"></script>
<link rel="modulepreload" href="/static/js/chunk-a.js">
<script type="application/ld+json">{"@type": "Organization"}</script>
</head><body>"""
BLOCK = """<section class="card"><h2>Article {n}</h2><p>Some <a href="/articles/{n}/">text
</a> with <em>markup</em>, an image <img src="/static/img/{n}.png" alt="" loading="lazy">
and a form <form method="post"><input type="hidden" name="csrfmiddlewaretoken"
value="x{n}"><button>Go</button></form></p><ul><li>one</li><li>two</li></ul></section>
"""


def page(size: int) -> bytes:
    parts = [HEAD]
    length, n = len(HEAD), 0
    while length < size:
        block = BLOCK.format(n=n)
        parts.append(block)
        length += len(block)
        n += 1
    parts.append('<script src="/static/js/late.js"></script></body></html>')
    return "".join(parts).encode()


def configure(root: Path) -> None:
    """Minimal settings: the stylesheet's folder as the only static files folder."""
    import django
    from django.conf import settings

    (root / "css").mkdir()
    (root / "css" / "site.css").write_text(STYLESHEET)
    settings.configure(
        DEBUG=True,
        INSTALLED_APPS=["django.contrib.staticfiles"],
        STATIC_URL="/static/",
        STATICFILES_DIRS=[root],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
    )
    django.setup()


Timing = tuple[float, float]  # medians of wall-clock and CPU seconds


def timed(call: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def medians(samples: list[Timing]) -> Timing:
    return (
        statistics.median(wall for wall, _ in samples),
        statistics.median(cpu for _, cpu in samples),
    )


def measure(content: bytes, rounds: int) -> tuple[Timing, Timing, Timing]:
    from h2push.django_layer import discovery
    from h2push.django_layer.discovery.page import find_assets

    def parse() -> object:
        return find_assets(content, "utf-8", "/static/", lambda doing, error: None)

    found = parse()
    assert isinstance(found, tuple) and any(hint.as_ == "font" for hint in found), found
    parsed = medians([timed(parse) for _ in range(rounds)])
    discovery.discover("remembered", content, "utf-8", "/static/")
    remembered = medians(
        [
            timed(lambda: discovery.discover("remembered", content, "utf-8", "/static/"))
            for _ in range(rounds)
        ]
    )
    variants = [content + f"<!-- {n} -->".encode() for n in range(rounds)]
    return parsed, remembered, _changed_without_parse(variants, rounds)


def _changed_without_parse(variants: list[bytes], rounds: int) -> Timing:
    from h2push.django_layer import discovery

    def respond(variant: bytes) -> object:
        return discovery.discover("changed", variant, "utf-8", "/static/")

    samples = []
    # Within one window of its budget, a changed page is answered from memory.
    window = discovery.MIN_RESPONSES_BETWEEN_PARSES - 1
    for first in range(0, rounds, window):
        discovery.forget()
        discovery.discover("changed", variants[0], "utf-8", "/static/")
        for index in range(first, min(first + window, rounds)):
            samples.append(timed(functools.partial(respond, variants[index])))
    return medians(samples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.discovery", description=__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="calls per measurement")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        configure(Path(folder))
        rows = []
        for label, size in SIZES.items():
            content = page(size)
            parse, remembered, changed = measure(content, options.rounds)
            rows.append((label, len(content), parse, remembered, changed))
    print(
        "medians, wall-clock / CPU; parse in ms, the others in microseconds\n"
        f"{'page':>7} {'bytes':>9} {'parse':>15} {'remembered':>15} {'changed':>15}"
    )
    for label, length, parse, remembered, changed in rows:
        print(
            f"{label:>7} {length:>9} {parse[0] * 1e3:>7.2f} /{parse[1] * 1e3:>6.2f}"
            f" {remembered[0] * 1e6:>7.1f} /{remembered[1] * 1e6:>6.1f}"
            f" {changed[0] * 1e6:>7.1f} /{changed[1] * 1e6:>6.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
