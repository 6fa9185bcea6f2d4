"""The house rules a newcomer relies on: short modules, short functions, and the
benchmarks kept apart from the tests, and what both need in ``harness/``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def test_no_module_of_the_package_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): lines
        for path in _modules("h2push")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_of_the_package_is_over_60_lines() -> None:
    long = []
    for path in _modules("h2push"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {lines}")
    assert long == []


def test_the_benchmarks_hold_no_tests_and_import_none() -> None:
    imports_tests = re.compile(r"^\s*(from|import) tests\b", re.M)
    found = [
        str(path.relative_to(REPO))
        for path in _modules("benchmarks")
        if path.name.startswith("test_") or imports_tests.search(path.read_text())
    ]
    assert found == []


def test_the_tests_import_no_benchmarks_but_their_own_tests() -> None:
    # What a test and a benchmark both need lives in harness/; only tests/benchmarks,
    # which tests the benchmarks' own code (their statistics), may import it.
    imports_benchmarks = re.compile(r"^\s*(from|import) benchmarks\b", re.M)
    found = [
        str(path.relative_to(REPO))
        for path in _modules("tests")
        if path.relative_to(REPO / "tests").parts[0] != "benchmarks"
        and imports_benchmarks.search(path.read_text())
    ]
    assert found == []


def test_the_harness_imports_neither_tests_nor_benchmarks() -> None:
    imports_either = re.compile(r"^\s*(from|import) (tests|benchmarks)\b", re.M)
    found = [
        str(path.relative_to(REPO))
        for path in _modules("harness")
        if imports_either.search(path.read_text())
    ]
    assert found == []
