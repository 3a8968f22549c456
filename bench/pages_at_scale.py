"""Time the long pages on a call of N bids: the jury progress page, the ranking run page,
the programme's bid list, the juror's list, the assignment preview, the decision page and the
administrators' list of jurors.

Run: .venv/bin/python bench/pages_at_scale.py [--bids 10000] [--requests 7]
     [--database /path/to/seeded.sqlite3 | postgres://…] [--only "ranking run" --only …]

The call is the one ``python manage.py load_demo --size N --with-run`` seeds
(``portal.demo_scale``: N bids, 5 submitted reviews each by a connected jury of N / 5, five
criteria, a ranking run without bootstrap); this script adds an assignment proposal whose
result is the saved assignment and a draft decision prepared from the run. Without
``--database`` a throwaway SQLite database is migrated and seeded (about two minutes at
10 000 bids); with it, that file is used as it is (seeded once, kept between runs).

Django's test Client requests each page (page 1) ``requests`` times after one warm-up and
prints the median and 95th percentile of the server time (wall clock and this process's CPU
time: SQLite runs in-process, PostgreSQL does not, so read the wall clock there), the query
count and the page's size, with the load average before and after (the machine may be shared). Production settings (``DJANGO_DEBUG=0`` set
before Django starts), except HTTPS redirects and the static files' manifest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from jury_pages import percentile, time_page  # noqa: E402 - after the path setup


def freeze_loaded_objects(root: Path) -> None:
    """What each gunicorn worker does once the portal is loaded (``post_worker_init`` in
    portal/gunicorn.conf.py): the objects alive now leave the garbage collector's reach."""
    import runpy

    runpy.run_path(str(root / "portal" / "gunicorn.conf.py"))["post_worker_init"](None)


def load_average() -> str:
    return " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def _setup_django(folder: str, database: str | None) -> None:
    os.environ["PORTAL_VAR_DIR"] = folder
    (Path(folder) / "staticfiles").mkdir(exist_ok=True)
    if database and database.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = database  # PostgreSQL, as in production
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{database or Path(folder) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # Production settings from the start, not DEBUG flipped after start-up; plain HTTP.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_SECRET_KEY"] = "bench-only-" + "x" * 50
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    import django
    from django.conf import settings

    django.setup()
    # The manifest storage needs collectstatic: plain storage, one {% static %} per page.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _prepare(size: int):
    """The call (seeded if missing), its run, a proposal, a draft decision, two users."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count

    from portal import demo_scale
    from review.models import Assignment, AssignmentProposal, Decision, JurorProfile, RankingRun
    from review.services.decisions import prepare_decision

    call_command("migrate", verbosity=0, interactive=False)
    if not demo_scale.is_loaded(size):
        call_command("load_demo", size=size, with_run=True)
    call = demo_scale.Call.objects.get(slug=demo_scale.slug_of(size))
    run = RankingRun.objects.filter(call=call, status=RankingRun.Status.DONE).latest("pk")
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin@scale.demo.example.org",
        defaults={"email": "bench-admin@scale.demo.example.org", "is_staff": True},
    )
    juror = (
        JurorProfile.objects.filter(calls=call)
        .annotate(n=Count("assignments"))
        .order_by("-n", "pk")
        .first()
    )
    assert juror is not None
    for user in (admin, juror.user):
        if not Authenticator.objects.filter(user=user).exists():
            TOTP.activate(user, generate_totp_secret())
    proposal = AssignmentProposal.objects.filter(call=call).first()
    if proposal is None:
        pairs = [
            {"juror": juror_id, "bid": bid_id, "similarity": 0.5, "pinned": False}
            for juror_id, bid_id in Assignment.objects.filter(bid__call=call).values_list(
                "juror_id", "bid_id"
            )
        ]
        load: dict[str, int] = {}
        for pair in pairs:
            load[str(pair["juror"])] = load.get(str(pair["juror"]), 0) + 1
        proposal = AssignmentProposal.objects.create(
            call=call,
            status=AssignmentProposal.Status.READY,
            jurors_per_bid=5,
            result={
                "pairs": pairs,
                "load": load,
                "mean_similarity": 0.5,
                "connected": True,
                "juror_components": [list(load)],
                "idle_jurors": [],
                "notes": [],
            },
        )
    if not Decision.objects.filter(call=call).exists():
        prepare_decision(call=call, run=run, by=admin)
    return call, run, proposal, admin, juror


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument(
        "--database",
        help="a SQLite file, or a postgres:// URL, to use (seeded if the call is missing)",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="time only the pages whose label contains this"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pages-at-scale-") as folder:
        _setup_django(folder, args.database)
        import django
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        started = time.perf_counter()
        call, run, proposal, admin, juror = _prepare(args.bids)
        freeze_loaded_objects(ROOT)
        print(
            f"Django {django.get_version()}, {connection.display_name}, DJANGO_DEBUG=0: call "
            f"{call.slug} "
            f"({args.bids} bids; ready in {time.perf_counter() - started:.1f} s), "
            f"{args.requests} timed requests per page after one warm-up"
        )
        admin_client, juror_client = Client(), Client()
        admin_client.force_login(admin)
        juror_client.force_login(juror.user)
        pages = (
            ("jury progress", admin_client, reverse("review:call_progress", args=[call.slug])),
            ("ranking run", admin_client, reverse("review:ranking_run", args=[call.slug, run.pk])),
            (
                "programme's bid list",
                admin_client,
                reverse("applications:programme_call_bids", args=[call.slug]),
            ),
            ("juror's list", juror_client, reverse("review:juror_dashboard")),
            (
                "assignment preview",
                admin_client,
                reverse("review:proposal_detail", args=[proposal.pk]),
            ),
            ("decision page", admin_client, reverse("review:decision", args=[call.slug])),
            ("administrators' jurors", admin_client, reverse("review:juror_list")),
        )
        pages = tuple(
            page for page in pages if not args.only or any(part in page[0] for part in args.only)
        )
        print(f"  load average before: {load_average()}")
        for label, client, url in pages:
            timings, cpu, queries, size = time_page(client, url, args.requests)
            print(
                f"  {label:<22} wall median {statistics.median(timings):7.1f} ms  "
                f"p95 {percentile(timings, 0.95):7.1f} ms | CPU median "
                f"{statistics.median(cpu):7.1f} ms | {queries} queries, {size / 1024:.0f} KiB"
            )
        print(f"  load average after:  {load_average()}")


if __name__ == "__main__":
    main()
