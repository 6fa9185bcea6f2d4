#!/usr/bin/env bash
# Runs the unit and end-to-end tests a second time, on Django 6.1, in .venv-django61.
# Django 6.1 needs Python 3.12 or newer, so this uses the first such interpreter it
# finds: $H2PUSH_PYTHON_312 if set, then python3.13, python3.12, then pyenv's.
# Without one it says so in one line and exits 0: the main run (Django 5.2 on
# Python 3.11, in scripts/test.sh) still decides. Extra arguments go to pytest; when
# they name test files or folders, those replace the default set.
# Safe to run again: the virtualenv is kept, and pip runs only when the lock
# (requirements/django61.txt) or pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-django61
paths=(tests/core tests/django_layer tests/delivery tests/server tests/probe tests/e2e)

# A usable interpreter runs, is 3.12 or newer, and has the venv module (a pyenv
# shim for a version that is not selected exists but fails to run).
usable() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

python=""
if [ -x "$venv/bin/python" ] && usable "$venv/bin/python"; then
    python="$venv/bin/python"
else
    rm -rf "$venv"
    pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
    candidates=("${H2PUSH_PYTHON_312:-}" python3.13 python3.12)
    for found in "$pyenv_root"/versions/3.1[2-9]*/bin/python; do
        [ -x "$found" ] && candidates+=("$found")
    done
    for candidate in "${candidates[@]}"; do
        [ -n "$candidate" ] || continue
        if usable "$candidate"; then
            python=$candidate
            break
        fi
    done
    if [ -z "$python" ]; then
        echo "== pytest (Django 6.1): skipped, not possible on this machine: Django 6.1" \
            "needs Python 3.12 or newer and none with a working venv module was found" \
            "(tried \$H2PUSH_PYTHON_312, python3.13, python3.12, $pyenv_root/versions/3.12+)"
        exit 0
    fi
    "$python" -m venv "$venv"
    python="$venv/bin/python"
fi

stamp="$venv/.installed-from"
wanted=$(cat requirements/django61.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "== Installing the locked Python packages (requirements/django61.txt) in $venv ($("$python" --version))"
    "$python" -m pip install -q -r requirements/django61.txt
    "$python" -m pip install -q --no-deps -e .
    echo "$wanted" >"$stamp"
fi

for arg in "$@"; do
    if [[ $arg != -* && -e ${arg%%::*} ]]; then
        paths=()
    fi
done

version=$("$python" -c 'import django, sys; print(django.get_version(), sys.version.split()[0])')
echo "== pytest (Django ${version% *}, Python ${version#* })"
# The stress suite exercises the server rather than Django; the main run has it.
"$python" -m pytest -n 2 --ignore=tests/stress "${paths[@]}" "$@"
