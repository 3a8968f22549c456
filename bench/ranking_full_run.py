"""A full ranking run as the portal does it: read the scores from the database, calibrate,
select, bootstrap 1,000 samples (in chunks, as the workers would), store the result.

200 bids × 5 jurors × 5 criteria (5,000 scores) in a throwaway SQLite database; the run is
computed in this process (no broker), chunk after chunk, through the same services the
Celery tasks call. Target on the 2-core machine: under 5 s.

    .venv/bin/python bench/ranking_full_run.py [--bids 200] [--samples 1000] [--rule optimal]
"""

import argparse
import os
import random
import shutil
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
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ranking-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["PORTAL_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        _bench(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _bench(args) -> None:
    call = _populate(args)

    from django.contrib.auth import get_user_model

    from review.services.ranking_runs import RunSettings, create_and_run_ranking

    admin = get_user_model().objects.create(username="bench@example.org", is_staff=True)
    settings = RunSettings(
        rule=args.rule,
        calibration=args.calibration,
        bootstrap_samples=args.samples,
        bootstrap_seed=2024,
    )
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        run = create_and_run_ranking(call=call, by=admin, settings=settings)
        timings.append(time.perf_counter() - started)
        assert run.status == "done", run.error
    scores = run.parameters["scores"]
    print(
        f"full run: {args.bids} bids, {scores} scores ({args.jurors_per_bid} jurors per bid, "
        f"{args.criteria} criteria), rule={args.rule}, calibration={args.calibration}, "
        f"bootstrap {args.samples} in {run.chunks_total} chunks"
    )
    print(
        f"  best {min(timings):.2f} s, median {sorted(timings)[len(timings) // 2]:.2f} s "
        f"over {args.repeat} runs (target < 5 s); winners {len(run.result['winners'])}, "
        f"granted {run.result['total_granted']:,} €"
    )


def _populate(args):
    """Bulk-create the call, its grid, the bids, the jury and submitted reviews."""
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
        Institution(
            name=f"Institution {index}",
            kind=Institution.Kind.UNIVERSITY,
            city="Lyon",
            identifier_type=Institution.IdentifierType.SIREN,
            identifier=f"{index:09d}",
        )
        for index in range(args.bids)
    )
    bids = Bid.objects.bulk_create(
        Bid(
            call=call,
            lead_institution=institution,
            acronym=f"B{index:03d}",
            title="Bench bid",
            requested_amount=rng.randrange(20, 80) * 1_000_000,
            minimum_amount=15_000_000,
            status=Bid.Status.SUBMITTED,
        )
        for index, institution in enumerate(institutions)
    )
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"juror{index}@example.org") for index in range(args.pool)
    )
    jurors = JurorProfile.objects.bulk_create(
        JurorProfile(user=user, display_name=f"Juror {index}", country="DE")
        for index, user in enumerate(users)
    )
    leniency = [rng.gauss(0, 0.5) for _ in jurors]
    quality = [rng.uniform(1.5, 4.5) for _ in bids]
    assignments = Assignment.objects.bulk_create(
        Assignment(juror=jurors[(index + offset * 7) % len(jurors)], bid=bid)
        for index, bid in enumerate(bids)
        for offset in range(args.jurors_per_bid)
    )
    reviews = Review.objects.bulk_create(
        Review(assignment=assignment, status=Review.Status.SUBMITTED) for assignment in assignments
    )
    juror_index = {juror.pk: index for index, juror in enumerate(jurors)}
    bid_index = {bid.pk: index for index, bid in enumerate(bids)}
    values = []
    for review in reviews:
        assignment = review.assignment
        base = quality[bid_index[assignment.bid_id]] + leniency[juror_index[assignment.juror_id]]
        for criterion in criteria:
            value = min(5.0, max(0.0, base + rng.gauss(0, 0.4)))
            values.append(
                CriterionScore(
                    review=review, criterion=criterion, value=Decimal(round(value * 2) / 2)
                )
            )
    CriterionScore.objects.bulk_create(values, batch_size=1000)
    return call


if __name__ == "__main__":
    main()
