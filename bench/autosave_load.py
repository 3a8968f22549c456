"""Autosave and submit under load: gunicorn on PostgreSQL, 50 concurrent clients.

Starts a throwaway PostgreSQL cluster (initdb/pg_ctl on a loopback port) unless
DATABASE_URL is set, migrates it, creates one institution, coordinator and complete bid
per client, starts gunicorn, then:

1. autosave phase: every client types into its own bid's summary section for DURATION
   seconds, each request carrying the version the previous answer returned;
2. submit phase: every client submits its bid SUBMITS times (resubmissions);

and prints requests per second, p50/p95/max latency and errors for each phase. Finally it
checks that every acknowledged save is in the database (content and version) and that
every acknowledged submission left a version.

    .venv/bin/python bench/autosave_load.py [--rate 200] [--duration 20] [--clients 50]
        [--workers 2] [--threads 4] [--submits 3] [--no-celery]

Production settings from the start (DEBUG off, set before Django loads), the shared cache
(a throwaway Redis unless CACHE_URL is set, so sessions are ``cached_db``) and the CSP
middleware in the path; gunicorn reads ``portal/gunicorn.conf.py`` as in production; a Celery
worker builds the receipts and queues the e-mails after each submission. Reports medians and
p95 over the whole run (never a best of several), the load average before and after, and the
load generator's own CPU time against the wall time (it shares the machine with the server).

Targets (issue 10): >= 200 autosaves/s, p95 < 250 ms, 0 errors, 0 lost saves.
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# The processes whose CPU time the run reports (filled as they start; the generator is this one).
PROCESS_ROOTS: dict[str, int] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_postgres() -> tuple[str, callable]:
    initdb = shutil.which("initdb") or sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1]
    bindir = Path(initdb).resolve().parent
    data = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    port = free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root
        shutil.chown(data, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "portal", "--auth=trust"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(data / "log"),
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "portal",
            "portal",
        ],
        check=True,
    )

    def stop() -> None:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)

    PROCESS_ROOTS["postgres"] = int((data / "postmaster.pid").read_text().split()[0])
    return f"postgres://portal@127.0.0.1:{port}/portal", stop


def start_redis() -> tuple[str | None, callable]:
    """A throwaway Redis on a loopback port (the shared cache), or ``(None, noop)`` if absent."""
    server = shutil.which("redis-server")
    if server is None:
        return None, lambda: None
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=data,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)

    PROCESS_ROOTS["redis"] = process.pid

    def stop() -> None:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)

    return f"redis://127.0.0.1:{port}/1", stop


def production_environment() -> str | None:
    """Production settings (DEBUG off, manifest static files, secure cookies), set before
    Django starts, never flipped afterwards. Call after DATABASE_URL / CACHE_URL are set.
    Returns the throwaway media folder it made (None if PORTAL_MEDIA_ROOT was given)."""
    made = None if os.environ.get("PORTAL_MEDIA_ROOT") else tempfile.mkdtemp(prefix="bench-media-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "PORTAL_MEDIA_ROOT": made or os.environ["PORTAL_MEDIA_ROOT"],
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # Server errors only: the start-up probe's 405s are refusals, logged at WARNING.
            "LOG_LEVEL": "ERROR",
        }
    )
    cache_url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or ""
    if cache_url.startswith("redis") and "CELERY_BROKER_URL" not in os.environ:
        # The broker of production: the same Redis, database 0.
        os.environ["CELERY_BROKER_URL"] = cache_url.rsplit("/", 1)[0] + "/0"
    return made


def prepare(clients: int) -> list[dict]:
    """Create the data through the services; return each client's cookies and bid URLs."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from applications.models import BidSection, BudgetLine, Institution, Membership
    from applications.services import attachments, bids
    from portal.demo import _make_call, _pdf, _uai, _user

    call_command("migrate", verbosity=0)
    admin = _user("bench-admin@example.org", staff=True)
    call = _make_call(
        slug=f"bench-{secrets.token_hex(3)}",
        title_en="Bench",
        title_fr="Bench",
        closes_in=__import__("datetime").timedelta(days=1),
        admin=admin,
    )
    sessions = []
    # Distinct rows on every run, so that a database given in DATABASE_URL can be reused.
    first = Institution.objects.count()
    for n in range(first, first + clients):
        user = _user(f"bench{n}@bench-{n}.fr")
        institution = Institution.objects.create(
            name=f"Bench institution {n}",
            kind="university",
            city="Paris",
            identifier_type="uai",
            identifier=_uai(500 + n),
            email_domain=f"bench-{n}.fr",
        )
        Membership.objects.create(user=user, institution=institution, role="coordinator")
        bid = bids.start_bid(
            call=call, lead_institution=institution, acronym=f"B{n}", title="Bench bid", by=user
        )
        bid = bids.update_consortium(
            bid=bid,
            version=bid.consortium_version,
            acronym=f"B{n}",
            title="Bench bid",
            requested_amount=20_000_000,
            minimum_amount=10_000_000,
            by=user,
        )
        for section in bid.sections.all():
            bids.save_section(
                bid=bid, key=section.key, content="Initial text.", version=section.version, by=user
            )
        cells = {(1, BudgetLine.Category.STAFF): (20_000_000, 0)}
        bids.save_budget(bid=bid, version=bid.budget_version, cells=cells, by=user)
        for required in call.required_attachments.all():
            upload = _pdf(f"bench {n} {required.code}")
            attachments.upload_attachment(
                bid=bid,
                required_attachment=required,
                upload=SimpleUploadedFile(upload.name, upload.read()),
                by=user,
            )
        client = Client()
        client.force_login(user)
        summary = BidSection.objects.get(bid=bid, key="summary")
        sessions.append(
            {
                "session": client.cookies["sessionid"].value,
                "csrf": secrets.token_hex(16),
                "autosave": f"/bids/{bid.public_id}/sections/summary/autosave/",
                "submit": f"/bids/{bid.public_id}/submit/",
                "version": summary.version,
                "bid_id": bid.pk,
            }
        )
    return sessions


