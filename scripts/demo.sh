#!/usr/bin/env bash
# Sets everything up and serves the test project over HTTP/2 with runh2server.
# Extra arguments go to runh2server, e.g. `bash scripts/demo.sh 127.0.0.1:9443`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The demo's settings keep the database in db.sqlite3 (ignored by git); migrating it
# first spares the server's start the unapplied-migrations warning.
export DJANGO_SETTINGS_MODULE=testproject.demo_settings
.venv/bin/python manage.py migrate --noinput --verbosity 0
exec .venv/bin/python manage.py runh2server "$@"
