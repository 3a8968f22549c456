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
"$PY" manage.py load_demo

"$VENV/bin/celery" -A portal worker --beat --loglevel=INFO --concurrency=2 \
  --schedule=var/celerybeat-schedule &
worker_pid=$!
trap 'kill $worker_pid 2>/dev/null || true; wait $worker_pid 2>/dev/null || true' EXIT INT TERM

echo
echo "  IA-cluster portal: http://127.0.0.1:${PORT}/  (demo accounts in README.md)"
echo
"$PY" manage.py runserver "127.0.0.1:${PORT}"
