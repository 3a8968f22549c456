"""Arrange helpers for ranking-run tests: a call with criteria, submitted bids, jurors and
submitted reviews written straight in the database (bulk, deterministic scores)."""

import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from applications.models import Bid, Call
from review.models import (
    Assignment,
    AssignmentProposal,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    CriterionScore,
    JurorProfile,
    Review,
)
from review.services.reviews import store_weighted_totals
from tests.factories import (
    BidFactory,
    CallFactory,
    CriterionFactory,
    InstitutionFactory,
    JurorProfileFactory,
)


@dataclass
class RankingSetup:
    call: Call
    criteria: list[Criterion]
    bids: list[Bid]
    jurors: list[JurorProfile]
    assignments: list[Assignment]


def scored_call(
    *,
    bids: int = 6,
    jurors: int = 4,
    per_bid: int = 3,
    criteria: int = 3,
    seed: int = 0,
    groups: int = 1,
    **call_kwargs,
) -> RankingSetup:
    """``bids`` submitted bids, each read by ``per_bid`` jurors in a ring (so jurors share
    bids); ``groups`` > 1 splits bids and jurors into groups that share nothing."""
    call_kwargs.setdefault("envelope", 200_000_000)
    call_kwargs.setdefault("min_winners", 2)
    call_kwargs.setdefault("max_winners", 4)
    call = CallFactory(status=Call.Status.UNDER_REVIEW, **call_kwargs)
    grid = [
        CriterionFactory(call=call, code=f"crit{index}", order=index, threshold=Decimal(2))
        for index in range(criteria)
    ]
    people = [JurorProfileFactory() for _ in range(jurors)]
    for person in people:
        person.calls.add(call)
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    made_bids = []
    pairs = []
    for index in range(bids):
        bid = BidFactory(
            call=call,
            lead_institution=InstitutionFactory(),
            status=Bid.Status.SUBMITTED,
            acronym=f"BID{index:02d}",
            requested_amount=40_000_000 + 5_000_000 * (index % 4),
            minimum_amount=25_000_000,
        )
        made_bids.append(bid)
        group = index % groups
        members = [person for j, person in enumerate(people) if j % groups == group]
        for offset in range(min(per_bid, len(members))):
            pairs.append((members[(index // groups + offset) % len(members)], bid))
    assignments = Assignment.objects.bulk_create(
        [Assignment(juror=juror, bid=bid) for juror, bid in pairs]
    )
    reviews = Review.objects.bulk_create(
        [
            Review(assignment=assignment, status=Review.Status.SUBMITTED)
            for assignment in assignments
        ]
    )
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(
                review=review, criterion=criterion, value=Decimal(rng.randint(4, 10)) / 2
            )
            for review in reviews
            for criterion in grid
        ]
    )
    store_weighted_totals(reviews=Review.objects.filter(assignment__bid__call=call))
    return RankingSetup(
        call=call, criteria=grid, bids=made_bids, jurors=people, assignments=assignments
    )


def approve_consensus_of(setup, bid, value=Decimal(3)) -> ConsensusReport:
    report = ConsensusReport.objects.create(
        bid=bid,
        rapporteur=bid.assignments.first().juror,
        status=ConsensusReport.Status.APPROVED,
        summary=f"Consensus on {bid.acronym}.",
    )
    ConsensusScore.objects.bulk_create(
        ConsensusScore(report=report, criterion=c, value=value, comment="ok")
        for c in setup.criteria
    )
    return report


def ready_proposal(
    setup: RankingSetup,
    pairs: list[dict[str, Any]],
    *,
    jurors_per_bid: int = 3,
    idle_jurors: list[int] | None = None,
    notes: list[str] | None = None,
    bounds: tuple[float, float] | None = None,
) -> AssignmentProposal:
    """A computed proposal of the call whose stored result holds ``pairs`` (each juror's load
    counted from them), without its page index; ``bounds``: (total similarity, proved bound)."""
    load = {str(juror): n for juror, n in Counter(pair["juror"] for pair in pairs).items()}
    result: dict[str, Any] = {
        "pairs": pairs,
        "load": load,
        "mean_similarity": 0.5,
        "connected": True,
        "juror_components": [list(load)],
        "idle_jurors": idle_jurors or [],
        "notes": notes or [],
    }
    if bounds is not None:
        result["total_similarity"], result["upper_bound"] = bounds
    return AssignmentProposal.objects.create(
        call=setup.call,
        status=AssignmentProposal.Status.READY,
        jurors_per_bid=jurors_per_bid,
        result=result,
    )
