"""A full ranking run as an administrator waits for it: from the click (the run created from
the database's scores) to the stored result, bootstrap included, on Celery workers.

A throwaway SQLite database receives a call of ``--bids`` bids, each scored by
``--jurors-per-bid`` jurors of a pool of ``--pool`` on ``--criteria`` criteria (bid i has
jurors i, i+7, i+14… modulo the pool: a connected jury, which the additive calibration
needs); it is filled by a child process, so that the figures of this one are the run's
alone. Production settings (``DJANGO_DEBUG=0`` set before Django starts), a private
``redis-server`` as broker and shared cache. Each of ``--repeat`` runs is timed from
``create_ranking_run`` to the stored result:

- ``--workers N`` (default 2): a real ``celery worker`` with N processes computes the run
  (first step, bootstrap chunks, merge), as in production; ``--workers 1,2`` measures one
  process, then two, on the same data (each with its own worker, the runs of each setting
  one after the other);
- ``--workers 0``: this process computes it chunk after chunk (``compute_ranking_run``).

``--database PATH`` keeps the filled database (SQLite) for the next invocation with the
same data arguments: filling 10,000 bids takes minutes, a copy of the file a second.

Printed: the median (and the range) of the runs, the creation step alone, with workers the
medians of the phases after it (``PHASES``: first step, chunks, merge), the CPU time
the run took (this process's and the workers', steadier than wall time on a loaded machine),
peak memory (this
process's maximum RSS, and each worker process's), the load average before and after, and
the result's SHA-256 (equal over the runs: runs are byte-reproducible).

    .venv/bin/python bench/ranking_full_run.py --bids 2000 [--pool 40] [--samples 1000]
        [--workers 2 | --workers 1,2] [--repeat 5] [--database /tmp/bids2000.sqlite3]
        [--dump-input input.json] [--profile out.prof]

``--profile`` (with ``--workers 0``) writes a cProfile of one more run, computed here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--jurors-per-bid", type=int, default=5)
    parser.add_argument("--criteria", type=int, default=5)
    parser.add_argument("--pool", type=int, default=40, help="jurors in the jury")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rule", default="optimal")
    parser.add_argument("--calibration", default="additive")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--workers",
        type=_worker_counts,
        default=[2],
        help="worker processes, or several counts to compare (1,2); 0: compute in this process",
    )
    parser.add_argument("--database", type=Path, help="keep the filled SQLite database here")
    parser.add_argument("--dump-input", type=Path, help="write the engine's input JSON here")
    parser.add_argument("--profile", type=Path, help="cProfile one run here (--workers 0)")
    parser.add_argument("--populate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.populate_only:  # the child process: migrate and fill the database, then exit
        _setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _populate(args)
        return

    workdir = Path(tempfile.mkdtemp(prefix="ranking-bench-"))
    redis = None
    try:
        redis, redis_url = _start_redis(workdir)
        os.environ.update(
            {
                "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
                "PORTAL_VAR_DIR": str(workdir),
                # Production settings, before Django starts (not DEBUG flipped afterwards).
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "CELERY_BROKER_URL": redis_url,
                "CACHE_URL": redis_url,
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "LOG_LEVEL": "WARNING",
            }
        )
        started = time.perf_counter()
        database = workdir / "bench.sqlite3"
        if args.database is not None and _kept_database_matches(args):
            shutil.copyfile(args.database, database)
        else:
            subprocess.run(  # noqa: S603 - this script, fixed arguments
                [sys.executable, __file__, "--populate-only", *sys.argv[1:]], check=True
            )
            if args.database is not None:
                shutil.copyfile(database, args.database)
                _data_arguments_file(args).write_text(json.dumps(_data_arguments(args)))
        populated = time.perf_counter() - started
        _setup_django()
        for workers in args.workers:
            _bench(args, workdir, populated, workers=workers)
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


# After the creation (timed in this process), what the workers do, in sequence: the first
# step (until the run is running), the bootstrap chunks (until all are stored), the merge
# with the result's storage and index (until it is done).
PHASES = ("first step", "chunks", "merge")


def _worker_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",")]
    if any(count < 0 for count in counts):
        raise argparse.ArgumentTypeError("worker counts are 0 or more")
    return counts


def _data_arguments(args) -> dict[str, int]:
    """What the filled database depends on."""
    return {name: getattr(args, name) for name in ("bids", "jurors_per_bid", "criteria", "pool")}


def _data_arguments_file(args) -> Path:
    return args.database.with_name(args.database.name + ".json")


def _kept_database_matches(args) -> bool:
    arguments = _data_arguments_file(args)
    if not (args.database.exists() and arguments.exists()):
        return False
    if json.loads(arguments.read_text()) != _data_arguments(args):
        sys.exit(f"{args.database} holds other data: remove it or choose another path")
    return True


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def _start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is missing (scripts/provision.sh installs it)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, local binary
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("redis-server did not start")


def _start_worker(concurrency: int, workdir: Path) -> subprocess.Popen[bytes]:
    from portal.celery import app

    log = (workdir / "worker.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
            f"--hostname=bench-{os.getpid()}@localhost",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"celery worker exited:\n{(workdir / 'worker.log').read_text()}")
        if app.control.ping(timeout=0.5):
            return process
    process.kill()
    sys.exit("celery worker did not answer")


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (children not waited for excluded)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def _peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wait_until_over(run, *, timeout: float = 900) -> tuple[object, dict[str, float]]:
    """The finished run, and when (``time.perf_counter``) each phase was first seen over:
    ``first step`` (the run is running), ``chunks`` (every chunk stored), ``merge`` (done:
    merged, stored and indexed in one transaction). Polled every 20 ms."""
    from review.models import RankingRun

    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, done, total = (
            RankingRun.objects.filter(pk=run.pk)
            .values_list("status", "chunks_done", "chunks_total")
            .get()
        )
        now = time.perf_counter()
        if status != RankingRun.Status.PENDING:
            seen.setdefault("first step", now)
        if status != RankingRun.Status.PENDING and done >= total:
            seen.setdefault("chunks", now)
        if status in (RankingRun.Status.DONE, RankingRun.Status.FAILED):
            seen.setdefault("merge", now)
            run.refresh_from_db()
            return run, seen
        time.sleep(0.02)
    sys.exit(f"run {run.pk} still {status} after {timeout} s")


def _bench(args, workdir: Path, populated: float, *, workers: int) -> None:
    from django.contrib.auth import get_user_model

    from applications.models import Call
    from review.models import RankingRun
    from review.services.ranking_runs import (
        RunSettings,
        compute_ranking_run,
        create_ranking_run,
    )
    from review.tasks import task_run_ranking

    call = Call.objects.get(slug="bench")
    admin, _ = get_user_model().objects.get_or_create(
        username="bench@example.org", defaults={"is_staff": True}
    )
    settings = RunSettings(
        rule=args.rule,
        calibration=args.calibration,
        bootstrap_samples=args.samples,
        bootstrap_seed=2024,
    )
    load_before = os.getloadavg()
    worker = _start_worker(workers, workdir) if workers else None
    totals, creations, cpus, hashes = [], [], [], set()
    phases: dict[str, list[float]] = {name: [] for name in PHASES}
    pids = [worker.pid, *_descendants(worker.pid)] if worker is not None else []
    try:
        for _ in range(args.repeat):
            cpu_started = time.process_time() + _cpu_seconds(pids)
            started = time.perf_counter()
            run = create_ranking_run(call=call, by=admin, settings=settings)
            created = time.perf_counter()
            creations.append(created - started)
            if worker is not None:
                task_run_ranking.delay(run_id=run.pk)
                run, seen = _wait_until_over(run)
                previous = created
                for name in PHASES:
                    phases[name].append(seen.get(name, previous) - previous)
                    previous = seen.get(name, previous)
            else:
                run = compute_ranking_run(run=run)
            totals.append(time.perf_counter() - started)
            cpus.append(time.process_time() + _cpu_seconds(pids) - cpu_started)
            if run.status != RankingRun.Status.DONE:
                sys.exit(f"run failed: {run.error}")
            hashes.add(hashlib.sha256(run.result_json.encode()).hexdigest())
        worker_peaks = (
            [_peak_rss_mib(pid) for pid in [worker.pid, *_descendants(worker.pid)]]
            if worker is not None
            else []
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    load_after = os.getloadavg()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    where = f"{workers} worker process(es)" if workers else "this process"
    print(
        f"full run: {args.bids} bids, {run.parameters['scores']} scores "
        f"({args.jurors_per_bid} jurors per bid of {args.pool}, {args.criteria} criteria), "
        f"rule={args.rule}, calibration={args.calibration}, bootstrap {args.samples} "
        f"in {run.chunks_total} chunks, on {where}; data set up in {populated:.1f} s"
    )
    print(
        f"  median {statistics.median(totals):.2f} s (min {min(totals):.2f}, "
        f"max {max(totals):.2f}) over {args.repeat} runs; creation alone median "
        f"{statistics.median(creations):.2f} s; CPU time (this process and the workers) "
        f"median {statistics.median(cpus):.2f} s"
    )
    workers = (
        f"; worker processes' peak RSS {', '.join(f'{peak:.0f}' for peak in worker_peaks)} MiB"
        if worker_peaks
        else ""
    )
    if worker is not None:
        print(
            "  phases, medians (polled every 20 ms): "
            + ", ".join(
                f"{name} {statistics.median(times):.2f} s" for name, times in phases.items()
            )
        )
    print(f"  peak RSS: this process {own_peak:.0f} MiB{workers}")
    print(
        "  load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f} "
        "(2 cores shared)".format(*load_before, *load_after)
    )
    print(
        f"  winners {len(run.result['winners'])}, granted {run.result['total_granted']:,} €; "
        f"input {run.input_hash[:16]}…, result sha256 {', '.join(sorted(hashes))}"
    )
    if args.dump_input:
        args.dump_input.write_text(json.dumps(run.engine_input))
    if args.profile:
        import cProfile

        cProfile.runctx(
            "compute_ranking_run(run=create_ranking_run(call=call, by=admin, settings=settings))",
            globals(),
            {**locals(), "compute_ranking_run": compute_ranking_run},
            str(args.profile),
        )


def _populate(args) -> None:
    """Bulk-create the call, its grid, the bids, the jury and submitted reviews."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from applications.models import Bid, Call, Institution
    from review.models import Assignment, Criterion, CriterionScore, JurorProfile, Review

    rng = random.Random(7)  # noqa: S311 - benchmark data, not security
    now = timezone.now()
    call = Call.objects.create(
        slug="bench",
        title_en="Bench",
        title_fr="Banc",
        opens_at=now - timezone.timedelta(days=90),
        closes_at=now - timezone.timedelta(days=30),
        envelope=500_000_000,
        min_winners=5,
        max_winners=10,
        max_amount=100_000_000,
        status=Call.Status.UNDER_REVIEW,
    )
    criteria = Criterion.objects.bulk_create(
        Criterion(
            call=call,
            code=f"c{index}",
            name_en=f"Criterion {index}",
            name_fr=f"Critère {index}",
            weight=Decimal(1 + index % 2),
            threshold=Decimal(2),
            order=index,
        )
        for index in range(args.criteria)
    )
    institutions = Institution.objects.bulk_create(
        (
            Institution(
                name=f"Institution {index}",
                kind=Institution.Kind.UNIVERSITY,
                city="Lyon",
                identifier_type=Institution.IdentifierType.SIREN,
                identifier=f"{index:09d}",
            )
            for index in range(args.bids)
        ),
        batch_size=2000,
    )
    bids = Bid.objects.bulk_create(
        (
            Bid(
                call=call,
                lead_institution=institution,
                acronym=f"B{index:05d}",
                title="Bench bid",
                requested_amount=rng.randrange(20, 80) * 1_000_000,
                minimum_amount=15_000_000,
                status=Bid.Status.SUBMITTED,
            )
            for index, institution in enumerate(institutions)
        ),
        batch_size=2000,
    )
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"juror{index}@example.org") for index in range(args.pool)
    )
    jurors = JurorProfile.objects.bulk_create(
        JurorProfile(user=user, display_name=f"Juror {index}", country="DE")
        for index, user in enumerate(users)
    )
    leniency = [rng.gauss(0, 0.5) for _ in jurors]
    quality = [rng.uniform(1.5, 4.5) for _ in bids]
    pairs = [
        (bid_index, juror_index)
        for bid_index in range(len(bids))
        for juror_index in sorted(
            {(bid_index + offset * 7) % len(jurors) for offset in range(args.jurors_per_bid)}
        )
    ]
    assignments = Assignment.objects.bulk_create(
        (Assignment(juror=jurors[juror], bid=bids[bid]) for bid, juror in pairs),
        batch_size=2000,
    )
    reviews = Review.objects.bulk_create(
        (
            Review(assignment=assignment, status=Review.Status.SUBMITTED)
            for assignment in assignments
        ),
        batch_size=2000,
    )
    values = []
    for review, (bid, juror) in zip(reviews, pairs, strict=True):
        base = quality[bid] + leniency[juror]
        for criterion in criteria:
            value = min(5.0, max(0.0, base + rng.gauss(0, 0.4)))
            values.append(
                CriterionScore(
                    review=review, criterion=criterion, value=Decimal(round(value * 2) / 2)
                )
            )
    CriterionScore.objects.bulk_create(values, batch_size=2000)


if __name__ == "__main__":
    main()
