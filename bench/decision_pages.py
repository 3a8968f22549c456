"""Time the panel meeting page and the decision page on a full-size call.

Run: .venv/bin/python bench/decision_pages.py [--bids 200] [--per-bid 5] [--criteria 5]
     [--jurors 60] [--requests 20]

A throwaway SQLite database receives the same jury as ``bench/jury_pages.py`` (``bids``
submitted bids × ``per-bid`` submitted reviews × ``criteria`` criteria), an approved
consensus report on every bid, a panel adjustment and minutes on every tenth bid, a
completed ranking run (optimal rule) and a draft decision prepared from it. Django's test
Client then requests both pages as an administrator with TOTP, ``requests`` times each after
one warm-up, and prints the median and 95th percentile of the server time (wall clock and
this process's CPU time), the query count, which must not grow with ``bids``, and the load
average (the machine may be shared). The settings are production's (``DJANGO_DEBUG=0`` set
before Django starts: template engine, middleware, ``ALLOWED_HOSTS``), except HTTPS redirects and the static files' manifest.

``--profile`` prints the 25 most expensive functions of one request to each page (cProfile,
own time) instead of timing them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from jury_pages import percentile, populate, time_page  # noqa: E402 - after the path setup


def prepare(call, admin) -> None:
    from django.contrib.auth import get_user_model

    from review.models import (
        Assignment,
        ConsensusReport,
        ConsensusScore,
        Criterion,
        PanelAdjustment,
        PanelNote,
    )
    from review.services.decisions import prepare_decision
    from review.services.ranking_runs import RunSettings, create_and_run_ranking

    criteria = list(Criterion.objects.filter(call=call))
    rapporteurs = Assignment.objects.filter(bid__call=call, is_rapporteur=True).select_related(
        "bid"
    )
    reports = ConsensusReport.objects.bulk_create(
        ConsensusReport(
            bid=a.bid,
            rapporteur_id=a.juror_id,
            status=ConsensusReport.Status.APPROVED,
            summary="The panel agrees on strengths and weaknesses. " * 5,
        )
        for a in rapporteurs
    )
    ConsensusScore.objects.bulk_create(
        ConsensusScore(report=r, criterion=c, value=Decimal(3), comment="Agreed.")
        for r in reports
        for c in criteria
    )
    PanelAdjustment.objects.bulk_create(
        PanelAdjustment(
            report=r,
            criterion=criteria[0],
            original_value=Decimal(3),
            value=Decimal("3.5"),
            reason="Panel discussion.",
            adjusted_by=admin,
        )
        for r in reports[::10]
    )
    PanelNote.objects.bulk_create(
        PanelNote(bid=r.bid, text="Discussed.", version=1, updated_by=admin) for r in reports[::10]
    )
    run = create_and_run_ranking(call=call, by=admin, settings=RunSettings())
    preparer = get_user_model().objects.create_user(
        username="preparer@bench", email="preparer@bench", is_staff=True
    )
    prepare_decision(call=call, run=run, by=preparer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--per-bid", type=int, default=5)
    parser.add_argument("--criteria", type=int, default=5)
    parser.add_argument("--jurors", type=int, default=60)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile one request per page")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="decision-bench-") as folder:
        os.environ["PORTAL_VAR_DIR"] = folder
        (Path(folder) / "staticfiles").mkdir()
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        # Production settings from the start (template engine, static storage, middleware),
        # not DEBUG flipped after start-up; plain HTTP for the test client.
        os.environ["DJANGO_DEBUG"] = "0"
        os.environ["DJANGO_SECRET_KEY"] = "bench-only-" + "x" * 50
        os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
        os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
        import django
        from django.conf import settings

        django.setup()
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # The manifest storage cannot collect the vendored Bootstrap (its source maps are not
        # vendored): plain storage here, one {% static %} per page either way.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        connection.settings_dict["NAME"] = str(Path(folder) / "bench.sqlite3")
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        call, admin, _busiest, n_reviews, n_scores = populate(
            n_bids=args.bids,
            per_bid=args.per_bid,
            n_criteria=args.criteria,
            n_jurors=args.jurors,
            seed=args.seed,
        )
        prepare(call, admin)
        print(
            f"Django {django.get_version()}, SQLite: {args.bids} bids × {args.per_bid} reviews × "
            f"{args.criteria} criteria ({n_reviews} reviews, {n_scores} scores; set up in "
            f"{time.perf_counter() - started:.1f} s), {args.requests} timed requests per page"
        )
        client = Client()
        client.force_login(admin)
        pages = (
            ("panel meeting page", reverse("review:panel", args=[call.slug])),
            ("decision page", reverse("review:decision", args=[call.slug])),
        )
        if args.profile:
            for label, url in pages:
                profile(client, label, url)
            return
        print(f"  load average before: {load_average()}")
        for label, url in pages:
            timings, cpu, queries, size = time_page(client, url, args.requests)
            print(
                f"  {label:<20} wall median {statistics.median(timings):6.1f} ms  "
                f"p95 {percentile(timings, 0.95):6.1f} ms | CPU median "
                f"{statistics.median(cpu):6.1f} ms  p95 {percentile(cpu, 0.95):6.1f} ms | "
                f"{queries} queries, {size / 1024:.0f} KiB"
            )
        print(f"  load average after:  {load_average()}")


def load_average() -> str:
    return " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def profile(client, label: str, url: str) -> None:
    import cProfile
    import pstats

    assert client.get(url).status_code == 200  # warm-up: template compilation, caches
    profiler = cProfile.Profile()
    profiler.enable()
    response = client.get(url)
    profiler.disable()
    assert response.status_code == 200
    print(f"--- {label}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(30)
    if os.environ.get("BENCH_CALLEES"):
        stats.print_callees(os.environ["BENCH_CALLEES"])


if __name__ == "__main__":
    main()
