#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: lint, types, import contracts,
# docs, tests.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k push`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh chromium nghttp2-client redis-server caddy

echo "== ruff";   .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy";   .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== sphinx"; .venv/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
echo "== pytest"; .venv/bin/pytest -n 2 "$@"
bash scripts/test-django61.sh "$@"
