#!/usr/bin/env bash
# The one command that installs and starts Qoltanba on the embedded default (no database server to install):
# npm dependencies, then `qoltanba up` (first run: data directory, embedded database, CA ceremony).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node apps/cli/bin/qoltanba.mjs up "$@"
