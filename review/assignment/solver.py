"""Juror-to-bid assignment: a min-cost flow, then the jurors linked through shared bids.

Formulation: one binary variable per non-conflicted (juror, bid) pair; maximise the sum of
TF-IDF similarities subject to exactly k jurors per bid and min_load <= load <= max_load
per juror; pinned pairs are kept. Without the connectivity requirement this is a
bipartite b-matching, solved exactly as a min-cost flow on OR-Tools (`flow`): 10,000 bids
× 2,000 jurors in seconds. Its optimum bounds every assignment from above, so the quality
of the final one is known (`AssignmentResult.upper_bound`).

Connectivity (every active juror linked to the others through shared bids), when the flow
optimum lacks it:
- up to `EXACT_SEARCH_MAX_PAIRS` candidate pairs, an integer programme on HiGHS
  (scipy.optimize.milp) adds it lazily: every component of the juror-bid graph yields a
  cut "at least one chosen pair crosses the boundary of this component", and the
  programme is solved again. Each cut holds for every connected assignment, so the first
  connected solution found is optimal among connected assignments, and an infeasible
  programme proves that none exists. The loop is capped at a few rounds; beforehand a
  deterministic repair links the groups by the cheapest exchanges (swaps of bids between
  two jurors, or a bid moved to another juror) that keep every constraint;
- above it, the groups are linked by the cheapest exchanges only (`link_groups_by_swaps`),
  each costing a few pairs' similarity out of tens of thousands.
`AssignmentResult.connectivity` says which way it was reached.

Determinism: no step depends on timing except the safety `time_limit_seconds` of the
exact rounds; a round cut short by it is discarded in favour of the repaired assignment.
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
    link_groups_by_swaps,
    repair_by_exchanges,
)
from review.assignment.feasibility import explicit_reasons, matching_reasons
from review.assignment.flow import best_matching
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
    min_loads: np.ndarray  # int64 per juror, input order
    max_loads: np.ndarray


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
        min_loads=np.array([juror.min_load for juror in jurors], dtype=np.int64),
        max_loads=np.array([juror.max_load for juror in jurors], dtype=np.int64),
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
        max_loads, min_loads = problem.max_loads, problem.min_loads
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

    def mask_of(self, pairs: _Pairs) -> np.ndarray:
        """The candidate-pair mask (this programme's variables) of chosen pairs."""
        index_of = np.full(self.problem.conflicted.shape, -1, dtype=np.int64)
        index_of[self.jurors_of, self.bids_of] = np.arange(len(self.jurors_of))
        chosen = np.zeros(len(self.jurors_of), dtype=bool)
        chosen[index_of[pairs.jurors, pairs.bids]] = True
        return chosen

    def pairs_of(self, solve: _Solve) -> _Pairs:
        return _Pairs(
            jurors=self.jurors_of[solve.chosen],
            bids=self.bids_of[solve.chosen],
            labels=solve.labels,
            groups=solve.bid_components,
            total=solve.total,
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


# Above this many candidate pairs the exact connectivity search (an integer programme with
# cuts, on HiGHS) is not attempted: its rounds take minutes and gigabytes at conference
# scale, while linking the flow optimum by exchanges costs a few pairs' similarity.
EXACT_SEARCH_MAX_PAIRS = 200_000


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
    bids) replaces the TF-IDF similarity of the texts when given. The best assignment
    without the linking requirement comes from a min-cost flow (`flow.best_matching`,
    proved optimal over all pairs); when it leaves jurors in separate groups, they are
    linked by exchanges and, for problems up to `EXACT_SEARCH_MAX_PAIRS` candidate pairs,
    by at most `max_connectivity_rounds` exact solves (see the module docstring).
    Deterministic for the same input in the same order. Raises InfeasibleAssignmentError
    naming the constraint that makes an assignment impossible, AssignmentSolverError when
    the solver runs out of memory; a disconnected juror graph is reported in the result,
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
    try:
        if similarity is None:
            similarity = tfidf_similarity(
                juror_texts=[juror.expertise for juror in jurors],
                bid_texts=[bid.text for bid in bids],
            )
        similarity = np.asarray(similarity, dtype=np.float64)
        if similarity.shape != (len(jurors), len(bids)):
            raise ValueError(f"similarity must have shape {(len(jurors), len(bids))}")
        return _assign(
            problem,
            similarity,
            require_connected=require_connected,
            max_rounds=max_connectivity_rounds,
            deadline=started + time_limit_seconds,
        )
    except MemoryError as exhausted:
        raise AssignmentSolverError(
            f"the solver ran out of memory on {len(bids)} bids × {len(jurors)} jurors"
        ) from exhausted


def _assign(
    problem: _Problem,
    similarity: np.ndarray,
    *,
    require_connected: bool,
    max_rounds: int,
    deadline: float,
) -> AssignmentResult:
    n_jurors, n_bids = problem.conflicted.shape
    max_loads, min_loads = problem.max_loads, problem.min_loads
    allowed = ~problem.conflicted & (max_loads > 0)[:, None]
    pinned_per_juror = problem.pinned.sum(axis=1)
    matching = best_matching(
        similarity=similarity,
        candidate=allowed & ~problem.pinned,
        bid_demand=problem.jurors_per_bid - problem.pinned.sum(axis=0),
        min_loads=np.maximum(min_loads - pinned_per_juror, 0),
        max_loads=max_loads - pinned_per_juror,
    )
    if matching is None:
        raise InfeasibleAssignmentError(
            matching_reasons(
                bids=problem.bids,
                jurors=problem.jurors,
                conflicted=problem.conflicted,
                pinned=problem.pinned,
                jurors_per_bid=problem.jurors_per_bid,
            )
        )
    pinned_jurors, pinned_bids = (index.astype(np.int64) for index in np.nonzero(problem.pinned))
    jurors = np.concatenate([pinned_jurors, matching.jurors])
    bids = np.concatenate([pinned_bids, matching.bids])
    order = np.lexsort((jurors, bids))
    best = _Pairs.of(jurors[order], bids[order], n_jurors=n_jurors, similarity=similarity)
    # The flow optimum relaxes "linked": no assignment meeting the constraints beats it.
    bound = best.total
    if len(best.groups) <= 1:
        outcome = _Outcome(best, "optimal", 1, "The optimal assignment already links every juror.")
    elif not require_connected:
        outcome = _Outcome(best, "not_requested", 1, "Linking jurors was not requested.")
    elif problem.jurors_per_bid == 1:
        # With one juror per bid no two jurors share a bid: only a single juror taking every
        # bid would be "connected", which is not what leniency estimation needs.
        outcome = _Outcome(
            best,
            "impossible",
            1,
            "With one juror per bid jurors share no bid, so they cannot be linked.",
        )
    elif int(allowed.sum()) <= EXACT_SEARCH_MAX_PAIRS:
        programme = _Programme(problem, similarity)
        first = programme.evaluate(programme.mask_of(best), status=_MILP_STATUS_OPTIMAL)
        outcome = _connect(programme, first=first, max_rounds=max_rounds, deadline=deadline)
    else:
        outcome = _link_large(problem, best, similarity=similarity, allowed=allowed)
    return _result(problem, outcome, bound=bound, similarity=similarity)


@dataclass(frozen=True)
class _Pairs:
    """Chosen pairs (juror index, bid index) ordered by bid then juror, with their groups."""

    jurors: np.ndarray
    bids: np.ndarray
    labels: np.ndarray  # component label per node (jurors first, then bids)
    groups: list[int]  # labels of the components holding a bid
    total: float

    @classmethod
    def of(
        cls, jurors: np.ndarray, bids: np.ndarray, *, n_jurors: int, similarity: np.ndarray
    ) -> _Pairs:
        labels = component_labels(
            n_jurors=n_jurors, n_bids=similarity.shape[1], edge_jurors=jurors, edge_bids=bids
        )
        return cls(
            jurors=jurors,
            bids=bids,
            labels=labels,
            groups=bid_component_labels(labels, n_jurors=n_jurors),
            total=float(similarity[jurors, bids].sum()),
        )


def _link_large(
    problem: _Problem, best: _Pairs, *, similarity: np.ndarray, allowed: np.ndarray
) -> _Outcome:
    """Link the flow optimum's groups by exchanges; the flow optimum bounds what is lost."""
    jurors, bids, exchanges = link_groups_by_swaps(
        pair_jurors=best.jurors,
        pair_bids=best.bids,
        movable=~problem.pinned[best.jurors, best.bids],
        similarity=similarity,
        allowed=allowed,
        min_loads=problem.min_loads,
        max_loads=problem.max_loads,
    )
    linked = _Pairs.of(jurors, bids, n_jurors=len(problem.jurors), similarity=similarity)
    if len(linked.groups) > 1:
        fewest = min(best, linked, key=lambda pairs: len(pairs.groups))
        return _Outcome(
            fewest,
            "not_reached",
            1,
            f"Jurors are not all linked: no exchange of jurors joins the remaining "
            f"{len(fewest.groups)} groups.",
        )
    return _Outcome(
        linked,
        "repaired",
        1,
        f"{exchanges} exchange(s) of jurors linked every juror at a cost of "
        f"{best.total - linked.total:.3f} in total similarity ({best.total:.3f} → "
        f"{linked.total:.3f}); the exact search is not run on a problem this large, so a "
        f"linked assignment up to {best.total - linked.total:.3f} better may exist.",
    )


@dataclass(frozen=True)
class _Outcome:
    pairs: _Pairs
    status: str  # see AssignmentResult.connectivity
    rounds: int
    note: str


def _connect(
    programme: _Programme,
    *,
    first: _Solve,
    max_rounds: int,
    deadline: float,
) -> _Outcome:
    """Link the jurors of the unconstrained optimum `first`: exact cut rounds, else repair.

    A round cut short by the time limit is discarded, whatever it holds: "optimal" is only
    said of a round the solver finished.
    """
    repaired, exchanges = programme.repair(first)
    repaired_linked = len(repaired.bid_components) == 1
    # Each round's optimum relaxes "linked", so it bounds the best linked total from above.
    upper_bound = first.total
    best, current, rounds = first, first, 1
    stop_reason = f"{max_rounds} extra solver round(s)"
    while rounds <= max_rounds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop_reason = "the time limit"
            break
        programme.add_cuts(current)
        solve = programme.solve(time_limit=remaining)
        rounds += 1
        if solve is None or solve.status == _MILP_STATUS_LIMIT:
            # Discarded even if connected: keeping it would make the result timing-dependent.
            stop_reason = "the time limit"
            break
        if solve.status == _MILP_STATUS_INFEASIBLE:
            fewest = min(best, repaired, key=lambda s: len(s.bid_components))
            return _Outcome(
                programme.pairs_of(fewest),
                "impossible",
                rounds,
                "No assignment meeting the constraints links every juror (proved by the "
                f"solver); this one leaves {len(fewest.bid_components)} groups.",
            )
        if len(solve.bid_components) == 1:
            return _Outcome(
                programme.pairs_of(solve),
                "optimal",
                rounds,
                f"Linking every juror took {rounds - 1} extra solver round(s) and cost "
                f"{first.total - solve.total:.3f} in total similarity "
                f"({first.total:.3f} → {solve.total:.3f}).",
            )
        upper_bound = solve.total
        if repaired_linked and repaired.total >= upper_bound - _SAME_TOTAL:
            return _Outcome(
                programme.pairs_of(repaired),
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
            programme.pairs_of(repaired),
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
        programme.pairs_of(fewest),
        "not_reached",
        rounds,
        f"Jurors are not all linked: the exact search stopped after {stop_reason} and no "
        f"exchange of jurors joins the remaining {len(fewest.bid_components)} groups.",
    )


def _result(
    problem: _Problem, outcome: _Outcome, *, bound: float, similarity: np.ndarray
) -> AssignmentResult:
    chosen = outcome.pairs
    notes = [outcome.note]
    jurors, bids = problem.jurors, problem.bids
    pairs = tuple(
        AssignedPair(
            juror_id=jurors[j].id,
            bid_id=bids[b].id,
            similarity=float(similarity[j, b]),
            pinned=bool(problem.pinned[j, b]),
        )
        for j, b in zip(chosen.jurors, chosen.bids, strict=True)
    )
    loads = np.bincount(chosen.jurors, minlength=len(jurors))
    idle = [juror.id for j, juror in enumerate(jurors) if loads[j] == 0]
    groups: dict[int, list[Hashable]] = {}
    for j, juror in enumerate(jurors):
        if loads[j] > 0:
            groups.setdefault(int(chosen.labels[j]), []).append(juror.id)
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
        upper_bound=bound,
    )
