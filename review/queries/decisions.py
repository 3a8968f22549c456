"""Reads of the decision stage: review counts, the decision page's rows (a page of lines) and
every line as the checks and totals read it (``decision_figures``, plain rows)."""

from collections.abc import Mapping
from dataclasses import dataclass

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
    pure = _pure(
        line.bid_id,
        line.bid.requested_amount,
        line.bid.minimum_amount,
        line.bid.eligibility,
        line.recommended_outcome,
        line.recommended_amount,
        line.recommended_reserve,
        line.under_reviewed,
        line.outcome,
        line.amount_awarded,
        line.reserve_position,
        line.reason,
        line.override_reason,
    )
    return pure if change is None else with_change(pure, change)


def with_change(line: rules_of_decision.Line, change: LineInput) -> rules_of_decision.Line:
    """``line`` with what the administrator set for it instead of what is stored."""
    return line._replace(
        outcome=change.outcome,
        amount=change.amount,
        reserve_position=change.reserve_position,
        reason=change.reason,
        override_reason=change.override_reason,
    )


# The columns ``_pure`` reads, in its parameters' order (``decision_figures`` reads them as
# plain rows).
PURE_COLUMNS = (
    "bid_id",
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


def _pure(
    bid_id: int,
    requested: int,
    minimum: int,
    eligibility: str,
    recommended: str,
    recommended_amount: int | None,
    recommended_reserve: int | None,
    under_reviewed: bool,
    outcome: str,
    amount: int | None,
    reserve_position: int | None,
    reason: str,
    override_reason: str,
) -> rules_of_decision.Line:
    """The one mapping of a stored line (``PURE_COLUMNS``) to the pure ``Line``; positional,
    as it runs once per line of a 10 000-line decision on every check."""
    return rules_of_decision.Line(
        bid_id,
        int(requested),
        int(minimum),
        eligibility != Bid.Eligibility.INELIGIBLE,
        recommended,
        recommended_amount,
        recommended_reserve,
        outcome,
        amount,
        reserve_position,
        reason,
        under_reviewed,
        override_reason,
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
    for acronym, *row in (
        BidDecision.objects.filter(decision=decision)
        .order_by(*LINE_ORDER)
        .values_list("bid__acronym", *PURE_COLUMNS)
    ):
        line = _pure(*row)
        labels[line.bid_id] = acronym
        change = changes.get(line.bid_id)
        lines.append(line if change is None else with_change(line, change))
    return DecisionFigures(lines=lines, labels=labels)
