"""Reads of the decision stage: review counts, the decision page's rows (a page of lines) and
every line as the checks and totals read it (``decision_figures``, plain rows)."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet

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
    """Every version of the call's decision, newest first (one query). Without their runs: the
    page shows a run's number only (``run_id``), and on SQLite any column of the run's row that
    follows its result (megabytes at 10 000 bids) costs a walk over that result."""
    return list(
        Decision.objects.filter(call=call)
        .select_related("prepared_by", "approved_by", "withdrawn_by")
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
    """The pure view of a stored line, with the administrator's change applied if given (the
    same mapping as ``LINE_COLUMNS``; ``tests/review/test_decision_figures.py`` holds them
    equal)."""
    pure = rules_of_decision.Line(
        bid_id=line.bid_id,
        requested=line.bid.requested_amount,
        minimum=line.bid.minimum_amount,
        screened_eligible=line.bid.eligibility != Bid.Eligibility.INELIGIBLE,
        recommended=line.recommended_outcome,
        recommended_amount=line.recommended_amount,
        recommended_reserve=line.recommended_reserve,
        outcome=line.outcome,
        amount=line.amount_awarded,
        reserve_position=line.reserve_position,
        reason=line.reason,
        under_reviewed=line.under_reviewed,
        override_reason=line.override_reason,
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


# A stored line's columns in ``rules_of_decision.Line``'s field order (``decision_figures``
# reads them as plain rows; ``screened_eligible`` is its annotation).
LINE_COLUMNS = (
    "bid_id",
    "bid__requested_amount",
    "bid__minimum_amount",
    "screened_eligible",
    "recommended_outcome",
    "recommended_amount",
    "recommended_reserve",
    "outcome",
    "amount_awarded",
    "reserve_position",
    "reason",
    "under_reviewed",
    "override_reason",
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
    the administrator's input) applied (one query).

    The database returns each row in ``Line``'s field order, eligibility already a boolean, so
    that a row becomes a ``Line`` with no call per field (10 000 rows on every page view)."""
    changes = changes or {}
    lines: list[rules_of_decision.Line] = []
    labels: dict[int, str] = {}
    make = rules_of_decision.Line._make
    for *row, acronym in (
        BidDecision.objects.filter(decision=decision)
        .annotate(
            screened_eligible=ExpressionWrapper(
                ~Q(bid__eligibility=Bid.Eligibility.INELIGIBLE), output_field=BooleanField()
            )
        )
        .order_by(*LINE_ORDER)
        .values_list(*LINE_COLUMNS, "bid__acronym")
    ):
        line = make(row)
        labels[line.bid_id] = acronym
        change = changes.get(line.bid_id)
        lines.append(line if change is None else with_change(line, change))
    return DecisionFigures(lines=lines, labels=labels)
