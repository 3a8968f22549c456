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
The loop is capped (rounds and time); the result then says connectivity was not reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from review.assignment.connectivity import bid_component_labels, component_labels, cut_row
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

# HiGHS's default relative gap (1e-4) could stop short of the optimum; near-zero keeps
# "optimal" honest at little cost since the first solve is an LP in disguise.
_MIP_REL_GAP = 1e-9
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
        chosen = result.x > 0.5
        labels = component_labels(
            n_jurors=self.n_jurors,
            n_bids=len(self.problem.bids),
            edge_jurors=self.jurors_of[chosen],
            edge_bids=self.bids_of[chosen],
        )
        return _Solve(
            chosen=chosen,
            status=result.status,
            labels=labels,
            bid_components=bid_component_labels(labels, n_jurors=self.n_jurors),
            total=float(self.weights[chosen].sum()),
        )

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


def _empty_solve(n_pairs: int) -> _Solve:
    return _Solve(
        chosen=np.zeros(n_pairs, bool),
        status=_MILP_STATUS_OPTIMAL,
        labels=np.zeros(0, np.int64),
        bid_components=[],
        total=0.0,
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
    max_connectivity_rounds: int = 20,
    time_limit_seconds: float = 60.0,
) -> AssignmentResult:
    """Best-matching assignment of `jurors_per_bid` jurors to every bid.

    `conflicts` and `pinned` are (juror id, bid id) pairs. `similarity` (shape jurors ×
    bids) replaces the TF-IDF similarity of the texts when given. Deterministic for the
    same input (same order). Raises InfeasibleAssignmentError naming the constraint that
    makes an assignment impossible; a disconnected juror graph is reported in the result,
    not raised.
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

    def remaining() -> float:
        return time_limit_seconds - (time.monotonic() - started)

    first = programme.solve(time_limit=remaining()) if bids else _empty_solve(0)
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
    best, rounds, notes = _connect(
        programme,
        first=first,
        require_connected=require_connected,
        max_rounds=max_connectivity_rounds,
        remaining=remaining,
    )
    return _result(programme, best, similarity=similarity, rounds=rounds, notes=notes)


def _connect(
    programme: _Programme,
    *,
    first: _Solve,
    require_connected: bool,
    max_rounds: int,
    remaining: Callable[[], float],  # seconds left in the caller's time budget
) -> tuple[_Solve, int, list[str]]:
    """Add connectivity cuts until connected, proved impossible, or out of budget."""
    if len(first.bid_components) <= 1:
        return first, 1, ["The optimal assignment already links every active juror."]
    if not require_connected:
        return first, 1, ["Connectivity was not requested."]
    if programme.problem.jurors_per_bid == 1:
        # With one juror per bid no two jurors share a bid: only a single juror taking every
        # bid would be "connected", which is not what leniency estimation needs.
        return first, 1, ["With one juror per bid jurors share no bid, so they cannot be linked."]

    best, current, rounds = first, first, 1
    while True:
        if rounds > max_rounds:
            return (
                best,
                rounds,
                [f"Jurors still not linked after {max_rounds} extra solver round(s), the limit."],
            )
        if remaining() <= 0:
            return best, rounds, ["Jurors still not linked when the time limit was reached."]
        programme.add_cuts(current)
        solve = programme.solve(time_limit=remaining())
        rounds += 1
        if solve is None:
            return best, rounds, ["Jurors still not linked when the time limit was reached."]
        if solve.status == _MILP_STATUS_INFEASIBLE:
            return (
                best,
                rounds,
                [
                    "No assignment meeting the constraints links every juror (proved by the "
                    f"solver); the assignment below leaves {len(best.bid_components)} groups."
                ],
            )
        if len(solve.bid_components) < len(best.bid_components):
            best = solve
        if len(solve.bid_components) == 1:
            loss = first.total - solve.total
            note = (
                f"Linking every juror took {rounds - 1} extra solver round(s) and cost "
                f"{loss:.3f} in total similarity ({first.total:.3f} → {solve.total:.3f})."
            )
            if solve.status != _MILP_STATUS_OPTIMAL:
                note += " The time limit was reached, so it may be slightly below the optimum."
            return solve, rounds, [note]
        current = solve


def _result(
    programme: _Programme,
    solve: _Solve,
    *,
    similarity: np.ndarray,
    rounds: int,
    notes: list[str],
) -> AssignmentResult:
    problem = programme.problem
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
        notes=tuple(notes),
        solver_rounds=rounds,
    )
