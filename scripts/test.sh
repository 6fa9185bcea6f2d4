#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: lint, types, import contracts,
# docs, then pytest twice (Django 5.2 on Python 3.11, Django 6.1 on Python 3.12+).
# Every step runs even when an earlier one failed; the last lines say how each ended,
# and the command fails if any did.
# Extra arguments go to both pytest runs, e.g. `bash scripts/test.sh -k push`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --debian || exit 1

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
summary=()
failed=0

# step NAME COMMAND...: runs it, keeps its output for the summary.
step() {
    local name=$1 rc
    shift
    echo "== $name"
    "$@" 2>&1 | tee "$logs/$name.log"
    rc=${PIPESTATUS[0]}
    if ((rc == 0)); then
        summary+=("$name: passed$(pytest_tally "$logs/$name.log")")
    else
        summary+=("$name: FAILED (exit $rc)$(pytest_tally "$logs/$name.log")")
        failed=1
    fi
}

# pytest's closing line, e.g. " — 1202 passed, 1 xfailed in 310.2s", if the log has one.
pytest_tally() {
    local line
    line=$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$1" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
    [ -n "$line" ] && printf ' — %s' "$line"
}

# "N passed, N failed" over both pytest runs, for the closing line.
count() {
    cat "$logs"/pytest*.log 2>/dev/null | grep -E '^=+ .* in [0-9.]+s' |
        grep -oE "[0-9]+ $1" | awk '{n += $1} END {print n + 0}'
}

step ruff bash -c '.venv/bin/ruff check . && .venv/bin/ruff format --check .'
step mypy .venv/bin/mypy
step import-linter .venv/bin/lint-imports
step sphinx .venv/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
step "pytest-django52" .venv/bin/pytest -n 2 "$@"
step "pytest-django61" bash scripts/test-django61.sh "$@"
if grep -q '^== pytest (Django 6.1): skipped' "$logs/pytest-django61.log"; then
    summary[-1]="pytest-django61: $(sed -n 's/^== pytest (Django 6.1): //p' "$logs/pytest-django61.log")"
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
failures=$(($(count failed) + $(count error)))
echo "tests: $(count passed) passed, $failures failed"
exit "$failed"
