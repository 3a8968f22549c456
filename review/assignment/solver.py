"""Juror-to-bid assignment as an integer programme solved by HiGHS (scipy.optimize.milp).

Formulation: one binary variable per non-conflicted (juror, bid) pair; maximise the sum of
TF-IDF similarities subject to exactly k jurors per bid and min_load <= load <= max_load
per juror. Pinned pairs get a lower bound of 1. Without the connectivity requirement the
constraint matrix is that of a bipartite b-matching (totally unimodular), so HiGHS solves
it at the root LP: this is the min-cost-flow optimum, with lower bounds for free.

Connectivity (every active juror linked to the others through shared bids) is added
lazily: after each solve, every component of the juror-bid graph yields a cut "at least
one chosen pair crosses the boundary of this component", and the programme is solved
again. Each cut holds for every connected assignment, so
- the first connected solution found is optimal among connected assignments, and
- if the programme becomes infeasible, no connected assignment exists (proved).
These cuts are weak when the jury splits into many disjoint groups (each round can take
seconds at 200 bids x 60 jurors), so the loop is capped at a few rounds. Beforehand, a
deterministic repair links the groups of the unconstrained optimum by the cheapest
exchanges (swaps of bids between two jurors, or a bid moved to another juror) that keep
every constraint. The result is the exact connected optimum when the loop finds it,
otherwise the repaired assignment; `AssignmentResult.connectivity` says which.

Determinism: no step depends on timing except the safety `time_limit_seconds`; a solve
cut short by it is discarded in favour of the repaired assignment.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from review.assignment.connectivity import (
    bid_component_labels,
    component_labels,
    cut_row,
    repair_by_exchanges,
)
from review.assignment.feasibility import explicit_reasons, matching_reasons
from review.assignment.problem import (
    AssignedPair,
    AssignmentResult,
    BidInput,
    InfeasibleAssignmentError,
    JurorInput,
    Pair,
)
from review.assignment.similarity import tfidf_similarity

# HiGHS's default relative gap (1e-4) may stop short of the optimum; 1e-6 keeps "optimal"
# honest (similarities are rounded to far coarser steps in practice) at no measurable cost.
_MIP_REL_GAP = 1e-6
_SAME_TOTAL = 1e-6  # totals closer than this are equal (float sums of similarities)
_MILP_STATUS_OPTIMAL = 0
_MILP_STATUS_LIMIT = 1  # time/iteration limit: x may still hold a feasible solution
_MILP_STATUS_INFEASIBLE = 2


class AssignmentSolverError(RuntimeError):
    """The solver stopped (time limit, numerical trouble) without any assignment.

    Unlike InfeasibleAssignmentError this proves nothing about the constraints.
    """


@dataclass(frozen=True)
class _Problem:
    bids: Sequence[BidInput]
    jurors: Sequence[JurorInput]
    conflicted: np.ndarray  # bool (jurors, bids)
    pinned: np.ndarray  # bool (jurors, bids)
    jurors_per_bid: int


def _build_problem(
    *,
    bids: Sequence[BidInput],
    jurors: Sequence[JurorInput],
    conflicts: Iterable[Pair],
    pinned: Iterable[Pair],
    jurors_per_bid: int,
) -> _Problem:
    """Validate the input shape (ValueError: a programming error, not an infeasibility)."""
    if jurors_per_bid < 1:
        raise ValueError(f"jurors_per_bid must be at least 1, got {jurors_per_bid}")
    bid_index = {bid.id: b for b, bid in enumerate(bids)}
    juror_index = {juror.id: j for j, juror in enumerate(jurors)}
    if len(bid_index) != len(bids):
        raise ValueError("bid ids must be unique")
    if len(juror_index) != len(jurors):
        raise ValueError("juror ids must be unique")
    for juror in jurors:
        if not 0 <= juror.min_load <= juror.max_load:
            raise ValueError(
                f"juror {juror.name}: need 0 <= min_load <= max_load, "
                f"got {juror.min_load}..{juror.max_load}"
            )
    conflicted = np.zeros((len(jurors), len(bids)), dtype=bool)
    for juror_id, bid_id in conflicts:
        # Conflicts are usually loaded for the whole call: ignore jurors or bids not in play.
        if juror_id in juror_index and bid_id in bid_index:
            conflicted[juror_index[juror_id], bid_index[bid_id]] = True
    pinned_matrix = np.zeros_like(conflicted)
    for juror_id, bid_id in pinned:
        if juror_id not in juror_index or bid_id not in bid_index:
            raise ValueError(
                f"pinned pair ({juror_id!r}, {bid_id!r}) names an unknown juror or bid"
            )
        pinned_matrix[juror_index[juror_id], bid_index[bid_id]] = True
    return _Problem(
        bids=bids,
        jurors=jurors,
        conflicted=conflicted,
        pinned=pinned_matrix,
        jurors_per_bid=jurors_per_bid,
    )


def check_assignment_feasible(
    *,
    bids: Sequence[BidInput],
    jurors: Sequence[JurorInput],
    conflicts: Iterable[Pair] = (),
    pinned: Iterable[Pair] = (),
    jurors_per_bid: int = 3,
) -> None:
    """Raise InfeasibleAssignmentError if a simple counting condition fails.

    Cheap (no solver), for validating a form; passing it does not guarantee a solution.
    """
    problem = _build_problem(
        bids=bids, jurors=jurors, conflicts=conflicts, pinned=pinned, jurors_per_bid=jurors_per_bid
    )
    reasons = explicit_reasons(
        bids=bids,
        jurors=jurors,
        conflicted=problem.conflicted,
        pinned=problem.pinned,
        jurors_per_bid=jurors_per_bid,
    )
    if reasons:
        raise InfeasibleAssignmentError(reasons)


@dataclass(frozen=True)
class _Solve:
    chosen: np.ndarray  # bool per candidate pair
    status: int
    labels: np.ndarray
    bid_components: list[int]
    total: float


class _Programme:
    """The integer programme over candidate pairs, with connectivity cuts appended."""

    def __init__(self, problem: _Problem, similarity: np.ndarray) -> None:
        self.problem = problem
        n_jurors, n_bids = problem.conflicted.shape
        self.n_jurors = n_jurors
        max_loads = np.array([juror.max_load for juror in problem.jurors], dtype=np.int64)
        min_loads = np.array([juror.min_load for juror in problem.jurors], dtype=np.int64)
        candidate = (~problem.conflicted & (max_loads > 0)[:, None]) | problem.pinned
        # Transposed nonzero: candidates ordered by bid, then juror (input order).
        self.bids_of, self.jurors_of = (idx.astype(np.int64) for idx in np.nonzero(candidate.T))
        self.weights = similarity[self.jurors_of, self.bids_of]
        n_pairs = len(self.weights)
        columns = np.arange(n_pairs)
        self.base = sparse.csr_matrix(
            (
                np.ones(2 * n_pairs),
                (np.concatenate([self.bids_of, n_bids + self.jurors_of]), np.tile(columns, 2)),
            ),
            shape=(n_bids + n_jurors, n_pairs),
        )
        k = problem.jurors_per_bid
        self.base_lower = np.concatenate([np.full(n_bids, k), min_loads]).astype(np.float64)
        self.base_upper = np.concatenate([np.full(n_bids, k), max_loads]).astype(np.float64)
        self.variable_lower = problem.pinned[self.jurors_of, self.bids_of].astype(np.float64)
        self.min_loads, self.max_loads = min_loads, max_loads
        self.cuts: list[np.ndarray] = []

    def solve(self, *, time_limit: float) -> _Solve | None:
        """Optimal (or best within the time limit) solution; None if none was found."""
        matrix = self.base
        lower, upper = self.base_lower, self.base_upper
        if self.cuts:
            matrix = sparse.vstack([self.base, sparse.csr_matrix(np.vstack(self.cuts))]).tocsr()
            lower = np.concatenate([lower, np.ones(len(self.cuts))])
            upper = np.concatenate([upper, np.full(len(self.cuts), np.inf)])
        n_pairs = len(self.weights)
        result = milp(
            c=-self.weights,  # milp minimises
            integrality=np.ones(n_pairs),
            bounds=Bounds(self.variable_lower, np.ones(n_pairs)),
            constraints=[LinearConstraint(matrix, lower, upper)] if n_pairs else [],
            options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": _MIP_REL_GAP},
        )
        if result.x is None:
            if result.status == _MILP_STATUS_INFEASIBLE:
                return _Solve(
                    chosen=np.zeros(0, bool),
                    status=result.status,
                    labels=np.zeros(0, np.int64),
                    bid_components=[],
                    total=0.0,
                )
            return None
        return self.evaluate(result.x > 0.5, status=result.status)

    def evaluate(self, chosen: np.ndarray, *, status: int) -> _Solve:
        labels = component_labels(
            n_jurors=self.n_jurors,
            n_bids=len(self.problem.bids),
            edge_jurors=self.jurors_of[chosen],
            edge_bids=self.bids_of[chosen],
        )
        return _Solve(
            chosen=chosen,
            status=status,
            labels=labels,
            bid_components=bid_component_labels(labels, n_jurors=self.n_jurors),
            total=float(self.weights[chosen].sum()),
        )

    def repair(self, solve: _Solve) -> tuple[_Solve, int]:
        chosen, exchanges = repair_by_exchanges(
            chosen=solve.chosen,
            pair_jurors=self.jurors_of,
            pair_bids=self.bids_of,
            weights=self.weights,
            pinned=self.variable_lower > 0,
            min_loads=self.min_loads,
            max_loads=self.max_loads,
            n_bids=len(self.problem.bids),
        )
        return self.evaluate(chosen, status=solve.status), exchanges

    def add_cuts(self, solve: _Solve) -> None:
        for component in solve.bid_components:
            self.cuts.append(
                cut_row(
                    solve.labels,
                    component=component,
                    n_jurors=self.n_jurors,
                    all_jurors=self.jurors_of,
                    all_bids=self.bids_of,
                )
            )


def assign_jurors(
    *,
    bids: Sequence[BidInput],
    jurors: Sequence[JurorInput],
    conflicts: Iterable[Pair] = (),
    pinned: Iterable[Pair] = (),
    jurors_per_bid: int = 3,
    similarity: np.ndarray | None = None,
    require_connected: bool = True,
    max_connectivity_rounds: int = 3,
    time_limit_seconds: float = 60.0,
) -> AssignmentResult:
    """Best-matching assignment of `jurors_per_bid` jurors to every bid.

    `conflicts` and `pinned` are (juror id, bid id) pairs. `similarity` (shape jurors ×
    bids) replaces the TF-IDF similarity of the texts when given. When the best assignment
    leaves jurors in separate groups, they are linked by exchanges and by at most
    `max_connectivity_rounds` extra exact solves (see the module docstring).
    Deterministic for the same input in the same order. Raises InfeasibleAssignmentError
    naming the constraint that makes an assignment impossible, AssignmentSolverError if
    `time_limit_seconds` passes before any assignment is found; a disconnected juror graph
    is reported in the result, not raised.
    """
    started = time.monotonic()
    problem = _build_problem(
        bids=bids, jurors=jurors, conflicts=conflicts, pinned=pinned, jurors_per_bid=jurors_per_bid
    )
    reasons = explicit_reasons(
        bids=bids,
        jurors=jurors,
        conflicted=problem.conflicted,
        pinned=problem.pinned,
        jurors_per_bid=jurors_per_bid,
    )
    if reasons:
        raise InfeasibleAssignmentError(reasons)
    if similarity is None:
        similarity = tfidf_similarity(
            juror_texts=[juror.expertise for juror in jurors], bid_texts=[bid.text for bid in bids]
        )
    similarity = np.asarray(similarity, dtype=np.float64)
    if similarity.shape != (len(jurors), len(bids)):
        raise ValueError(f"similarity must have shape {(len(jurors), len(bids))}")

    programme = _Programme(problem, similarity)
    first = (
        programme.solve(time_limit=time_limit_seconds)
        if bids
        else programme.evaluate(np.zeros(0, bool), status=_MILP_STATUS_OPTIMAL)
    )
    if first is None:
        raise AssignmentSolverError("the solver stopped before finding any assignment")
    if first.status == _MILP_STATUS_INFEASIBLE:
        raise InfeasibleAssignmentError(
            matching_reasons(
                bids=bids,
                jurors=jurors,
                conflicted=problem.conflicted,
                pinned=problem.pinned,
                jurors_per_bid=jurors_per_bid,
            )
        )
    outcome = _connect(
        programme,
        first=first,
        require_connected=require_connected,
        max_rounds=max_connectivity_rounds,
        deadline=started + time_limit_seconds,
    )
    return _result(programme, outcome, similarity=similarity)


@dataclass(frozen=True)
class _Outcome:
    solve: _Solve
    status: str  # see AssignmentResult.connectivity
    rounds: int
    note: str


def _connect(
    programme: _Programme,
    *,
    first: _Solve,
    require_connected: bool,
    max_rounds: int,
    deadline: float,
) -> _Outcome:
    """Link the jurors of the unconstrained optimum `first`: exact cut rounds, else repair."""
    if len(first.bid_components) <= 1:
        return _Outcome(first, "optimal", 1, "The optimal assignment already links every juror.")
    if not require_connected:
        return _Outcome(first, "not_requested", 1, "Linking jurors was not requested.")
    if programme.problem.jurors_per_bid == 1:
        # With one juror per bid no two jurors share a bid: only a single juror taking every
        # bid would be "connected", which is not what leniency estimation needs.
        return _Outcome(
            first,
            "impossible",
            1,
            "With one juror per bid jurors share no bid, so they cannot be linked.",
        )

    repaired, exchanges = programme.repair(first)
    repaired_linked = len(repaired.bid_components) == 1
    # Each round's optimum relaxes "linked", so it bounds the best linked total from above.
    upper_bound = first.total
    best, current, rounds = first, first, 1
    stop_reason = f"{max_rounds} extra solver round(s)"
    while rounds <= max_rounds:
        programme.add_cuts(current)
        solve = programme.solve(time_limit=deadline - time.monotonic())
        rounds += 1
        if solve is None or solve.status == _MILP_STATUS_LIMIT:
            # Discarded even if connected: keeping it would make the result timing-dependent.
            stop_reason = "the time limit"
            break
        if solve.status == _MILP_STATUS_INFEASIBLE:
            fewest = min(best, repaired, key=lambda s: len(s.bid_components))
            return _Outcome(
                fewest,
                "impossible",
                rounds,
                "No assignment meeting the constraints links every juror (proved by the "
                f"solver); this one leaves {len(fewest.bid_components)} groups.",
            )
        if len(solve.bid_components) == 1:
            return _Outcome(
                solve,
                "optimal",
                rounds,
                f"Linking every juror took {rounds - 1} extra solver round(s) and cost "
                f"{first.total - solve.total:.3f} in total similarity "
                f"({first.total:.3f} → {solve.total:.3f}).",
            )
        upper_bound = solve.total
        if repaired_linked and repaired.total >= upper_bound - _SAME_TOTAL:
            return _Outcome(
                repaired,
                "optimal",
                rounds,
                f"{exchanges} exchange(s) of jurors linked every juror at a cost of "
                f"{first.total - repaired.total:.3f} in total similarity "
                f"({first.total:.3f} → {repaired.total:.3f}), proved optimal in "
                f"{rounds - 1} extra solver round(s).",
            )
        if len(solve.bid_components) < len(best.bid_components):
            best = solve
        current = solve

    if repaired_linked:
        return _Outcome(
            repaired,
            "repaired",
            rounds,
            f"{exchanges} exchange(s) of jurors linked every juror at a cost of "
            f"{first.total - repaired.total:.3f} in total similarity "
            f"({first.total:.3f} → {repaired.total:.3f}); the exact search stopped after "
            f"{stop_reason}, so a linked assignment up to {upper_bound - repaired.total:.3f} "
            "better may exist.",
        )
    fewest = min(best, repaired, key=lambda s: len(s.bid_components))
    return _Outcome(
        fewest,
        "not_reached",
        rounds,
        f"Jurors are not all linked: the exact search stopped after {stop_reason} and no "
        f"exchange of jurors joins the remaining {len(fewest.bid_components)} groups.",
    )


def _result(
    programme: _Programme, outcome: _Outcome, *, similarity: np.ndarray
) -> AssignmentResult:
    problem = programme.problem
    solve = outcome.solve
    notes = [outcome.note]
    jurors, bids = problem.jurors, problem.bids
    pairs = tuple(
        AssignedPair(
            juror_id=jurors[j].id,
            bid_id=bids[b].id,
            similarity=float(similarity[j, b]),
            pinned=bool(problem.pinned[j, b]),
        )
        for j, b in zip(
            programme.jurors_of[solve.chosen], programme.bids_of[solve.chosen], strict=True
        )
    )
    loads = np.bincount(programme.jurors_of[solve.chosen], minlength=len(jurors))
    idle = [juror.id for j, juror in enumerate(jurors) if loads[j] == 0]
    groups: dict[int, list[Hashable]] = {}
    for j, juror in enumerate(jurors):
        if loads[j] > 0:
            groups.setdefault(int(solve.labels[j]), []).append(juror.id)
    total = float(sum(pair.similarity for pair in pairs))
    if idle:
        notes = [*notes, f"{len(idle)} juror(s) with minimum load 0 got no bid and are not linked."]
    return AssignmentResult(
        pairs=pairs,
        total_similarity=total,
        mean_similarity=total / len(pairs) if pairs else 0.0,
        load={juror.id: int(loads[j]) for j, juror in enumerate(jurors)},
        connected=len(groups) <= 1,
        juror_components=tuple(tuple(group) for group in groups.values()),
        idle_jurors=tuple(idle),
        connectivity=outcome.status,
        notes=tuple(notes),
        solver_rounds=outcome.rounds,
    )
