"""The published results of a call: the columns of ``results.csv``, defined once.

``published_results(call)`` reads the call's approved funding decision (``Decision`` in
status "approved": the current version) and returns its funded bids, then its reserve list,
as rows keyed by ``RESULTS_COLUMNS``. The administrators' export and the public results page
both write these rows; ``docs/open-data.md`` documents each column. Bids not funded are not
published. Whether the results may be shown to the public (the call is published) is the
caller's question.
"""

from django.db.models import F

from applications.models import Call
from review.models import BidDecision, Decision

RESULTS_COLUMNS: tuple[str, ...] = (
    "acronym",
    "title",
    "lead_institution",
    "amount_awarded",
    "amount_requested",
    "outcome",
    "reserve_position",
)

# Funded bids first (in the run's rank order), then the reserve list in its order.
PUBLISHED_OUTCOMES = (BidDecision.Outcome.FUNDED, BidDecision.Outcome.RESERVE)


def published_results(call: Call) -> list[dict[str, str | int | None]]:
    """Rows of the approved decision, keyed by ``RESULTS_COLUMNS`` (one query).

    Amounts are integers of euros; ``outcome`` is the code (``funded``, ``reserve``);
    ``amount_awarded`` is empty for the reserve, ``reserve_position`` for the funded.
    No approved decision: no rows.
    """
    lines = (
        BidDecision.objects.filter(
            decision__call=call,
            decision__status=Decision.Status.APPROVED,
            outcome__in=PUBLISHED_OUTCOMES,
        )
        .select_related("bid__lead_institution")
        .order_by(
            F("reserve_position").asc(nulls_first=True),
            F("rank").asc(nulls_last=True),
            "bid__acronym",
        )
    )
    return [
        {
            "acronym": line.bid.acronym,
            "title": line.bid.title,
            "lead_institution": line.bid.lead_institution.name,
            "amount_awarded": line.amount_awarded
            if line.outcome == BidDecision.Outcome.FUNDED
            else None,
            "amount_requested": int(line.bid.requested_amount),
            "outcome": line.outcome,
            "reserve_position": line.reserve_position
            if line.outcome == BidDecision.Outcome.RESERVE
            else None,
        }
        for line in lines
    ]
