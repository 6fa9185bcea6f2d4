"""Sphinx configuration for the h2push documentation.

Built by the test suite with ``sphinx-build -W --keep-going -q -b html docs docs/_build/html``:
every warning fails the build. Only Sphinx's built-in extensions are used.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The version comes from pyproject.toml, so the docs need neither Django settings nor
# an installed h2push to build.
with (ROOT / "pyproject.toml").open("rb") as pyproject:
    _project = tomllib.load(pyproject)["project"]

project = "h2push"
author = "The h2push authors"
copyright = "the h2push authors"
release = _project["version"]
version = ".".join(release.split(".")[:2])

extensions: list[str] = []

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []

# Code samples are Python unless a block says otherwise.
highlight_language = "python"
pygments_style = "sphinx"

html_theme = "alabaster"
html_title = f"h2push {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Preload links, HTTP/2 server push and 103 Early Hints for Django pages.",
    "fixed_sidebar": True,
}
