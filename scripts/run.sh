#!/usr/bin/env bash
# `make run`: migrate, load the demo call, start a Celery worker (with beat) and the web server.
# SQLite and a filesystem broker by default; DATABASE_URL / CELERY_BROKER_URL switch to
# PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PORT=${PORT:-8000}
# Links in e-mails (sent by the worker) point at the port the portal runs on.
export PORTAL_SITE_URL=${PORTAL_SITE_URL:-http://127.0.0.1:${PORT}}
PY="$VENV/bin/python"
export PORTAL_DEMO_RELAX_MFA=${PORTAL_DEMO_RELAX_MFA:-1}
export ACCOUNT_EMAIL_VERIFICATION=${ACCOUNT_EMAIL_VERIFICATION:-mandatory}
mkdir -p var

"$PY" manage.py migrate --no-input
# A throwaway self-signed seal for the receipts (kept between runs; production installs its own).
"$PY" manage.py generate_sealing_certificate
"$PY" manage.py load_demo

"$VENV/bin/celery" -A portal worker --beat --loglevel=INFO --concurrency=2 \
  --schedule=var/celerybeat-schedule &
worker_pid=$!
# Stop the worker with the web server: a warm shutdown first (finishes the task at hand),
# then a cold one after 5 s (tasks are acked late: an interrupted one runs again next time).
stop_worker() {
  kill -TERM "$worker_pid" 2>/dev/null || return 0
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$worker_pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -QUIT "$worker_pid" 2>/dev/null || true
  sleep 1
  kill -KILL "$worker_pid" 2>/dev/null || true
}
trap stop_worker EXIT INT TERM

echo
echo "  IA-cluster portal: http://127.0.0.1:${PORT}/  (demo accounts in README.md)"
echo
"$PY" manage.py runserver "127.0.0.1:${PORT}"
