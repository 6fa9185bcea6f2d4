#!/usr/bin/env bash
# Sets everything up and serves the test project over HTTP/2 with runh2server.
# Extra arguments go to runh2server, e.g. `bash scripts/demo.sh 127.0.0.1:9443`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python manage.py runh2server "$@"
