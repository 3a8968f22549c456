"""PostgreSQL restarts under load: requests fail cleanly (a styled 503, one log line, no
traceback) and the portal recovers without a restart (CONN_HEALTH_CHECKS).

The restart itself runs in the PostgreSQL pass of `make test`: scripts/test_postgres.sh
tells the tests how to restart its throwaway cluster (PORTAL_TEST_PG_CTL, PORTAL_TEST_PGDATA).
"""

import logging
import os
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from portal.log import OneLineFormatter
from tests.celery_worker import ROOT, database_url, free_port
from tests.factories import CallFactory
from tests.faults import postgres_only
from tests.faults.database_urls import DETAIL

UNAVAILABLE = "The portal is unavailable for a moment"


def _formatted(caplog) -> list[str]:
    formatter = OneLineFormatter(django_settings.LOGGING["formatters"]["one_line"]["format"])
    return [formatter.format(r) for r in caplog.records if r.name == "django.request"]


@pytest.mark.django_db
@pytest.mark.urls("tests.faults.database_urls")
def test_a_lost_database_is_a_styled_503_logged_as_one_line(settings, caplog):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.INFO):
        response = client.get("/test-errors/database-gone/", HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert UNAVAILABLE in body
    assert "css/portal.css" in body
    assert DETAIL not in body
    assert "Traceback" not in body
    (line,) = _formatted(caplog)
    assert "\n" not in line
    assert line.endswith(f"(OperationalError: {DETAIL})")


def test_persistent_connections_are_health_checked():
    assert django_settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def _pg_ctl(*args: str) -> None:
    command = shlex.split(os.environ["PORTAL_TEST_PG_CTL"])
    data = os.environ["PORTAL_TEST_PGDATA"]
    subprocess.run(  # noqa: S603 - the command scripts/test_postgres.sh set up
        # The server's output to its log file: a pipe would be held open by the postmaster.
        [*command, "-D", data, "-l", f"{data}/log", *args],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.fixture
def gunicorn(tmp_path):
    """The portal under production settings (DEBUG off, static files collected), served by
    gunicorn with 4 threads (4 persistent connections) on the test database."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "restart-test-0123456789abcdefghijklmnopqrstuvwxyz-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as handle:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                str(bin_dir / "gunicorn"),
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
            ],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while _get(base + "/")[0] != 200:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"gunicorn did not serve:\n{log.read_text()}")
        time.sleep(0.2)
    yield base, log
    process.terminate()
    process.wait(timeout=30)


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


@postgres_only
@pytest.mark.skipif(
    "PORTAL_TEST_PG_CTL" not in os.environ,
    reason="needs the throwaway cluster of scripts/test_postgres.sh (the PostgreSQL pass)",
)
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_restart_under_load_fails_requests_cleanly_and_the_portal_recovers(
    gunicorn,
):
    base, log = gunicorn
    CallFactory()  # the home page lists the open calls: every request reads the database
    statuses: Counter[int] = Counter()
    after_restart: list[int] = []
    bodies: list[str] = []
    restarted = threading.Event()
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            status, body = _get(base + "/")
            statuses[status] += 1
            if restarted.is_set():
                after_restart.append(status)
            if status != 200:
                bodies.append(body)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        _pg_ctl("restart", "-m", "fast", "-w")  # every open connection is cut
        connection.close()  # this test's own too: pytest's teardown needs a fresh one
        time.sleep(0.5)
        restarted.set()
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] >= 1, statuses  # the restart was seen …
    assert all(UNAVAILABLE in body and "Traceback" not in body for body in bodies)
    # … and once PostgreSQL is back every request is served, by the same gunicorn.
    assert after_restart
    assert set(after_restart) == {200}, Counter(after_restart)
    text = log.read_text()
    assert "Traceback" not in text
    assert text.count("Service Unavailable: /") == statuses[503]
