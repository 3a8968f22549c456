"""Time the public results page (and its open data) of a published call with many bids.

Run: .venv/bin/python bench/results_page.py [--bids 200] [--jurors 60] [--requests 30]

A throwaway SQLite database (in a temporary folder, migrated from scratch) receives a
published call with ``bids`` bids, an approved decision funding a third of them and putting
five on the reserve list, its ranking run (with a lottery commitment and its revealed seed,
and a stored result of the run's size), and ``jurors`` jurors of the call of whom half agreed
to be listed, each with a current and a past affiliation. An anonymous Django test Client
then requests the results page, ``results.json`` and ``results.csv`` ``requests`` times each
after one warm-up, and prints the median and 95th percentile of the server time (Django's
request handling, middleware and templates included) as wall-clock time and as this
process's CPU time (SQLite runs in-process; the CPU figure is steadier on a shared machine),
the query count and the load average.

Production settings from start-up (``DJANGO_DEBUG=0``: no query log), except the static
files storage: the plain one, since ``collectstatic`` with the compressed manifest storage
stops on the missing ``bootstrap.bundle.min.js.map`` the vendored script refers to (the
page's own cost does not depend on it). The database is set up with the ORM directly, not
through the services, since only the reading is measured.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def populate(*, n_bids: int, n_jurors: int, seed: int):
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from applications.models import Bid, Call, Institution
    from applications.validators import uai_checksum_letter
    from review.models import (
        Affiliation,
        BidDecision,
        Decision,
        JurorProfile,
        RankingRun,
    )
    from review.ranking.robustness import seed_commitment

    rng = random.Random(seed)  # noqa: S311 - bench data, not security
    now = timezone.now()
    User = get_user_model()
    funded_count = max(1, n_bids // 3)
    call = Call.objects.create(
        slug="bench",
        title_en="Bench call",
        title_fr="Appel de mesure",
        description_en="A call with many bids.",
        description_fr="Un appel avec beaucoup de candidatures.",
        opens_at=now - timedelta(days=200),
        closes_at=now - timedelta(days=120),
        envelope=40_000_000 * funded_count,
        min_winners=1,
        max_winners=funded_count,
        max_amount=100_000_000,
        status=Call.Status.PUBLISHED,
    )
    institutions = Institution.objects.bulk_create(
        Institution(
            name=f"Institution {i}",
            kind=Institution.Kind.UNIVERSITY,
            city="Lyon",
            identifier_type=Institution.IdentifierType.UAI,
            identifier=(d := f"{751000 + i:07d}") + uai_checksum_letter(d),
        )
        for i in range(n_bids)
    )
    bids = Bid.objects.bulk_create(
        Bid(
            call=call,
            lead_institution=inst,
            acronym=f"BID{i:03d}",
            title=f"AI cluster number {i}",
            requested_amount=50_000_000,
            minimum_amount=30_000_000,
            status=Bid.Status.SUBMITTED,
        )
        for i, inst in enumerate(institutions)
    )
    admin = User.objects.create_user(username="admin@bench", email="admin@bench", is_staff=True)
    lottery_seed = "bench-lottery-seed-0123456789"
    run = RankingRun.objects.create(
        call=call,
        parameters={
            "rule": "optimal",
            "calibration": "additive",
            "lottery": True,
            "lottery_commitment": seed_commitment(lottery_seed),
            "bid_labels": {str(bid.pk): bid.acronym for bid in bids},
        },
        status=RankingRun.Status.DONE,
        result={
            "bids": [
                {"id": bid.pk, "rank": rank + 1, "score": rng.uniform(5, 15)}
                for rank, bid in enumerate(bids)
            ],
            "lottery": {"seed": lottery_seed, "commitment": seed_commitment(lottery_seed)},
        },
    )
    decision = Decision.objects.create(
        call=call,
        number=1,
        run=run,
        status=Decision.Status.APPROVED,
        prepared_by=admin,
        prepared_at=now,
        approved_by=admin,
        approved_at=now,
    )

    def outcome(rank: int) -> str:
        if rank < funded_count:
            return BidDecision.Outcome.FUNDED
        if rank < funded_count + 5:
            return BidDecision.Outcome.RESERVE
        return BidDecision.Outcome.NOT_FUNDED

    BidDecision.objects.bulk_create(
        BidDecision(
            decision=decision,
            bid=bid,
            rank=rank + 1,
            recommended_outcome=outcome(rank),
            outcome=outcome(rank),
            recommended_amount=40_000_000 if outcome(rank) == "funded" else None,
            amount_awarded=40_000_000 if outcome(rank) == "funded" else None,
            reserve_position=rank - funded_count + 1 if outcome(rank) == "reserve" else None,
        )
        for rank, bid in enumerate(bids)
    )
    users = User.objects.bulk_create(
        User(username=f"juror{j}@bench", email=f"juror{j}@bench") for j in range(n_jurors)
    )
    jurors = JurorProfile.objects.bulk_create(
        JurorProfile(
            user=user, display_name=f"Juror {j:02d}", country="Germany", listed_publicly=j % 2 == 0
        )
        for j, user in enumerate(users)
    )
    call.jurors.add(*jurors)
    Affiliation.objects.bulk_create(
        [Affiliation(juror=juror, organisation_name=f"Lab {juror.pk}") for juror in jurors]
        + [
            Affiliation(juror=juror, organisation_name="Old lab", start_year=2000, end_year=2010)
            for juror in jurors
        ]
    )
    return call, funded_count


def time_page(client, url: str, requests: int) -> tuple[list[float], list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up (template compilation, caches)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    cpu = []
    queries = 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        queries = len(captured.captured_queries)
        assert response.status_code == 200
    return timings, cpu, queries, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--jurors", type=int, default=60)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="results-bench-") as folder:
        # Everything (database, static files, broker folders) goes to the throwaway folder;
        # production settings from the start.
        os.environ["PORTAL_VAR_DIR"] = folder
        (Path(folder) / "staticfiles").mkdir()
        os.environ.pop("DATABASE_URL", None)
        os.environ["DJANGO_DEBUG"] = "0"
        os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
        os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client
        from django.urls import reverse

        assert not settings.DEBUG
        plain = "django.contrib.staticfiles.storage.StaticFilesStorage"
        settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": plain}}
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        call, funded = populate(n_bids=args.bids, n_jurors=args.jurors, seed=args.seed)
        setup = time.perf_counter() - started
        print(
            f"Django {django.get_version()}, SQLite, DEBUG off, {args.requests} timed requests "
            f"per page; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print(
            f"{args.bids} bids ({funded} funded, 5 on the reserve list), {args.jurors} jurors "
            f"({(args.jurors + 1) // 2} listed); data set up in {setup:.1f} s"
        )
        client = Client()  # anonymous, as the public reads it
        for label, name in (
            ("results page", "results:call"),
            ("results.json", "results:json"),
            ("results.csv", "results:csv"),
        ):
            timings, cpu, queries, size = time_page(
                client, reverse(name, args=[call.slug]), args.requests
            )
            print(
                f"  {label:<14} wall median {statistics.median(timings):6.1f} ms  "
                f"p95 {percentile(timings, 0.95):6.1f} ms | CPU median "
                f"{statistics.median(cpu):6.1f} ms  p95 {percentile(cpu, 0.95):6.1f} ms | "
                f"{queries} queries, {size / 1024:.0f} KiB"
            )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
