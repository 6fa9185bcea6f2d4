"""The import-linter contracts in pyproject.toml hold, and fail on a breach.

Each breach is made in a copy of the package, so the tree under test is untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
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


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "middleware.py",
            "from h2push.asgi import H2PushMiddleware",
            "The Django layer never imports the delivery layer",
        ),
        (
            "learning.py",
            "from h2push.delivery.asgi import push_paths",
            "The Django layer never imports the delivery layer",
        ),
        (
            "delivery/asgi.py",
            "from django.conf import settings",
            "The delivery layer knows nothing of Django or of the Django layer",
        ),
        (
            "delivery/budget.py",
            "from h2push.conf import conf",
            "The delivery layer knows nothing of Django or of the Django layer",
        ),
        (
            "contract.py",
            "from h2push.delivery import digest",
            "The contract imports neither layer",
        ),
    ],
)
def test_a_breach_breaks_its_contract(
    package_copy: Path, module: str, line: str, contract: str
) -> None:
    path = package_copy / "h2push" / module
    path.write_text(path.read_text() + f"\n{line}\n")
    result = lint_imports(package_copy)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
