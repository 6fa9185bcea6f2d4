#!/usr/bin/env bash
# Installs what h2push's demo and tests need, from locked versions:
# - with --debian, the Debian packages of requirements/debian.txt (the browsers, nghttp2,
#   Redis and Caddy the tests drive);
# - a virtualenv in .venv with h2push (editable) and the exact Python packages of
#   requirements/main.txt.
# Safe to run again: it installs only what is missing or what the locks changed.
# The locks are refreshed with scripts/lock.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        $sudo apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The locked Debian packages: each at its version, or Debian's current one (said in
# one line) where the mirror has dropped the locked version.
install_debian_lock() {
    local wanted=() line name version
    while read -r line; do
        [[ -z $line || $line == \#* ]] && continue
        name=${line%%=*}
        version=${line#*=}
        [ "$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null)" = "install ok installed $version" ] ||
            wanted+=("$name=$version")
    done <requirements/debian.txt
    ((${#wanted[@]})) || return 0
    echo "Installing Debian packages: ${wanted[*]}"
    if ! apt_install "${wanted[@]}" 2>/dev/null; then
        echo "Debian no longer offers every locked version; installing its current ones" \
            "(refresh requirements/debian.txt with scripts/lock.sh)"
        apt_install "${wanted[@]%%=*}"
    fi
}

[ "${1:-}" = "--debian" ] && install_debian_lock

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
        # Debian splits venv (and the ensurepip it needs) out of its Python.
        rm -rf .venv
        apt_install python3-venv
        "$python" -m venv .venv
    fi
fi
# Reinstall only when the lock or the project's metadata changed since the last install.
stamp=.venv/.installed-from
wanted=$(cat requirements/main.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "== Installing the locked Python packages (requirements/main.txt) in .venv"
    .venv/bin/python -m pip install -q -r requirements/main.txt
    .venv/bin/python -m pip install -q --no-deps -e .
    echo "$wanted" >"$stamp"
fi