async def request(
    reader, writer, *, path: str, body: bytes, content_type: str, client: dict, port: int
) -> tuple[int, bytes]:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: sessionid={client['session']}; csrftoken={client['csrf']}\r\n"
        f"X-CSRFToken: {client['csrf']}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    payload = await reader.readexactly(length) if length else b""
    return status, payload


async def autosave_client(
    client: dict, port: int, until: float, latencies: list, errors: list, interval: float
):
    """Save as fast as answers come (interval 0), or one save every ``interval`` seconds."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    typed = 0
    next_send = time.monotonic() + interval * (client["bid_id"] % 97) / 97  # spread starts
    while time.monotonic() < until:
        if interval:
            await asyncio.sleep(max(0.0, next_send - time.monotonic()))
            next_send += interval
        typed += 1
        content = f"Client text, keystroke batch {typed}: " + "x" * (typed % 200)
        body = json.dumps({"content": content, "version": client["version"]}).encode()
        start = time.perf_counter()
        status, payload = await request(
            reader,
            writer,
            path=client["autosave"],
            body=body,
            content_type="application/json",
            client=client,
            port=port,
        )
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors.append((status, payload[:200]))
            continue
        client["version"] = json.loads(payload)["version"]
        client["acknowledged"] = (content, client["version"])
    writer.close()


async def submit_client(client: dict, port: int, times: int, latencies: list, errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client["submitted"] = 0
    for _ in range(times):
        start = time.perf_counter()
        status, payload = await request(
            reader,
            writer,
            path=client["submit"],
            body=b"",
            content_type="application/x-www-form-urlencoded",
            client=client,
            port=port,
        )
        latencies.append(time.perf_counter() - start)
        if status != 302:
            errors.append((status, payload[:200]))
        else:
            client["submitted"] += 1
    writer.close()


def wait_until_serving(port: int, *, path: str, answers: int, timeout: float = 120.0) -> None:
    """Return once the server has answered ``answers`` requests in a row: gunicorn accepts
    connections before its workers have loaded Django, and the first seconds of a run must
    not measure their start-up."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    answered = 0
    while answered < answers:
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30):
                answered += 1
        except urllib.error.HTTPError:  # any answer shows a worker serving
            answered += 1
        except OSError:
            answered = 0
            time.sleep(0.2)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[int(fraction * (len(ordered) - 1))]


