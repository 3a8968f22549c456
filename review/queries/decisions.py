"""Reads of the decision stage: review counts, the decision page's rows (a page of lines) and
every line as the checks and totals read it (``decision_figures``, plain rows)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet

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


LINE_ORDER = (F("rank").asc(nulls_last=True), "bid__acronym")


def decision_lines_rows(*, decision: Decision) -> QuerySet[BidDecision]:
    """The decision's lines in the run's rank order, with what the page shows (for a page:
    ``portal.pagination.paginate`` slices it)."""
    return (
        BidDecision.objects.filter(decision=decision)
        .select_related("bid__lead_institution")
        .order_by(*LINE_ORDER)
    )


def decision_lines(*, decision: Decision) -> list[BidDecision]:
    """Every line of the decision in the run's rank order (one query)."""
    return list(decision_lines_rows(decision=decision))


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
    return _pure(
        bid_id=line.bid_id,
        requested=line.bid.requested_amount,
        minimum=line.bid.minimum_amount,
        eligibility=line.bid.eligibility,
        recommended=line.recommended_outcome,
        recommended_amount=line.recommended_amount,
        recommended_reserve=line.recommended_reserve,
        under_reviewed=line.under_reviewed,
        values=change
        or LineInput(
            outcome=line.outcome,
            amount=line.amount_awarded,
            reserve_position=line.reserve_position,
            reason=line.reason,
            override_reason=line.override_reason,
        ),
    )


def _pure(
    *,
    bid_id: int,
    requested: Any,
    minimum: Any,
    eligibility: str,
    recommended: str,
    recommended_amount: int | None,
    recommended_reserve: int | None,
    under_reviewed: bool,
    values: LineInput,
) -> rules_of_decision.Line:
    return rules_of_decision.Line(
        bid_id=bid_id,
        requested=int(requested),
        minimum=int(minimum),
        screened_eligible=eligibility != Bid.Eligibility.INELIGIBLE,
        recommended=recommended,
        recommended_amount=recommended_amount,
        recommended_reserve=recommended_reserve,
        outcome=values.outcome,
        amount=values.amount,
        reserve_position=values.reserve_position,
        reason=values.reason,
        under_reviewed=under_reviewed,
        override_reason=values.override_reason,
    )


@dataclass(frozen=True)
class DecisionFigures:
    """Every line of a decision as the checks and totals read it, without a model instance
    per line (10 000 lines: plain rows, one query)."""

    lines: list[rules_of_decision.Line]  # in the run's rank order
    labels: dict[int, str]  # bid id → acronym

    def funded(self) -> list[tuple[int, str]]:
        """(bid id, acronym) of the funded lines, in order: the promotion form's choices."""
        return [
            (line.bid_id, self.labels[line.bid_id])
            for line in self.lines
            if line.outcome == BidDecision.Outcome.FUNDED
        ]


def decision_figures(
    *, decision: Decision, changes: Mapping[int, LineInput] | None = None
) -> DecisionFigures:
    """The pure view of every line of ``decision`` (``pure_line``'s), with ``changes`` (bid id →
    the administrator's input) applied (one query)."""
    changes = changes or {}
    lines: list[rules_of_decision.Line] = []
    labels: dict[int, str] = {}
    for row in (
        BidDecision.objects.filter(decision=decision)
        .order_by(*LINE_ORDER)
        .values_list(
            "bid_id",
            "bid__acronym",
            "bid__requested_amount",
            "bid__minimum_amount",
            "bid__eligibility",
            "recommended_outcome",
            "recommended_amount",
            "recommended_reserve",
            "under_reviewed",
            "outcome",
            "amount_awarded",
            "reserve_position",
            "reason",
            "override_reason",
        )
    ):
        (bid_id, acronym, requested, minimum, eligibility, recommended) = row[:6]
        labels[bid_id] = acronym
        lines.append(
            _pure(
                bid_id=bid_id,
                requested=requested,
                minimum=minimum,
                eligibility=eligibility,
                recommended=recommended,
                recommended_amount=row[6],
                recommended_reserve=row[7],
                under_reviewed=row[8],
                values=changes.get(bid_id)
                or LineInput(
                    outcome=row[9],
                    amount=row[10],
                    reserve_position=row[11],
                    reason=row[12],
                    override_reason=row[13],
                ),
            )
        )
    return DecisionFigures(lines=lines, labels=labels)
