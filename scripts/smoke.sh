#!/usr/bin/env bash
# Production smoke test (part of `make test`; no Docker): with DEBUG off and the production
# settings, build the static files with the manifest storage, migrate a throwaway SQLite
# database, start gunicorn, and check that the home page, a static file, the login page, the
# favicon and a 404 answer as they should, with their security headers. Stops gunicorn after.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BIN="$VENV/bin"

work=$(mktemp -d)
gunicorn_pid=""
cleanup() {
  if [ -n "$gunicorn_pid" ]; then kill "$gunicorn_pid" 2>/dev/null || true; wait "$gunicorn_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY="smoke-$(date +%s)-$RANDOM-0123456789abcdefghijklmnopqrstuvwxyz"
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export PORTAL_VAR_DIR="$work"       # SQLite database, static files, broker folders
export DATABASE_URL="sqlite:///$work/portal.sqlite3"
unset CACHE_URL REDIS_URL CELERY_BROKER_URL  # the database cache and the filesystem broker

"$BIN/python" manage.py migrate --no-input -v 0
"$BIN/python" manage.py collectstatic --no-input -v 0

port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN/gunicorn" --config portal/gunicorn.conf.py portal.wsgi --bind "127.0.0.1:$port" --workers 2 --log-level warning \
  >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!

if ! "$BIN/python" - "http://127.0.0.1:$port" <<'PY'
import sys
import time
import urllib.error
import urllib.request

base = sys.argv[1]
# The portal sits behind a TLS proxy: settings trust X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
HEADERS = {"X-Forwarded-Proto": "https", "Accept-Language": "en"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def get(path):
    request = urllib.request.Request(base + path, headers=HEADERS)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8", "replace")


deadline = time.monotonic() + 30
while True:
    try:
        get("/accounts/login/")
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("smoke: gunicorn did not answer within 30 s")
        time.sleep(0.3)

failures = []


def check(what, condition):
    print(f"smoke: {'ok  ' if condition else 'FAIL'} {what}")
    if not condition:
        failures.append(what)


status, headers, body = get("/")
check("GET / is 200", status == 200)
csp = headers.get("Content-Security-Policy", "")
check("CSP default-src 'self' without unsafe-inline", "default-src 'self'" in csp and "unsafe-inline" not in csp)
check("Permissions-Policy turns the camera off", "camera=()" in headers.get("Permissions-Policy", ""))
check("HSTS is sent", "max-age=" in headers.get("Strict-Transport-Security", ""))
check("X-Frame-Options DENY", headers.get("X-Frame-Options") == "DENY")
check("anonymous home page is not no-store", "no-store" not in headers.get("Cache-Control", ""))

marker = '/static/css/portal.'
start = body.find(marker)
css = body[start : body.find('"', start)] if start >= 0 else ""
check("home page links a hashed stylesheet", css.startswith(marker) and css.endswith(".css") and css != "/static/css/portal.css")
status, headers, _ = get(css or "/static/css/portal.css")
check(f"GET {css} is 200", status == 200)
check("static file is cached for long", "max-age=315360000" in headers.get("Cache-Control", ""))

status, headers, body = get("/accounts/login/")
check("GET /accounts/login/ is 200", status == 200)
check("login page has a form with a CSRF token", "csrfmiddlewaretoken" in body)

status, headers, _ = get("/favicon.ico")
check("GET /favicon.ico redirects to the static icon", status == 302 and "/static/favicon." in headers.get("Location", ""))

status, headers, body = get("/no-such-page/")
check("unknown page is the portal's 404", status == 404 and "Page not found" in body and "Traceback" not in body)

plain = urllib.request.Request(base + "/", headers={"Accept-Language": "en"})
try:
    opener.open(plain, timeout=10)
    redirected = False
except urllib.error.HTTPError as error:
    redirected = error.code == 301 and error.headers.get("Location", "").startswith("https://")
check("plain HTTP is redirected to https://", redirected)

sys.exit(1 if failures else 0)
PY
then
  echo "smoke: gunicorn log:"; cat "$work/gunicorn.log"
  exit 1
fi
echo "smoke: production settings serve pages from gunicorn"
