"""The funding decision's arithmetic, in plain Python (no Django: import-linter contract).

Numbers in, problems out. The portal's decision service builds :class:`Line` objects from
the database, asks :func:`problems` what is wrong, and translates the problem codes into
messages; the decision page shows :func:`totals` live. The recommendation that a decision
starts from is read off a ranking run's stored result by :func:`recommendation`.

Amounts are integer euros.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple

FUNDED = "funded"
RESERVE = "reserve"
NOT_FUNDED = "not_funded"
INELIGIBLE = "ineligible"
OUTCOMES = (FUNDED, RESERVE, NOT_FUNDED, INELIGIBLE)


class Line(NamedTuple):
    """One bid of a decision: what the jury recommended and what is decided.

    A named tuple (immutable, like the frozen dataclass it was): a decision of 10 000 lines
    builds 10 000 of them on each check, and a tuple costs less than half of a frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field)."""

    bid_id: int
    requested: int
    minimum: int
    screened_eligible: bool  # False once the administrators found the bid ineligible
    recommended: str
    recommended_amount: int | None
    recommended_reserve: int | None
    outcome: str
    amount: int | None = None
    reserve_position: int | None = None
    reason: str = ""  # why the decision departs from the recommendation
    under_reviewed: bool = False  # fewer submitted reviews than the call requires
    override_reason: str = ""  # why an under-reviewed bid is funded all the same


@dataclass(frozen=True)
class Bounds:
    envelope: int
    min_winners: int
    max_winners: int


@dataclass(frozen=True)
class Totals:
    winners: int
    awarded: int
    envelope_left: int
    reserve: int
    deviations: int


@dataclass(frozen=True)
class Problem:
    """What is wrong; ``bid_id`` is None for the decision as a whole."""

    code: str
    bid_id: int | None = None
    field: str = ""
    params: tuple[tuple[str, int], ...] = ()

    def param(self, name: str) -> int:
        return dict(self.params)[name]


def is_deviation(line: Line) -> bool:
    """The decision departs from the recommendation: a bid moved in or out of the funded
    list or onto the reserve list, or a funded amount changed. (The reserve list moving up
    when a winner leaves is not a deviation in itself.)"""
    if line.outcome != line.recommended:
        return True
    return line.outcome == FUNDED and line.amount != line.recommended_amount


def totals(lines: list[Line], bounds: Bounds) -> Totals:
    """The decision's totals, in one pass over its lines (10 000 in a large call)."""
    winners = awarded = reserve = deviations = 0
    for line in lines:
        if line.outcome == FUNDED:
            winners += 1
            awarded += line.amount or 0
        elif line.outcome == RESERVE:
            reserve += 1
        if is_deviation(line):
            deviations += 1
    return Totals(
        winners=winners,
        awarded=awarded,
        envelope_left=bounds.envelope - awarded,
        reserve=reserve,
        deviations=deviations,
    )


def _line_problems(line: Line) -> list[Problem]:
    found: list[Problem] = []
    if line.outcome not in OUTCOMES:
        return [Problem("unknown_outcome", line.bid_id, "outcome")]
    if not line.screened_eligible and line.outcome != INELIGIBLE:
        found.append(Problem("screened_ineligible", line.bid_id, "outcome"))
    if line.outcome == FUNDED:
        if line.amount is None:
            found.append(Problem("amount_missing", line.bid_id, "amount"))
        elif not line.minimum <= line.amount <= line.requested:
            found.append(
                Problem(
                    "amount_out_of_range",
                    line.bid_id,
                    "amount",
                    (("minimum", line.minimum), ("requested", line.requested)),
                )
            )
        if line.under_reviewed and not line.override_reason.strip():
            found.append(Problem("override_required", line.bid_id, "override_reason"))
    elif line.amount not in (None, 0):
        found.append(Problem("amount_not_funded", line.bid_id, "amount"))
    if line.outcome == RESERVE and line.reserve_position is None:
        found.append(Problem("reserve_position_missing", line.bid_id, "reserve_position"))
    if line.outcome != RESERVE and line.reserve_position is not None:
        found.append(Problem("reserve_position_not_reserve", line.bid_id, "reserve_position"))
    if is_deviation(line) and not line.reason.strip():
        found.append(Problem("reason_required", line.bid_id, "reason"))
    return found


