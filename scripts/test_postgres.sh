#!/usr/bin/env bash
# Runs the pytest suite against a throwaway PostgreSQL cluster on a loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PGBIN=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
PGPORT=${PGPORT:-55432}
PGDATA=$(mktemp -d /tmp/portal-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root.
  chown postgres "$PGDATA" 2>/dev/null || { useradd --system postgres && chown postgres "$PGDATA"; }
  RUN_AS=(runuser -u postgres --)
fi
cleanup() { "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"; }
trap cleanup EXIT
"${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U portal --auth=trust >/dev/null
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off" \
  -l "$PGDATA/log" -w start >/dev/null
echo "== pytest (PostgreSQL on 127.0.0.1:$PGPORT)"
# tests/faults/test_database_restart.py restarts this cluster under load.
export PORTAL_TEST_PG_CTL="${RUN_AS[*]} $PGBIN/pg_ctl" PORTAL_TEST_PGDATA="$PGDATA"
DATABASE_URL="postgres://portal@127.0.0.1:$PGPORT/portal" "$VENV/bin/pytest" "$@"
