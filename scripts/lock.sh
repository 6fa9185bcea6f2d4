#!/usr/bin/env bash
# Refreshes the locks that scripts/setup.sh and scripts/test-django61.sh install from:
#   requirements/main.txt      Python 3.11, Django 5.2: h2push[dev] (the demo and main test run)
#   requirements/django61.txt  Python 3.12, Django 6.1: h2push[test] (the second test run)
#   requirements/debian.txt    the Debian packages the tests drive, at the installed versions
# The Python locks are made by uv (pinned here) from pyproject.toml, whose ranges stay
# broad for users. Without arguments a pin moves only where pyproject.toml no longer
# allows it; `bash scripts/lock.sh --upgrade` moves every pin to the newest release.
# Run the test command afterwards: a refresh that breaks it is not committed.
set -euo pipefail
cd "$(dirname "$0")/.."

uv_version=0.13.9
if [ ! -x .venv-lock/bin/uv ] || [ "$(.venv-lock/bin/uv --version | cut -d' ' -f2)" != "$uv_version" ]; then
    python3 -m venv .venv-lock
    .venv-lock/bin/python -m pip install -q "uv==$uv_version"
fi
compile() {
    .venv-lock/bin/uv pip compile --quiet --custom-compile-command "bash scripts/lock.sh" "$@"
}
compile pyproject.toml --extra dev --python-version 3.11 -o requirements/main.txt "${@}"
compile pyproject.toml requirements/django61.in --extra test --python-version 3.12 \
    -o requirements/django61.txt "${@}"

# The Debian lock follows what is installed here (scripts/setup.sh --debian installs
# Debian's current versions where the locked ones are gone).
{
    sed -n '/^#/p' requirements/debian.txt
    sed -n '/^[^#]/s/=.*//p' requirements/debian.txt | while read -r name; do
        echo "$name=$(dpkg-query -W -f='${Version}' "$name")"
    done
} >requirements/debian.txt.new
mv requirements/debian.txt.new requirements/debian.txt
git --no-pager diff --stat -- requirements/
