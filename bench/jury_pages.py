"""Time the administrators' progress page and a juror's list on a full-size jury.

Run: .venv/bin/python bench/jury_pages.py [--bids 200] [--per-bid 5] [--criteria 5]
     [--jurors 60 5] [--requests 20]

For each juror count, a throwaway SQLite database (in a temporary folder, migrated from
scratch) receives ``bids`` submitted bids, each with ``per-bid`` jurors' submitted reviews
scored on ``criteria`` criteria; then Django's test Client requests the progress page (as an
administrator with TOTP) and the list of the busiest juror, ``requests`` times each after
one warm-up, and prints the median and 95th percentile of the server time (the time spent in
Django's request handling, middleware and templates included) as wall-clock time and as
this process's CPU time (SQLite runs in-process; the CPU figure is steadier on a shared
machine), and the query count.
With 60 jurors the matrix has 200 × 60 cells; with 5 jurors each juror's list has 200 rows.
Production settings from start-up (``DJANGO_DEBUG=0``); the seeded jury is connected (bid b
has jurors b, b + 7, b + 14… modulo the pool), as a real one must be for the additive
calibration.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def juror_stride(n_jurors: int) -> int:
    """The step between a bid's jurors: 7, or the next integer coprime to the pool."""
    stride = 7
    while math.gcd(stride, n_jurors) != 1:
        stride += 1
    return stride % max(n_jurors, 1) or 1


def groups_of_jurors(pairs) -> list[set]:
    """The jury's connected groups (jurors linked by a bid they share), by union-find."""
    parent: dict = {}

    def root(juror):
        parent.setdefault(juror.pk, juror.pk)
        node = juror.pk
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    first_of_bid: dict = {}
    for bid, juror, _rapporteur in pairs:
        if bid.pk in first_of_bid:
            parent[root(juror)] = root(first_of_bid[bid.pk])
        else:
            first_of_bid[bid.pk] = juror
            root(juror)
    groups: dict = {}
    for node in list(parent):
        top = node
        while parent[top] != top:
            top = parent[top]
        groups.setdefault(top, set()).add(node)
    return list(groups.values())


def populate(*, n_bids: int, per_bid: int, n_criteria: int, n_jurors: int, seed: int):
    from datetime import timedelta

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from applications.models import Bid, BidVersion, Call, Institution
    from applications.validators import uai_checksum_letter
    from review.models import (
        Assignment,
        ConflictDeclaration,
        Criterion,
        CriterionScore,
        JurorProfile,
        Review,
    )
    from review.services.reviews import store_weighted_totals

    rng = random.Random(seed)
    now = timezone.now()
    User = get_user_model()
    call = Call.objects.create(
        slug="bench",
        title_en="Bench call",
        title_fr="Appel de mesure",
        opens_at=now - timedelta(days=90),
        closes_at=now - timedelta(days=30),
        envelope=500_000_000,
        max_amount=100_000_000,
        status=Call.Status.UNDER_REVIEW,
        review_deadline=now + timedelta(days=10),
    )
    criteria = Criterion.objects.bulk_create(
        Criterion(
            call=call,
            code=f"c{i}",
            name_en=f"Criterion {i}",
            name_fr=f"Critère {i}",
            weight=Decimal(1 + i % 2),
            order=i,
        )
        for i in range(n_criteria)
    )
    submitter = User.objects.create_user(username="submitter@bench", email="submitter@bench")
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
    versions = BidVersion.objects.bulk_create(
        BidVersion(
            bid=bid,
            number=1,
            snapshot={"sections": {"summary": "Summary"}, "budget": [], "attachments": []},
            sha256="0" * 64,
            submitted_at=now - timedelta(days=31),
            submitted_by=submitter,
        )
        for bid in bids
    )
    users = User.objects.bulk_create(
        User(username=f"juror{j}@bench", email=f"juror{j}@bench") for j in range(n_jurors)
    )
    jurors = JurorProfile.objects.bulk_create(
        JurorProfile(user=user, display_name=f"Juror {j:02d}", country="Germany")
        for j, user in enumerate(users)
    )
    call.jurors.add(*jurors)
    leniency = {juror.pk: rng.gauss(0, 0.6) for juror in jurors}

    # Bid b gets jurors b, b + s, b + 2s… (modulo the pool) with s coprime to the pool: juror
    # j shares bid j with juror j + s, so the whole jury is connected and the additive
    # calibration accepts its runs (b × per_bid + k made pool / per_bid groups sharing no bid).
    stride = juror_stride(n_jurors)
    pairs = []
    for b, bid in enumerate(bids):
        chosen = [jurors[(b + k * stride) % n_jurors] for k in range(per_bid)]
        for k, juror in enumerate(dict.fromkeys(chosen)):
            pairs.append((bid, juror, k == 0))
    if len(groups_of_jurors(pairs)) > 1:
        raise AssertionError("the seeded jury is not connected")
    assignments = Assignment.objects.bulk_create(
        Assignment(juror=juror, bid=bid, is_rapporteur=rapporteur)
        for bid, juror, rapporteur in pairs
    )
    ConflictDeclaration.objects.bulk_create(
        ConflictDeclaration(juror=a.juror, bid=a.bid, has_conflict=False) for a in assignments
    )
    version_of = {v.bid_id: v for v in versions}
    reviews = Review.objects.bulk_create(
        Review(
            assignment=a,
            bid_version=version_of[a.bid_id],
            status=Review.Status.SUBMITTED,
            submitted_at=now,
            confidence=2,
        )
        for a in assignments
    )
    quality = {bid.pk: rng.uniform(1.5, 4.5) for bid in bids}
    scores = []
    for review, assignment in zip(reviews, assignments, strict=True):
        for criterion in criteria:
            raw = quality[assignment.bid_id] + leniency[assignment.juror_id] + rng.gauss(0, 0.5)
            value = Decimal(min(10, max(0, round(raw * 2)))) / 2
            scores.append(
                CriterionScore(review=review, criterion=criterion, value=value, comment="Fine.")
            )
    CriterionScore.objects.bulk_create(scores, batch_size=2000)
    # Written without the review service: store the totals it would have stored.
    store_weighted_totals(reviews=Review.objects.filter(pk__in=[review.pk for review in reviews]))

    admin = User.objects.create_user(
        username="admin@bench", email="admin@bench", is_staff=True, is_superuser=True
    )
    TOTP.activate(admin, generate_totp_secret())
    busiest = max(jurors, key=lambda j: sum(1 for _, juror, _ in pairs if juror.pk == j.pk))
    TOTP.activate(busiest.user, generate_totp_secret())
    return call, admin, busiest, len(assignments), len(scores)


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


