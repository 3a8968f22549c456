"""Profile ONE autosave request end to end, under production settings, on PostgreSQL.

The request goes through the real WSGI application (``portal.wsgi``: every middleware, the
session and user lookups, the TOTP gate, CSRF, CSP, the UPDATE, the JSON answer), built as a
raw WSGI environ, so nothing of the test client's shortcuts is in the path; only gunicorn's
own parsing is left out. Starts a throwaway PostgreSQL and Redis (the shared cache, so cached
sessions are in the path) unless DATABASE_URL / CACHE_URL are set.

Prints the SQL of one request, the median wall and CPU time per request over ``--requests``
saves, the same for ``--submits`` submissions (whose receipt and e-mails go to Celery: the
broker is Redis when it runs, nothing consumes it here), and the functions that take the
most time in autosave (cProfile, cumulative and own time; CPU time of this process by
default, ``--timer wall`` for the wall clock).

    .venv/bin/python bench/profile_autosave.py [--requests 2000] [--top 30] [--timer cpu|wall]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from autosave_load import production_environment, start_postgres, start_redis  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--submits", type=int, default=20)
    parser.add_argument(
        "--timer",
        choices=("cpu", "wall"),
        default="cpu",
        help="what cProfile counts: this process's CPU time (default; on a shared machine the "
        "wall clock mostly counts waiting for PostgreSQL and for a core) or the wall clock",
    )
    args = parser.parse_args()

    stops = []
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"], stop = start_postgres()
        stops.append(stop)
    if "CACHE_URL" not in os.environ and "REDIS_URL" not in os.environ:
        url, stop = start_redis()
        if url:
            os.environ["CACHE_URL"] = url
            stops.append(stop)
    media = production_environment()
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        for stop in reversed(stops):
            stop()
        if media:
            shutil.rmtree(media, ignore_errors=True)


def run(args) -> None:
    from autosave_load import prepare

    client = prepare(1)[0]
    from django.conf import settings
    from django.db import connection

    from portal.wsgi import application

    assert not settings.DEBUG
    version = client["version"]

    def post(path: str, body: bytes, content_type: str) -> tuple[str, list, bytes]:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": f"sessionid={client['session']}; csrftoken={client['csrf']}",
            "HTTP_X_CSRFTOKEN": client["csrf"],
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_REFERER": "https://127.0.0.1/",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status = []
        chunks = application(environ, lambda s, h, exc_info=None: status.append((s, h)))
        payload = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return status[0][0], status[0][1], payload

    def autosave(n: int) -> dict:
        nonlocal version
        body = json.dumps({"content": f"Typed text {n}", "version": version}).encode()
        status, headers, payload = post(client["autosave"], body, "application/json")
        if not status.startswith("200"):
            raise SystemExit(f"autosave answered {status}: {payload[:300]!r}")
        version = json.loads(payload)["version"]
        return {"headers": headers, "payload": payload}

    def submit() -> None:
        status, _headers, payload = post(client["submit"], b"", "application/x-www-form-urlencoded")
        if not status.startswith("302"):
            raise SystemExit(f"submit answered {status}: {payload[:300]!r}")

    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    autosave(0)  # warm up: imports, URL resolver, first connection
    with connection.execute_wrapper(record):
        one = autosave(1)
    print(f"One autosave: {len(statements)} SQL statements")
    for sql in statements:
        print(f"  {sql[:160]}")
    print(f"Response: {len(one['payload'])} bytes of JSON: {one['payload'].decode()}")
    print(
        f"Response headers: {len(one['headers'])}, {sum(len(k) + len(v) for k, v in one['headers'])} bytes"
    )

    walls, cpus = [], []
    for n in range(args.requests):
        wall, cpu = time.perf_counter(), time.process_time()
        autosave(n + 2)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    print(
        f"{args.requests} autosaves, one after the other: median {statistics.median(walls) * 1000:.2f} ms "
        f"wall, {statistics.median(cpus) * 1000:.2f} ms CPU of this process (PostgreSQL's not "
        f"counted), p95 {walls[int(0.95 * (len(walls) - 1))] * 1000:.2f} ms; "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    statements.clear()
    with connection.execute_wrapper(record):
        submit()
    walls, cpus = [], []
    for _ in range(args.submits):
        wall, cpu = time.perf_counter(), time.process_time()
        submit()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"One submission (the receipt and e-mails queued to Celery): "
        f"{len(statements)} SQL statements; {args.submits} submissions: median "
        f"{statistics.median(walls) * 1000:.1f} ms wall, {statistics.median(cpus) * 1000:.1f} ms "
        f"CPU; load average {os.getloadavg()[0]:.2f}"
    )

    profile = cProfile.Profile(time.process_time) if args.timer == "cpu" else cProfile.Profile()
    profile.enable()
    for n in range(args.requests):
        autosave(n + args.requests + 2)
    profile.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
        print(f"--- cProfile ({args.timer} time) over {args.requests} requests, by {order} ---")
        print("\n".join(out.getvalue().splitlines()[4:]))


if __name__ == "__main__":
    main()
