"""The import-linter contracts in pyproject.toml hold, and fail on a breach.

Each breach is made in a copy of the package, so the tree under test is untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        REPO / "h2push", tmp_path / "h2push", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_its_contracts(package_copy: Path) -> None:
    result = lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


LAYERS = "The rooms of h2push are layered"
NO_DJANGO = "The delivery layer, the probe and the core know nothing of Django"


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # The Django layer and the delivery layer are siblings: neither imports the other.
        ("django_layer/middleware.py", "from h2push.delivery import budget", LAYERS),
        ("django_layer/learning.py", "from h2push.delivery.links import push_paths", LAYERS),
        ("delivery/budget.py", "from h2push.django_layer.conf import conf", LAYERS),
        # A room never imports one above it.
        ("django_layer/middleware.py", "from h2push.asgi import H2PushMiddleware", LAYERS),
        ("core/contract.py", "from h2push.delivery import digest", LAYERS),
        ("core/story.py", "from h2push.django_layer import preload", LAYERS),
        ("server/tls.py", "from h2push import testing", LAYERS),
        # A new module is covered by the room it lives in, without naming it anywhere.
        ("delivery/new_way.py", "from h2push.django_layer import visit", LAYERS),
        ("delivery/asgi_middleware.py", "from django.conf import settings", NO_DJANGO),
        ("core/new_helper.py", "import django.http", NO_DJANGO),
        ("probe/client.py", "from django.conf import settings", NO_DJANGO),
    ],
)
def test_a_breach_breaks_its_contract(
    package_copy: Path, module: str, line: str, contract: str
) -> None:
    path = package_copy / "h2push" / module
    before = path.read_text() if path.exists() else ""
    path.write_text(before + f"\n{line}\n")
    result = lint_imports(package_copy)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
    assert module.replace("/", ".").removesuffix(".py") in result.stdout


def test_every_top_level_module_is_a_named_entry_point() -> None:
    """Code lives in a room; the top level holds only the public entry points the
    layers contract names, so no module escapes the contract by living at the top."""
    contract = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in contract["contracts"] if c["name"] == LAYERS)["layers"]
    named = {name.strip() for line in layers for name in line.split("|")}
    package = REPO / "h2push"
    top_level = {
        f"h2push.{path.stem}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert top_level - named == set(), "put the new module in a room (see docs/architecture.rst)"
    assert named - top_level == set()
