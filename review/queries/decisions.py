"""Reads of the decision stage: review counts, the decision page's rows."""

from dataclasses import dataclass

from django.db.models import Count, F

from applications.models import Bid, Call
from review import decision as rules_of_decision
from review.models import Assignment, BidDecision, Decision, Review


def submitted_review_counts(*, call: Call) -> dict[int, int]:
    """Bid id → submitted reviews that count (a conflict removes a juror's review)."""
    return dict(
        Assignment.objects.active()
        .filter(bid__call=call, review__status=Review.Status.SUBMITTED)
        .values("bid_id")
        .annotate(reviews=Count("pk"))
        .values_list("bid_id", "reviews")
    )


def decision_lines(*, decision: Decision) -> list[BidDecision]:
    """The decision's lines in the run's rank order, with what the page shows (one query)."""
    return list(
        BidDecision.objects.filter(decision=decision)
        .select_related("bid__lead_institution")
        .order_by(F("rank").asc(nulls_last=True), "bid__acronym")
    )


def decisions_of(*, call: Call) -> list[Decision]:
    """Every version of the call's decision, newest first (one query)."""
    return list(
        Decision.objects.filter(call=call)
        .select_related("prepared_by", "approved_by", "withdrawn_by", "run")
        .defer("run__engine_input", "run__result", "run__result_json")
        .order_by("-number")
    )


@dataclass(frozen=True)
class LineInput:
    """What an administrator sets for one bid on the decision page."""

    outcome: str
    amount: int | None = None
    reserve_position: int | None = None
    reason: str = ""
    override_reason: str = ""


def pure_line(line: BidDecision, change: LineInput | None = None) -> rules_of_decision.Line:
    """The pure view of a stored line, with the administrator's change applied if given."""
    values = change or LineInput(
        outcome=line.outcome,
        amount=line.amount_awarded,
        reserve_position=line.reserve_position,
        reason=line.reason,
        override_reason=line.override_reason,
    )
    return rules_of_decision.Line(
        bid_id=line.bid_id,
        requested=int(line.bid.requested_amount),
        minimum=int(line.bid.minimum_amount),
        screened_eligible=line.bid.eligibility != Bid.Eligibility.INELIGIBLE,
        recommended=line.recommended_outcome,
        recommended_amount=line.recommended_amount,
        recommended_reserve=line.recommended_reserve,
        outcome=values.outcome,
        amount=values.amount,
        reserve_position=values.reserve_position,
        reason=values.reason,
        under_reviewed=line.under_reviewed,
        override_reason=values.override_reason,
    )
