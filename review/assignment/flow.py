"""The best matching, connectivity aside: a min-cost flow on OR-Tools, proved over all pairs.

Network: every bid supplies the jurors it still needs; one arc of capacity 1 per candidate
(juror, bid) pair, cost minus the similarity (scaled to integers); every juror absorbs at
least its minimum load and passes up to `max - min` more to a sink. The constraint matrix
is that of a bipartite b-matching, so the integral flow optimum is the optimum of the
assignment programme without the connectivity requirement, and an upper bound on every
connected assignment.

At 10,000 bids × 2,000 jurors the full network has 20 million arcs (about 2.5 GB inside
the solver). Pricing keeps it small: the flow is solved on each bid's and each juror's best
candidates, then node potentials (shortest distances in the residual network) prove that
no pair left out could improve it; pairs whose reduced cost is negative join and the flow
is solved again. The result is the optimum over all pairs, certified, not an approximation.

Similarities are scaled to integers (`COST_SCALE`): the optimum is exact for the rounded
weights, which differ from the true ones by less than 1e-6 per pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

COST_SCALE = 1_000_000
_BEST_PER_BID = 24  # candidates kept per bid in the first working network (besides k)
_BEST_PER_JUROR_FACTOR = 2  # each juror keeps its 2 × max-load best bids


@dataclass(frozen=True)
class Matching:
    jurors: np.ndarray  # juror index of each chosen pair (int64)
    bids: np.ndarray  # bid index of each chosen pair, pairs ordered by bid then juror
    pricing_rounds: int  # flow solves until no pair left out could improve the optimum
    network_pairs: int  # candidate pairs in the last (proved) network


def best_matching(
    *,
    similarity: np.ndarray,
    candidate: np.ndarray,
    bid_demand: np.ndarray,
    min_loads: np.ndarray,
    max_loads: np.ndarray,
) -> Matching | None:
    """Optimal pairs (juror index, bid index), or None when no matching meets the bounds.

    `candidate` (bool, jurors × bids) marks the pairs allowed; `bid_demand` is the number
    of jurors each bid still needs, `min_loads`/`max_loads` the bounds on each juror's
    pairs (all int arrays). Deterministic: the same input gives the same pairs.
    """
    n_jurors, n_bids = candidate.shape
    if n_bids == 0 or int(bid_demand.sum()) == 0:
        empty = np.zeros(0, dtype=np.int64)
        feasible = bool((min_loads <= 0).all())
        return Matching(empty, empty, 0, 0) if feasible else None
    # Bid-major (bids × jurors) from here on: every per-bid step runs along contiguous rows.
    costs = np.ascontiguousarray((-np.rint(similarity * COST_SCALE)).astype(np.int64).T)
    allowed = np.ascontiguousarray(candidate.T)
    everything = int(allowed.sum())
    working = _first_network(
        costs, allowed, similarity, candidate, bid_demand=bid_demand, max_loads=max_loads
    )
    rounds = 0
    while True:
        rounds += 1
        chosen_bids, chosen_jurors, distance, complete = _solve(
            costs, working, bid_demand, min_loads, max_loads
        )
        added = None
        if int(working.sum()) < everything:
            added = _most_improving(costs, allowed, working, distance)
        if added is None:
            if not complete:
                return None  # no pair left to price, and a bid or a minimum load is unmet
            break
        working |= added
    order = np.lexsort((chosen_jurors, chosen_bids))
    return Matching(
        jurors=chosen_jurors[order],
        bids=chosen_bids[order],
        pricing_rounds=rounds,
        network_pairs=int(working.sum()),
    )


_ADDED_PER_BID = 8  # pairs a pricing round may add to each bid: the most improving ones
_PRICING_BLOCK = 1_000_000  # reduced costs computed per block (8 MB of int64)


def _most_improving(
    costs: np.ndarray,
    allowed: np.ndarray,
    working: np.ndarray,
    distance: np.ndarray,
) -> np.ndarray | None:
    """Per bid, up to `_ADDED_PER_BID` left-out pairs of negative reduced cost, the most
    negative; None when there is none, which proves the flow optimal over all pairs.

    Reduced cost of pair (bid, juror) under the potentials: cost + d(bid) - d(juror).
    Adding every improving pair at once would rebuild the whole network when the first
    potentials are far from the final ones; the best few per bid converge in a few rounds.
    Computed by blocks of bids so the temporaries stay small (and in cache).
    """
    n_bids, n_jurors = costs.shape
    juror_potential = distance[n_bids : n_bids + n_jurors]
    count = min(_ADDED_PER_BID, n_jurors)
    added = np.zeros_like(working)
    found = False
    block = max(1, _PRICING_BLOCK // max(n_jurors, 1))
    for start in range(0, n_bids, block):
        rows = slice(start, min(start + block, n_bids))
        reduced = costs[rows] + (distance[rows, None] - juror_potential[None, :])
        reduced[~allowed[rows] | working[rows]] = 0
        improving_rows = np.flatnonzero((reduced < 0).any(axis=1))
        if not len(improving_rows):
            continue
        found = True
        scores = reduced[improving_rows]
        top = np.argpartition(scores, count - 1, axis=1)[:, :count]
        picked = np.take_along_axis(scores, top, axis=1) < 0
        bid_rows = np.broadcast_to((start + improving_rows)[:, None], top.shape)
        added[bid_rows[picked], top[picked]] = True
    return added if found else None


def _first_network(
    costs: np.ndarray,
    allowed: np.ndarray,
    similarity: np.ndarray,
    candidate: np.ndarray,
    *,
    bid_demand: np.ndarray,
    max_loads: np.ndarray,
) -> np.ndarray:
    """Each bid's best candidates and each juror's best bids: where the optimum lives.

    `costs`/`allowed` are bid-major, `similarity`/`candidate` juror-major (each count runs
    along contiguous rows). Returns the bid-major mask.
    """
    n_bids, n_jurors = allowed.shape
    working = np.zeros_like(allowed)
    per_bid = min(n_jurors, int(bid_demand.max()) + _BEST_PER_BID)
    if per_bid >= n_jurors:
        return allowed.copy()
    masked = np.where(allowed, costs, np.iinfo(np.int64).max)
    top = np.argpartition(masked, per_bid - 1, axis=1)[:, :per_bid]
    del masked
    working[np.arange(n_bids)[:, None], top] = True
    per_juror = min(n_bids, int(max_loads.max(initial=0)) * _BEST_PER_JUROR_FACTOR)
    if per_juror >= n_bids:
        return allowed.copy()
    if per_juror > 0:
        by_juror = np.where(candidate, similarity, -np.inf)
        top = np.argpartition(-by_juror, per_juror - 1, axis=1)[:, :per_juror]
        del by_juror
        working[top, np.arange(n_jurors)[:, None]] = True
    return working & allowed


def _solve(
    costs: np.ndarray,
    working: np.ndarray,
    bid_demand: np.ndarray,
    min_loads: np.ndarray,
    max_loads: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(chosen bids, chosen jurors, node potentials, complete) on the working network.

    `costs` and `working` are bid-major (bids × jurors). The network always has a flow:
    artificial arcs at a prohibitive cost let a bid go without a juror and give a juror its
    minimum load from nowhere. `complete` is false when the optimum still uses one: either
    the working network lacks pairs (pricing brings them in, since every real pair is far
    cheaper) or, once no pair is left to price, no matching meets the bounds.
    """
    n_bids, n_jurors = working.shape
    sink, shortfall, filler = n_bids + n_jurors, n_bids + n_jurors + 1, n_bids + n_jurors + 2
    pair_bids, pair_jurors = (index.astype(np.int64) for index in np.nonzero(working))
    juror_nodes = n_bids + np.arange(n_jurors, dtype=np.int64)
    total_demand = int(bid_demand.sum())
    # Dearer than any cycle of real pairs can gain (a simple cycle visits each node once).
    prohibitive = (filler + 2) * COST_SCALE
    tails = np.concatenate(
        [
            pair_bids,  # a candidate pair
            juror_nodes,  # a juror's load beyond its minimum
            np.arange(n_bids, dtype=np.int64),  # a bid without a juror (artificial)
            [shortfall],
            np.full(n_jurors, filler, dtype=np.int64),  # a minimum load from nowhere
            [filler],
        ]
    )
    heads = np.concatenate(
        [
            n_bids + pair_jurors,
            np.full(n_jurors, sink, dtype=np.int64),
            np.full(n_bids, shortfall, dtype=np.int64),
            [sink],
            juror_nodes,
            [sink],
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(len(pair_bids), dtype=np.int64),
            (max_loads - min_loads).astype(np.int64),
            bid_demand.astype(np.int64),
            [total_demand],
            min_loads.astype(np.int64),
            [int(min_loads.sum())],
        ]
    )
    arc_costs = np.concatenate(
        [
            costs[pair_bids, pair_jurors],
            np.zeros(n_jurors, dtype=np.int64),
            np.full(n_bids, prohibitive, dtype=np.int64),
            [0],
            np.full(n_jurors, prohibitive, dtype=np.int64),
            [0],
        ]
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, arc_costs)
    # Bids supply their demand, jurors absorb their minimum, the filler lends every minimum
    # (sent straight to the sink when real pairs meet it), the sink takes the rest.
    supplies = np.concatenate(
        [
            bid_demand.astype(np.int64),
            -min_loads.astype(np.int64),
            [-total_demand, 0, int(min_loads.sum())],
        ]
    )
    solver.set_nodes_supplies(np.arange(filler + 1, dtype=np.int64), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - the artificial arcs make it feasible
        raise ArithmeticError(f"the min-cost flow solver returned {status}")
    flows = solver.flows(np.arange(len(tails), dtype=np.int64))
    real = len(pair_bids)
    artificial = np.concatenate(
        [np.zeros(real + n_jurors, dtype=bool), np.ones(n_bids, dtype=bool), [False]]
    )
    artificial = np.concatenate([artificial, np.ones(n_jurors, dtype=bool), [False]])
    complete = not (flows[artificial] > 0).any()
    distance = _residual_potentials(
        n_nodes=filler + 1,
        tails=tails,
        heads=heads,
        costs=arc_costs,
        capacities=capacities,
        flows=flows,
    )
    chosen = flows[:real] > 0
    return pair_bids[chosen], pair_jurors[chosen], distance, complete


def _residual_potentials(
    *,
    n_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    costs: np.ndarray,
    capacities: np.ndarray,
    flows: np.ndarray,
) -> np.ndarray:
    """Shortest distances from a virtual root (0-cost arc to every node), Bellman-Ford.

    An optimal flow leaves no negative cycle, so the distances exist, and every residual
    arc has a reduced cost `cost + d(tail) - d(head) >= 0`: they are the potentials that
    certify optimality, and price the pairs left out of the network.
    """
    forward = flows < capacities
    backward = flows > 0
    residual_tails = np.concatenate([tails[forward], heads[backward]])
    residual_heads = np.concatenate([heads[forward], tails[backward]])
    residual_costs = np.concatenate([costs[forward], -costs[backward]])
    distance = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        relaxed = distance.copy()
        np.minimum.at(relaxed, residual_heads, distance[residual_tails] + residual_costs)
        if np.array_equal(relaxed, distance):
            return distance
        distance = relaxed
    raise ArithmeticError("negative cycle in an optimal residual network")  # pragma: no cover
