#!/usr/bin/env bash
# `make test`: static checks, a production smoke run (scripts/smoke.sh: collectstatic and
# gunicorn with DEBUG off), then the whole pytest suite (unit, request, Celery worker on Redis,
# Playwright in Debian's Chromium) on SQLite; in CI once more on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BIN="$VENV/bin"

bash scripts/provision.sh

echo "== ruff"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
echo "== mypy"
"$BIN/mypy" .
echo "== import contracts"
"$BIN/lint-imports"
echo "== bandit (findings fixed, or '# nosec <id>' with the reason on the line)"
"$BIN/bandit" -c pyproject.toml -r applications review portal -q
echo "== pip-audit (known vulnerabilities of the installed dependencies)"
# pip-audit reads the "vulnerabilities" of PyPI's per-release JSON API; it has no offline
# database. Where that API does not answer (no network, or a mirror serving only project
# pages, as on the build machine) it is skipped with this message, unless
# PIP_AUDIT_REQUIRED=1 (then it fails).
if "$BIN/python" -c "
import json, urllib.request as u
data = json.load(u.urlopen('https://pypi.org/pypi/django/5.2/json', timeout=5))
assert 'vulnerabilities' in data" 2>/dev/null; then
  "$BIN/pip-audit" --strict --skip-editable --progress-spinner off
elif [ "${PIP_AUDIT_REQUIRED:-}" = "1" ]; then
  echo "pip-audit: PyPI's advisory API is unreachable and PIP_AUDIT_REQUIRED=1"; exit 1
else
  echo "pip-audit: SKIPPED, PyPI's advisory API is unreachable from here (PIP_AUDIT_REQUIRED=1 fails instead)"
fi
echo "== migrations and deploy checks"
"$BIN/python" manage.py makemigrations --check --dry-run >/dev/null
# Production installs its own sealing certificate; the check gets a throwaway one (portal.W002).
seal_dir=$(mktemp -d)
"$BIN/python" manage.py generate_sealing_certificate \
  --cert "$seal_dir/cert.pem" --key "$seal_dir/key.pem" >/dev/null
DJANGO_DEBUG=0 DJANGO_SECRET_KEY="check-deploy-$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz" \
  DJANGO_ALLOWED_HOSTS=portal.example.org \
  PORTAL_PUBLISHER_ADDRESS="1 rue de l'Exemple, 75000 Paris" PORTAL_PUBLICATION_DIRECTOR=Director \
  PORTAL_HOST_NAME="Host SAS" PORTAL_HOST_ADDRESS="2 rue de l'Exemple, 75000 Paris" \
  PORTAL_CONTACT_EMAIL=contact@portal.example.org PORTAL_DPO_EMAIL=dpo@portal.example.org \
  PORTAL_SEALING_CERT="$seal_dir/cert.pem" PORTAL_SEALING_KEY="$seal_dir/key.pem" \
  "$BIN/python" manage.py check --deploy --fail-level WARNING
rm -rf "$seal_dir"
echo "== production smoke: collectstatic, gunicorn, pages and headers"
VENV="$VENV" bash scripts/smoke.sh
echo "== translation catalogs"
shopt -s nullglob
for po in locale/*/LC_MESSAGES/*.po; do
  msgfmt --check-format -o /dev/null "$po"
  # Every French entry translated and none fuzzy (the statistics line lists only translated ones).
  case "$po" in locale/fr/*)
    stats=$(msgfmt --statistics -o /dev/null "$po" 2>&1)
    case "$stats" in *untranslated*|*fuzzy*) echo "$po: $stats"; exit 1;; esac;;
  esac
done

echo "== pytest (SQLite)"
"$BIN/pytest" "$@"

if [ "${CI:-}" = "true" ] || [ "${PORTAL_TEST_POSTGRES:-}" = "1" ]; then
  bash scripts/test_postgres.sh "$@"
fi
