"""A real Celery worker process on a real Redis server, for tests marked ``worker``.

The worker is a separate process: it reads the test database through ``DATABASE_URL``
(SQLite test databases are files for this reason; see settings), so tests using it need
``transactional_db`` to commit their data.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    """A redis-server on ``127.0.0.1:port`` (no persistence), once it accepts connections."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: `make test` installs it (scripts/provision.sh).")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, local binary
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("redis-server did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    process = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    stop(process)


def reset_broker_pool(app) -> None:
    # The producer pool was built for the previous broker URL; drop it so the next
    # publish connects to the one now configured.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    # kombu keeps its pools in a registry keyed by URL, and the app caches a producer pool
    # built on the old one: without this, a second worker test on the same Redis gets a
    # closed pool back ("Acquire on closed pool").
    from kombu import pools

    pools.reset()
    app.amqp._producer_pool = None


def worker_env(*, broker_url: str, media_root: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker process: the test database, ``broker_url``, not eager."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "PORTAL_MEDIA_ROOT": str(media_root),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **extra,
    }


def start_worker(
    app, *, env: dict[str, str], log: Path, hostname: str, args: tuple[str, ...] = ()
) -> subprocess.Popen:
    """``celery worker`` (prefork, 2 processes) in its own process group (so that a test
    can kill it whole), once it answers a ping."""
    log_file = log.open("a")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            f"--hostname={hostname}@localhost",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"celery worker exited:\n{log.read_text()}")
        replies = app.control.ping(timeout=0.5, destination=[f"{hostname}@localhost"])
        if replies:
            return process
    process.kill()
    pytest.fail(f"celery worker did not answer:\n{log.read_text()}")


def stop_worker(process: subprocess.Popen) -> None:
    """A warm shutdown, then a kill of the whole process group."""
    if process.poll() is None:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, 9)
    process.wait(timeout=10)


@contextmanager
def broker(app, settings, url: str) -> Iterator[None]:
    """This process publishes to ``url``, not eagerly, until the end of the block."""
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=url, task_always_eager=False)
    reset_broker_pool(app)
    try:
        yield
    finally:
        app.conf.update(**previous)
        reset_broker_pool(app)


@pytest.fixture
def celery_worker_process(redis_url, transactional_db, settings, tmp_path) -> Iterator[object]:
    """Start ``celery worker`` (prefork, 2 processes) against Redis and the test database."""
    from portal.celery import app

    with broker(app, settings, redis_url):
        process = start_worker(
            app,
            env=worker_env(broker_url=redis_url, media_root=settings.MEDIA_ROOT),
            log=tmp_path / "worker.log",
            hostname=f"test-{os.getpid()}",
        )
        try:
            yield app
        finally:
            stop_worker(process)
