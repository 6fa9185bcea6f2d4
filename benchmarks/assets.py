"""Generated static files for the pages that name many assets (``bench/preloads-<n>/``).

The learned store keeps only URLs that name a static file which exists, so a page
that preloads 64 assets needs 64 files. :func:`write_assets` writes them into a
folder that :mod:`benchmarks.settings` adds to ``STATICFILES_DIRS`` when the
``H2PUSH_BENCH_ASSETS`` environment variable names it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ASSETS_ENV",
    "PRELOAD_COUNTS",
    "ROUTES",
    "asset_names",
    "route_script",
    "write_assets",
]

ASSETS_ENV = "H2PUSH_BENCH_ASSETS"
#: The numbers of preloads per page the growth benchmark measures.
PRELOAD_COUNTS = (1, 4, 16, 64)
#: Routes of :mod:`benchmarks.route_urls`: ten times ``H2PUSH_LEARNED_ROUTES``'s default.
ROUTES = 5000


def asset_names(count: int) -> list[str]:
    """``count`` static names, stylesheets and scripts in turn (a stylesheet first)."""
    return [
        f"bench/asset-{index:03d}.{'css' if index % 2 == 0 else 'js'}" for index in range(count)
    ]


def route_script(route: int) -> str:
    """The static name of the script only route ``route``'s page loads."""
    return f"bench/route-{route:04d}.js"


def write_assets(folder: Path) -> Path:
    """Write the files of the largest page, and each route's script, into ``folder``."""
    names = asset_names(max(PRELOAD_COUNTS)) + [route_script(n) for n in range(ROUTES)]
    for name in names:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".css"):
            target.write_text(f".a{len(name)} {{ margin: 0; }}\n")
        else:
            target.write_text("void 0;\n")
    return folder