def run(args: argparse.Namespace, n_jurors: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    # A fresh database for each scenario.
    connection.close()
    db_path = Path(os.environ["PORTAL_VAR_DIR"]) / f"bench-{n_jurors}.sqlite3"
    connection.settings_dict["NAME"] = str(db_path)
    call_command("migrate", verbosity=0, interactive=False)

    started = time.perf_counter()
    call, admin, busiest, n_reviews, n_scores = populate(
        n_bids=args.bids,
        per_bid=args.per_bid,
        n_criteria=args.criteria,
        n_jurors=n_jurors,
        seed=args.seed,
    )
    setup = time.perf_counter() - started
    print(
        f"\n{args.bids} bids × {args.per_bid} reviews × {args.criteria} criteria, {n_jurors} jurors"
        f" ({n_reviews} reviews, {n_scores} scores; data set up in {setup:.1f} s)"
    )

    pages = [
        ("progress page", admin, reverse("review:call_progress", args=[call.slug])),
        (
            f"juror's list ({busiest.assignments.count()} bids)",
            busiest.user,
            reverse("review:juror_dashboard"),
        ),
    ]
    for label, user, url in pages:
        client = Client()
        client.force_login(user)
        timings, cpu, queries, size = time_page(client, url, args.requests)
        print(
            f"  {label:<28} wall median {statistics.median(timings):6.1f} ms  "
            f"p95 {percentile(timings, 0.95):6.1f} ms | CPU median {statistics.median(cpu):6.1f} ms  "
            f"p95 {percentile(cpu, 0.95):6.1f} ms | {queries} queries, {size / 1024:.0f} KiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--per-bid", type=int, default=5)
    parser.add_argument("--criteria", type=int, default=5)
    parser.add_argument("--jurors", type=int, nargs="+", default=[60, 5])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jury-bench-") as folder:
        # Everything (database, broker folders) goes to the throwaway folder.
        os.environ["PORTAL_VAR_DIR"] = folder
        (Path(folder) / "staticfiles").mkdir()
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        # Production settings from the start (template engine, middleware, no query log),
        # not DEBUG flipped after start-up; plain HTTP for the test client.
        os.environ["DJANGO_DEBUG"] = "0"
        os.environ["DJANGO_SECRET_KEY"] = "bench-only-" + "x" * 50
        os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
        os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
        import django
        from django.conf import settings

        django.setup()
        assert not settings.DEBUG
        # The manifest storage cannot collect the vendored Bootstrap (its source maps are not
        # vendored): plain storage here, one {% static %} per page either way.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        print(
            f"Django {django.get_version()}, SQLite, DEBUG off, {args.requests} timed requests "
            f"per page; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        for n_jurors in args.jurors:
            run(args, n_jurors)


if __name__ == "__main__":
    main()
