"""A demo call of N bids on demand (``python manage.py load_demo --size 10000``), to see and
measure the pages at the size of a national call. Not part of ``make run``'s demo.

The call ``scale-<N>`` is UNDER REVIEW: N submitted bids (one version each), a jury of
N / 5 jurors (at least 5) who each read 5 consecutive bids in a ring — so every juror shares
bids with the next one and the jury is connected, as the additive calibration needs — with
"no conflict" declared and every review submitted, scored on five criteria from a bid's
quality, the juror's leniency and noise (seeded: the same N gives the same scores). With
``with_run``, a ranking run (no bootstrap) computed at once.

Rows are written with ``bulk_create``, not through the services: N = 10 000 means 50 000
reviews and 250 000 scores, and the services write one review at a time. Nothing here is
a rule of the portal; the rows are what the services would have written (statuses, one
version per bid, declarations before reviews). Institutions and juror accounts are shared
between sizes, so a second size reuses them.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from applications.models import Bid, BidVersion, Call, Institution
from applications.services.submission import snapshot_sha256
from applications.validators import uai_checksum_letter
from review.models import (
    Assignment,
    ConflictDeclaration,
    Criterion,
    CriterionScore,
    JurorProfile,
    RankingRun,
    Review,
)
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from review.services.reviews import review_total

PER_BID = 5
CRITERIA = 5
BATCH = 5000
# Every seeded bid submitted the same one-section version (its true fingerprint).
SNAPSHOT = {"sections": {"summary": "Summary"}, "budget": [], "attachments": []}


@dataclass(frozen=True)
class ScaleDemo:
    call: Call
    bids: int
    jurors: int
    reviews: int
    scores: int


def slug_of(size: int) -> str:
    return f"scale-{size}"


def _uai(n: int) -> str:
    # Far above the identifiers of portal.demo and bench/, so that the demos coexist.
    digits = f"{6_000_000 + n:07d}"
    return digits + uai_checksum_letter(digits)


def _institutions(size: int) -> list[Institution]:
    wanted = [_uai(n) for n in range(size)]
    existing = {i.identifier: i for i in Institution.objects.filter(identifier__in=wanted)}
    Institution.objects.bulk_create(
        (
            Institution(
                name=f"Institution {n:05d}",
                kind=Institution.Kind.UNIVERSITY,
                city="Lyon",
                identifier_type=Institution.IdentifierType.UAI,
                identifier=identifier,
            )
            for n, identifier in enumerate(wanted)
            if identifier not in existing
        ),
        batch_size=BATCH,
    )
    by_identifier = {i.identifier: i for i in Institution.objects.filter(identifier__in=wanted)}
    return [by_identifier[identifier] for identifier in wanted]


def _jurors(count: int) -> list[JurorProfile]:
    user_model = get_user_model()
    emails = [f"juror{n:05d}@scale.demo.example.org" for n in range(count)]
    known = set(user_model.objects.filter(username__in=emails).values_list("username", flat=True))
    user_model.objects.bulk_create(
        (
            user_model(username=email, email=email)  # no password: they never sign in
            for email in emails
            if email not in known
        ),
        batch_size=BATCH,
    )
    users = user_model.objects.filter(username__in=emails).in_bulk(field_name="username")
    have = set(
        JurorProfile.objects.filter(user__in=users.values()).values_list("user_id", flat=True)
    )
    JurorProfile.objects.bulk_create(
        (
            JurorProfile(
                user=users[email],
                display_name=f"Juror {n:05d}",
                country="Germany",
                expertise="Artificial intelligence.",
                languages="en",
            )
            for n, email in enumerate(emails)
            if users[email].pk not in have
        ),
        batch_size=BATCH,
    )
    profiles = {p.user_id: p for p in JurorProfile.objects.filter(user__in=users.values())}
    return [profiles[users[email].pk] for email in emails]


def is_loaded(size: int) -> bool:
    return Call.objects.filter(slug=slug_of(size)).exists()


def load(*, size: int, seed: int = 0) -> ScaleDemo:
    """Write the call ``scale-<size>`` (see the module docstring); the caller checks first
    that it is not there (:func:`is_loaded`)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security # nosec B311
    now = timezone.now()
    n_jurors = max(PER_BID, size // PER_BID)
    with transaction.atomic():
        call = Call.objects.create(
            slug=slug_of(size),
            title_en=f"AI clusters at scale — {size} bids (demo)",
            title_fr=f"Clusters IA à grande échelle — {size} projets (démo)",
            opens_at=now - timedelta(days=90),
            closes_at=now - timedelta(days=30),
            review_deadline=now + timedelta(days=10),
            status=Call.Status.UNDER_REVIEW,
            # About one bid in fifty funded (requests average 2.9 M€): the optimal rule's
            # search recurses once per winner, and a thousand winners exceed Python's stack.
            envelope=60_000 * size,
            max_amount=5_000_000,
            min_winners=max(1, size // 100),
            max_winners=max(1, size // 40),
            jurors_per_bid=PER_BID,
        )
        criteria = Criterion.objects.bulk_create(
            Criterion(
                call=call,
                code=f"c{i}",
                name_en=f"Criterion {i + 1}",
                name_fr=f"Critère {i + 1}",
                weight=Decimal(1 + i % 2),
                order=i,
            )
            for i in range(CRITERIA)
        )
        submitter = get_user_model().objects.get_or_create(
            username="submitter@scale.demo.example.org",
            defaults={"email": "submitter@scale.demo.example.org"},
        )[0]
        bids = Bid.objects.bulk_create(
            (
                Bid(
                    call=call,
                    lead_institution=institution,
                    acronym=f"S{n:05d}",
                    title=f"AI cluster number {n}",
                    requested_amount=1_000_000 + 250_000 * rng.randrange(16),
                    minimum_amount=800_000,
                    status=Bid.Status.SUBMITTED,
                )
                for n, institution in enumerate(_institutions(size))
            ),
            batch_size=BATCH,
        )
        versions = BidVersion.objects.bulk_create(
            (
                BidVersion(
                    bid=bid,
                    number=1,
                    snapshot=SNAPSHOT,
                    sha256=snapshot_sha256(SNAPSHOT),
                    submitted_at=now - timedelta(days=31),
                    submitted_by=submitter,
                )
                for bid in bids
            ),
            batch_size=BATCH,
        )
        jurors = _jurors(n_jurors)
        call.jurors.add(*jurors)
        # A ring: bid b is read by jurors b … b + 4 (mod the jury), so neighbours share four.
        pairs = [
            (bid, jurors[(b + k) % n_jurors], k == 0)
            for b, bid in enumerate(bids)
            for k in range(PER_BID)
        ]
        assignments = Assignment.objects.bulk_create(
            (
                Assignment(juror=juror, bid=bid, is_rapporteur=rapporteur)
                for bid, juror, rapporteur in pairs
            ),
            batch_size=BATCH,
        )
        ConflictDeclaration.objects.bulk_create(
            (
                ConflictDeclaration(juror_id=a.juror_id, bid_id=a.bid_id, has_conflict=False)
                for a in assignments
            ),
            batch_size=BATCH,
        )
        version_of = {v.bid_id: v for v in versions}
        quality = {bid.pk: rng.uniform(1.5, 4.5) for bid in bids}
        leniency = {juror.pk: rng.gauss(0, 0.6) for juror in jurors}
        values = [
            {
                criterion.pk: Decimal(
                    min(
                        10,
                        max(
                            0,
                            round(
                                2 * (quality[a.bid_id] + leniency[a.juror_id] + rng.gauss(0, 0.5))
                            ),
                        ),
                    )
                )
                / 2
                for criterion in criteria
            }
            for a in assignments
        ]
        reviews = Review.objects.bulk_create(
            (
                Review(
                    assignment=a,
                    bid_version=version_of[a.bid_id],
                    status=Review.Status.SUBMITTED,
                    submitted_at=now - timedelta(days=1),
                    confidence=2,
                    weighted_total=review_total(criteria=criteria, values=scores_of_review),
                )
                for a, scores_of_review in zip(assignments, values, strict=True)
            ),
            batch_size=BATCH,
        )
        scores = [
            CriterionScore(
                review=review,
                criterion=criterion,
                value=scores_of_review[criterion.pk],
                comment="Demo score.",
            )
            for review, scores_of_review in zip(reviews, values, strict=True)
            for criterion in criteria
        ]
        CriterionScore.objects.bulk_create(scores, batch_size=BATCH)
    _analyze()
    return ScaleDemo(
        call=call, bids=len(bids), jurors=n_jurors, reviews=len(reviews), scores=len(scores)
    )


def _analyze() -> None:
    """Refresh PostgreSQL's statistics after the bulk load. Until autovacuum gets to it, the
    planner believes the tables empty: the ranking run's read of 250 000 scores, planned on
    that belief, was still running after 8 minutes (it takes seconds once analysed)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def rank(*, call: Call) -> RankingRun:
    """A ranking run of the demo call, computed now (no bootstrap), by its administrator."""
    admin = get_user_model().objects.get_or_create(
        username="admin@scale.demo.example.org",
        defaults={"email": "admin@scale.demo.example.org", "is_staff": True},
    )[0]
    return create_and_run_ranking(call=call, by=admin, settings=RunSettings())
