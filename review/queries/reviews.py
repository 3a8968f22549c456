"""The reviews of a bid by its active jurors, and the evaluation summary its institution
receives (the approved consensus, never the individual reviews)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from applications.models import Bid
from review import scoring
from review.models import Assignment, ConsensusReport, CriterionScore, Review
from review.queries.criteria import CriterionInfo, criteria_of, weights_of


@dataclass
class ReviewCard:
    review: Review
    juror_name: str
    is_rapporteur: bool
    scores: dict[int, CriterionScore]
    total: Decimal | None
    rows: list[tuple[CriterionInfo, CriterionScore | None]] = field(default_factory=list)


def reviews_of_bid(
    *, bid: Bid, criteria: list[CriterionInfo], submitted_only: bool = True
) -> list[ReviewCard]:
    """The bid's reviews by active (non-excluded) jurors, with scores and totals; 2 queries."""
    reviews = (
        Review.objects.filter(assignment__in=Assignment.objects.active().filter(bid=bid))
        .select_related("assignment__juror", "bid_version")
        .prefetch_related("scores")
        .order_by("assignment__juror__display_name")
    )
    if submitted_only:
        reviews = reviews.filter(status=Review.Status.SUBMITTED)
    weights = weights_of(criteria)
    cards = []
    for review in reviews:
        scores = {s.criterion_id: s for s in review.scores.all()}
        cards.append(
            ReviewCard(
                review=review,
                juror_name=review.assignment.juror.display_name,
                is_rapporteur=review.assignment.is_rapporteur,
                scores=scores,
                total=scoring.weighted_total({k: s.value for k, s in scores.items()}, weights),
                rows=[(c, scores.get(c.pk)) for c in criteria],
            )
        )
    return cards


def all_reviews_submitted(*, bid: Bid) -> bool:
    """Every active juror of the bid has submitted (and there is at least one)."""
    rows = list(
        Assignment.objects.active().filter(bid=bid).values_list("review__status", flat=True)
    )
    return bool(rows) and all(status == Review.Status.SUBMITTED for status in rows)


@dataclass
class SummaryLine:
    criterion: str
    value: Decimal | None
    comment: str


@dataclass
class EvaluationSummary:
    bid: Bid
    summary: str
    lines: list[SummaryLine]
    total: Decimal | None
    approved_at: Any


def evaluation_summary_for(*, bid: Bid) -> EvaluationSummary | None:
    """The approved consensus (scores and comments): what the institution receives.

    ``None`` until an administrator approves the consensus report; individual reviews are
    never part of it.
    """
    report = (
        ConsensusReport.objects.filter(bid=bid, status=ConsensusReport.Status.APPROVED)
        .prefetch_related("scores")
        .first()
    )
    if report is None:
        return None
    criteria = criteria_of(bid.call)
    scores = {s.criterion_id: s for s in report.scores.all()}
    lines = [
        SummaryLine(
            criterion=c.name,
            value=scores[c.pk].value if c.pk in scores else None,
            comment=scores[c.pk].comment if c.pk in scores else "",
        )
        for c in criteria
    ]
    total = scoring.weighted_total({k: s.value for k, s in scores.items()}, weights_of(criteria))
    return EvaluationSummary(
        bid=bid, summary=report.summary, lines=lines, total=total, approved_at=report.approved_at
    )
