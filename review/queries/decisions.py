"""Reads of the decision stage: review counts, the decision page's rows."""

from django.db.models import Count, F

from applications.models import Call
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
