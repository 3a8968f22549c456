"""Why an assignment cannot exist, in words an administrator can act on.

`explicit_reasons` checks the simple counting conditions before any solver runs.
`matching_reasons` is called only after the solver reports infeasibility: it looks for a
group of bids (or jurors) whose demand their possible partners cannot cover, using a
max-flow / min-cut (Hall's condition for b-matchings). For this bipartite problem the two
one-sided conditions together appear sufficient (20,000 random small instances produced
no counter-example), so the generic "no_solution" message is a safety net, not a path we
expect to take.

All matrices are boolean, shape (jurors, bids).
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from review.assignment.problem import BidInput, InfeasibilityReason, JurorInput

_MAX_NAMES = 8


def _names(items: Sequence[BidInput] | Sequence[JurorInput]) -> str:
    names = [item.name for item in items]
    if len(names) <= _MAX_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:_MAX_NAMES])} and {len(names) - _MAX_NAMES} others"


def explicit_reasons(
    *,
    bids: Sequence[BidInput],
    jurors: Sequence[JurorInput],
    conflicted: np.ndarray,
    pinned: np.ndarray,
    jurors_per_bid: int,
) -> list[InfeasibilityReason]:
    """Every simple counting condition that fails (empty list: none does)."""
    reasons: list[InfeasibilityReason] = []
    k = jurors_per_bid
    max_loads = np.array([juror.max_load for juror in jurors], dtype=np.int64)
    min_loads = np.array([juror.min_load for juror in jurors], dtype=np.int64)
    # A juror with max load 0 cannot take any bid, so counts as unavailable like a conflict.
    eligible = ~conflicted & (max_loads > 0)[:, None]

    for j, b in zip(*np.nonzero(pinned & conflicted), strict=True):
        reasons.append(
            InfeasibilityReason(
                code="pinned_conflict",
                message=(
                    f"juror {jurors[j].name} is pinned to bid {bids[b].name} "
                    "but has a conflict of interest with it"
                ),
                params={"juror": jurors[j].id, "bid": bids[b].id},
            )
        )
    pinned_per_bid = pinned.sum(axis=0)
    pinned_per_juror = pinned.sum(axis=1)
    eligible_per_bid = eligible.sum(axis=0)
    eligible_per_juror = eligible.sum(axis=1)
    for b, bid in enumerate(bids):
        if pinned_per_bid[b] > k:
            reasons.append(
                InfeasibilityReason(
                    code="bid_too_many_pinned",
                    message=f"bid {bid.name} has {pinned_per_bid[b]} pinned jurors but takes {k}",
                    params={"bid": bid.id, "pinned": int(pinned_per_bid[b]), "needed": k},
                )
            )
        if eligible_per_bid[b] < k:
            reasons.append(
                InfeasibilityReason(
                    code="bid_too_few_jurors",
                    message=(
                        f"bid {bid.name} has only {eligible_per_bid[b]} non-conflicted jurors "
                        f"but needs {k}"
                    ),
                    params={"bid": bid.id, "available": int(eligible_per_bid[b]), "needed": k},
                )
            )
    for j, juror in enumerate(jurors):
        if pinned_per_juror[j] > juror.max_load:
            reasons.append(
                InfeasibilityReason(
                    code="juror_too_many_pinned",
                    message=(
                        f"juror {juror.name} has {pinned_per_juror[j]} pinned bids "
                        f"but a maximum load of {juror.max_load}"
                    ),
                    params={
                        "juror": juror.id,
                        "pinned": int(pinned_per_juror[j]),
                        "max_load": juror.max_load,
                    },
                )
            )
        if eligible_per_juror[j] < juror.min_load:
            reasons.append(
                InfeasibilityReason(
                    code="juror_too_few_bids",
                    message=(
                        f"juror {juror.name} has only {eligible_per_juror[j]} non-conflicted "
                        f"bids but a minimum load of {juror.min_load}"
                    ),
                    params={
                        "juror": juror.id,
                        "available": int(eligible_per_juror[j]),
                        "min_load": juror.min_load,
                    },
                )
            )

    demand = len(bids) * k
    if max_loads.sum() < demand:
        reasons.append(
            InfeasibilityReason(
                code="capacity_below_demand",
                message=(
                    f"total capacity (sum of max loads = {max_loads.sum()}) is below "
                    f"bids × k = {len(bids)} × {k} = {demand}"
                ),
                params={"capacity": int(max_loads.sum()), "demand": demand},
            )
        )
    if min_loads.sum() > demand:
        reasons.append(
            InfeasibilityReason(
                code="minimum_loads_exceed_demand",
                message=(
                    f"sum of minimum loads ({min_loads.sum()}) exceeds "
                    f"bids × k = {len(bids)} × {k} = {demand}"
                ),
                params={"minimum": int(min_loads.sum()), "demand": demand},
            )
        )
    return reasons


def _min_cut_source_side(
    *, supply: np.ndarray, edges: np.ndarray, demand: np.ndarray
) -> tuple[int, set[int], set[int]]:
    """Max flow source → left (cap supply) → right (cap 1 per edge) → sink (cap demand).

    Returns the flow value and the left and right indices on the source side of a min cut.
    """
    graph = nx.DiGraph()
    graph.add_node("source")
    graph.add_node("sink")
    for left, cap in enumerate(supply):
        graph.add_edge("source", ("left", left), capacity=int(cap))
    for right, cap in enumerate(demand):
        graph.add_edge(("right", right), "sink", capacity=int(cap))
    for left, right in zip(*np.nonzero(edges), strict=True):
        graph.add_edge(("left", int(left)), ("right", int(right)), capacity=1)
    value, flow = nx.maximum_flow(graph, "source", "sink")
    # Smallest source side of a min cut: nodes reachable from the source in the residual
    # graph. (nx.minimum_cut returns the largest one, which names needlessly many bids.)
    source_side: set[str | tuple[str, int]] = {"source"}
    frontier: list[str | tuple[str, int]] = ["source"]
    while frontier:
        node = frontier.pop()
        forward = (
            head for head, data in graph.succ[node].items() if flow[node][head] < data["capacity"]
        )
        backward = (tail for tail in graph.pred[node] if flow[tail][node] > 0)
        for neighbour in (*forward, *backward):
            if neighbour not in source_side:
                source_side.add(neighbour)
                frontier.append(neighbour)
    lefts = {node[1] for node in source_side if isinstance(node, tuple) and node[0] == "left"}
    rights = {node[1] for node in source_side if isinstance(node, tuple) and node[0] == "right"}
    return int(value), lefts, rights


def matching_reasons(
    *,
    bids: Sequence[BidInput],
    jurors: Sequence[JurorInput],
    conflicted: np.ndarray,
    pinned: np.ndarray,
    jurors_per_bid: int,
) -> list[InfeasibilityReason]:
    """Explain an infeasibility the counting checks missed (call after they passed).

    Pinned pairs are taken out first: they use up a place on their bid and on their juror.
    """
    max_loads = np.array([juror.max_load for juror in jurors], dtype=np.int64)
    min_loads = np.array([juror.min_load for juror in jurors], dtype=np.int64)
    free = ~conflicted & ~pinned & (max_loads > 0)[:, None]
    places_left = jurors_per_bid - pinned.sum(axis=0)  # per bid
    capacity_left = max_loads - pinned.sum(axis=1)  # per juror
    minimum_left = np.maximum(min_loads - pinned.sum(axis=1), 0)  # per juror

    # Bids side: can every bid be filled without exceeding maximum loads?
    flow, bid_group, _ = _min_cut_source_side(
        supply=places_left, edges=free.T, demand=capacity_left
    )
    if flow < places_left.sum() and bid_group:
        group = sorted(bid_group)
        needed = int(places_left[group].sum())
        # What the jurors can give this group: their spare capacity, one place per bid.
        offered = int(np.minimum(capacity_left, free[:, group].sum(axis=1)).sum())
        return [
            InfeasibilityReason(
                code="bids_group_too_few_jurors",
                message=(
                    f"bids {_names([bids[b] for b in group])} together need {needed} more "
                    f"jurors, but their non-conflicted jurors can take at most {offered} of "
                    "these places (maximum loads, one place per bid)"
                ),
                params={"bids": [bids[b].id for b in group], "needed": needed, "offered": offered},
            )
        ]

    # Jurors side: can every minimum load be met without overfilling bids?
    flow, juror_group, _ = _min_cut_source_side(supply=minimum_left, edges=free, demand=places_left)
    if flow < minimum_left.sum() and juror_group:
        group = sorted(juror_group)
        needed = int(minimum_left[group].sum())
        offered = int(np.minimum(places_left, free[group, :].sum(axis=0)).sum())
        return [
            InfeasibilityReason(
                code="jurors_group_too_few_bids",
                message=(
                    f"jurors {_names([jurors[j] for j in group])} together need at least "
                    f"{needed} more bids to reach their minimum loads, but the bids they may "
                    f"review have only {offered} places for them (k per bid, conflicts)"
                ),
                params={
                    "jurors": [jurors[j].id for j in group],
                    "needed": needed,
                    "offered": offered,
                },
            )
        ]

    return [
        InfeasibilityReason(
            code="no_solution",
            message=(
                "no assignment meets all constraints together (k jurors per bid, minimum and "
                "maximum loads, conflicts, pinned pairs), although each holds on its own; "
                "try widening the load range or reducing pinned pairs"
            ),
        )
    ]