def problems(lines: list[Line], bounds: Bounds) -> list[Problem]:
    """Everything that stops the decision from being saved, per bid first, then overall."""
    found = [problem for line in lines for problem in _line_problems(line)]
    positions = sorted(
        line.reserve_position
        for line in lines
        if line.outcome == RESERVE and line.reserve_position is not None
    )
    if positions != list(range(1, len(positions) + 1)):
        found.append(Problem("reserve_positions", field="reserve_position"))
    summary = totals(lines, bounds)
    if summary.awarded > bounds.envelope:
        found.append(
            Problem(
                "over_envelope",
                params=(("awarded", summary.awarded), ("envelope", bounds.envelope)),
            )
        )
    if not bounds.min_winners <= summary.winners <= bounds.max_winners:
        found.append(
            Problem(
                "winners_out_of_bounds",
                params=(
                    ("winners", summary.winners),
                    ("min", bounds.min_winners),
                    ("max", bounds.max_winners),
                ),
            )
        )
    return found


@dataclass(frozen=True)
class Recommended:
    outcome: str
    amount: int | None
    reserve_position: int | None


def recommendation(
    result: dict[str, Any], *, screened_ineligible: set[int], reserve_size: int
) -> dict[int, Recommended]:
    """The jury's recommendation for each bid, read off a ranking run's stored result.

    With a lottery, its allocation is the recommendation (the draw settles the grey zone);
    otherwise the run's selection. The reserve list is the next ``reserve_size`` bids in rank
    order that met every threshold and were not funded. Bids the administrators found
    ineligible are not in a run; they are recommended "ineligible".
    """
    lottery = result.get("lottery") or None
    if lottery:
        granted = {int(item["id"]): int(item["granted"]) for item in lottery["granted"]}
    else:
        granted = {int(bid["id"]): int(bid["granted"]) for bid in result["bids"] if bid["selected"]}
    recommended: dict[int, Recommended] = {}
    reserve = 0
    for bid in sorted(result["bids"], key=lambda item: item["rank"]):
        bid_id = int(bid["id"])
        if bid_id in granted:
            recommended[bid_id] = Recommended(FUNDED, granted[bid_id], None)
        elif bid["eligible"] and reserve < reserve_size:
            reserve += 1
            recommended[bid_id] = Recommended(RESERVE, None, reserve)
        else:
            recommended[bid_id] = Recommended(NOT_FUNDED, None, None)
    for bid_id in screened_ineligible:
        recommended[bid_id] = Recommended(INELIGIBLE, None, None)
    return recommended


def promote_from_reserve(
    lines: list[Line], *, leaving: int, reason: str, envelope: int
) -> list[Line]:
    """A funded bid leaves (it withdrew, or cannot be funded): it becomes "not funded", the
    first bid of the reserve list is funded at its request, or at what is left of the
    envelope when that is less (the caller checks the result with :func:`problems`, which
    refuses an amount below the bid's minimum), and the reserve list moves up by one.
    Raises ``ValueError`` if the bid is not funded or the reserve list is empty."""
    by_id = {line.bid_id: line for line in lines}
    leaver = by_id.get(leaving)
    if leaver is None or leaver.outcome != FUNDED:
        raise ValueError("not_funded")
    reserve = sorted(
        (line for line in lines if line.outcome == RESERVE),
        key=lambda line: line.reserve_position or 0,
    )
    if not reserve:
        raise ValueError("empty_reserve")
    first = reserve[0]
    others = sum(
        line.amount or 0 for line in lines if line.outcome == FUNDED and line.bid_id != leaving
    )
    amount = min(first.requested, envelope - others)
    updated: dict[int, Line] = {
        leaver.bid_id: leaver._replace(outcome=NOT_FUNDED, amount=None, reason=reason),
        first.bid_id: first._replace(
            outcome=FUNDED, amount=amount, reserve_position=None, reason=reason
        ),
    }
    for line in reserve[1:]:
        updated[line.bid_id] = line._replace(reserve_position=(line.reserve_position or 1) - 1)
    return [updated.get(line.bid_id, line) for line in lines]