def report(name: str, latencies: list[float], errors: list, elapsed: float) -> None:
    ordered = sorted(latencies)
    if not ordered:
        print(f"{name}: no request answered; errors {len(errors)}")
        return
    print(
        f"{name}: {len(latencies)} requests in {elapsed:.1f} s = {len(latencies) / elapsed:.0f}/s; "
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {percentile(ordered, 0.95) * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms; errors {len(errors)}"
    )
    for status, payload in errors[:5]:
        print(f"  error {status}: {payload!r}")


def generator_share(cpu: float, wall: float) -> str:
    """This process's CPU time (the load generator) against the run's wall time."""
    return (
        f"load generator: {cpu:.1f} s CPU over {wall:.1f} s wall = {100 * cpu / wall:.0f}% of one "
        f"core ({100 * cpu / wall / (os.cpu_count() or 1):.0f}% of the machine)"
    )


def process_tree_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each named process and its descendants,
    read from /proc: where the machine's two cores go during a phase."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parent[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    # Each process counts once, for its nearest named ancestor (the generator starts them all).
    names = {root: name for name, root in roots.items()}
    totals = dict.fromkeys(roots, 0.0)
    for pid, seconds in cpu.items():
        walk = pid
        while walk not in names and walk in parent:
            walk = parent[walk]
        if walk in names:
            totals[names[walk]] += seconds
    return totals


def cpu_breakdown(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    per_request = {name: 1000 * (after[name] - before[name]) / max(requests, 1) for name in after}
    shares = ", ".join(f"{name} {ms:.2f}" for name, ms in per_request.items())
    return f"CPU per request (ms): {shares}; sum {sum(per_request.values()):.2f}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--submits", type=int, default=3)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offered autosaves per second, spread over the clients (0: as fast as possible)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--no-celery",
        action="store_true",
        help="do not start a Celery worker (receipts are then built on download only)",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # a TextIOWrapper

    stops: list = []
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"], stop = start_postgres()
        stops.append(stop)
    if "CACHE_URL" not in os.environ and "REDIS_URL" not in os.environ:
        url, stop = start_redis()
        if url:
            os.environ["CACHE_URL"] = url
            stops.append(stop)
    cache_url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
    media = production_environment()
    gunicorn = worker = None
    # Kept after the run, for a look at the worker's errors; closed with the process.
    celery_log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - outlives this block, by design
        prefix="bench-celery-", suffix=".log", delete=False
    )
    try:
        clients = prepare(args.clients)
        port = free_port()
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--config",
                str(ROOT / "portal" / "gunicorn.conf.py"),
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
        )
        if not args.no_celery and os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
            worker = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("celery")),
                    "-A",
                    "portal",
                    "worker",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "warning",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=subprocess.DEVNULL,
                stderr=celery_log,
            )
        # A GET of the autosave URL: a 405 from the view, through every middleware.
        wait_until_serving(port, path=clients[0]["autosave"], answers=4 * args.workers)

        async def run_autosave():
            latencies, errors = [], []
            start = time.monotonic()
            interval = len(clients) / args.rate if args.rate else 0.0
            await asyncio.gather(
                *(
                    autosave_client(c, port, start + args.duration, latencies, errors, interval)
                    for c in clients
                )
            )
            return latencies, errors, time.monotonic() - start

        async def run_submit():
            latencies, errors = [], []
            start = time.monotonic()
            await asyncio.gather(
                *(submit_client(c, port, args.submits, latencies, errors) for c in clients)
            )
            return latencies, errors, time.monotonic() - start

        print(
            f"{args.clients} clients, gunicorn {args.workers} workers x {args.threads} threads "
            f"(gthread), PostgreSQL, cache {'Redis' if cache_url else 'database'}, "
            f"Celery worker {'on' if worker else 'off'}, {os.cpu_count()} cores, DEBUG off"
        )
        print(f"load average before: {load_average()}")
        mode = f"offered {args.rate:.0f}/s" if args.rate else "closed loop, as fast as answered"
        roots = {"gunicorn": gunicorn.pid, **PROCESS_ROOTS, "generator": os.getpid()}
        if worker is not None:
            roots["celery"] = worker.pid
        for phase, run in ((f"autosave ({mode})", run_autosave), ("submit", run_submit)):
            cpu, wall = time.process_time(), time.perf_counter()
            trees = process_tree_cpu(roots)
            latencies, errors, elapsed = asyncio.run(run())
            report(phase, latencies, errors, elapsed)
            print(generator_share(time.process_time() - cpu, time.perf_counter() - wall))
            print(cpu_breakdown(trees, process_tree_cpu(roots), len(latencies)))
        print(f"load average after: {load_average()}")

        from applications.models import BidSection, BidVersion

        lost = 0
        for client in clients:
            content, version = client.get("acknowledged", (None, None))
            if content is None:
                continue
            row = BidSection.objects.get(bid_id=client["bid_id"], key="summary")
            if row.content != content or row.version != version:
                lost += 1
        # A client submits the same content each time: the first acknowledged submission
        # makes the version, the others return it (an unchanged resubmission adds none).
        missing_versions = sum(
            1
            for c in clients
            if BidVersion.objects.filter(bid_id=c["bid_id"]).count() != min(c["submitted"], 1)
        )
        print(
            f"lost acknowledged saves: {lost}; bids whose versions differ from acknowledged "
            f"submissions: {missing_versions}"
        )
        if worker is not None:
            versions = BidVersion.objects.filter(bid_id__in=[c["bid_id"] for c in clients])
            start = time.monotonic()
            while time.monotonic() - start < 120 and versions.filter(receipt_pdf="").exists():
                time.sleep(0.5)
            print(
                f"receipts built by the Celery worker: {versions.exclude(receipt_pdf='').count()} "
                f"of {versions.count()}, the last {time.monotonic() - start:.1f} s after the "
                f"submit phase ended (worker log: {celery_log.name})"
            )
    finally:
        for process in (worker, gunicorn):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        from django.db import connections

        connections.close_all()
        for stop in reversed(stops):
            stop()
        if media:
            shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
