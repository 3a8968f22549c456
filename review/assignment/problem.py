"""Inputs, results and errors of the assignment optimiser (plain data, no behaviour)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

JurorId = Hashable
BidId = Hashable
Pair = tuple[JurorId, BidId]  # always (juror, bid), in that order


@dataclass(frozen=True)
class BidInput:
    id: BidId
    text: str  # summary (and title) the jurors' expertise is compared with
    label: str = ""  # shown in diagnostics instead of the id when given (e.g. a reference)

    @property
    def name(self) -> str:
        return self.label or str(self.id)


@dataclass(frozen=True)
class JurorInput:
    id: JurorId
    expertise: str  # expertise statement, keywords appended by the caller if wanted
    min_load: int
    max_load: int
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or str(self.id)


@dataclass(frozen=True)
class AssignedPair:
    juror_id: JurorId
    bid_id: BidId
    similarity: float
    pinned: bool  # kept from the manual assignment rather than chosen by the optimiser


@dataclass(frozen=True)
class AssignmentResult:
    pairs: tuple[AssignedPair, ...]  # ordered by bid (input order), then juror (input order)
    total_similarity: float
    mean_similarity: float  # over all pairs; 0.0 when there are none
    load: dict[JurorId, int]  # every juror, in input order, including idle ones
    connected: bool  # active jurors form one group through shared bids
    # Groups of active jurors linked through shared bids; one group when connected.
    juror_components: tuple[tuple[JurorId, ...], ...]
    idle_jurors: tuple[JurorId, ...]  # load 0 (possible only with min_load 0); not linked
    # How connectivity came about: "optimal" (connected, best possible), "repaired"
    # (connected by exchanges after the exact search ran out of budget), "impossible"
    # (proved: no connected assignment exists), "not_reached", "not_requested".
    connectivity: str
    notes: tuple[str, ...]  # how connectivity was reached, or why it was not
    solver_rounds: int  # solves: the flow, then any exact connectivity cut rounds
    # The best total similarity the solver proves no assignment meeting the constraints can
    # exceed, linked or not (the min-cost-flow optimum): total_similarity / upper_bound is
    # the match quality, with a guarantee.
    upper_bound: float


@dataclass(frozen=True)
class InfeasibilityReason:
    code: str  # stable key, e.g. "bid_too_few_jurors", for translation by the caller
    message: str  # English sentence naming the constraint
    params: dict[str, Any] = field(default_factory=dict)


class InfeasibleAssignmentError(Exception):
    """No assignment satisfies the constraints; `reasons` says which ones clash."""

    def __init__(self, reasons: list[InfeasibilityReason]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(reason.message for reason in reasons))
