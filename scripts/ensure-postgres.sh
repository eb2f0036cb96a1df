#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on $PGHOST:$PGPORT (default 127.0.0.1:5432), starting the
# Debian cluster when it is installed but stopped, or installing it when absent. Tests that need it
# create their own fresh database.
set -uo pipefail
host=${PGHOST:-127.0.0.1}; port=${PGPORT:-5432}
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }
if ready; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "== installing postgresql"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
for v in $(ls /etc/postgresql 2>/dev/null); do
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
done
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "PostgreSQL is not answering on $host:$port; tests that need it will fail" >&2
exit 0
