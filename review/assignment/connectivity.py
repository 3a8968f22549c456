"""Connectivity of the juror overlap graph (jurors linked when they share a bid).

Leniency estimation (score = bid quality + juror leniency + noise) can only compare
jurors that are linked, directly or through others, by shared bids. We work on the
bipartite graph jurors + bids with one edge per assigned pair: since every bid has at
least one juror, the active jurors are linked through shared bids exactly when this
bipartite graph, without the idle jurors, is connected.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph


def component_labels(
    *, n_jurors: int, n_bids: int, edge_jurors: np.ndarray, edge_bids: np.ndarray
) -> np.ndarray:
    """Component label per node: jurors are nodes 0..n_jurors-1, bids follow.

    `edge_jurors`/`edge_bids` list the assigned pairs. Labels are canonical (numbered in
    order of first node), so they are deterministic.
    """
    n_nodes = n_jurors + n_bids
    adjacency = sparse.coo_matrix(
        (np.ones(len(edge_jurors)), (edge_jurors, n_jurors + edge_bids)),
        shape=(n_nodes, n_nodes),
    )
    _, labels = csgraph.connected_components(adjacency, directed=False)
    return np.asarray(labels)


def bid_component_labels(labels: np.ndarray, *, n_jurors: int) -> list[int]:
    """Distinct labels of components that hold at least one bid, in order of first bid."""
    return list(dict.fromkeys(int(label) for label in labels[n_jurors:]))


def cut_row(
    labels: np.ndarray,
    *,
    component: int,
    n_jurors: int,
    all_jurors: np.ndarray,
    all_bids: np.ndarray,
) -> np.ndarray:
    """Coefficients (0/1 per candidate pair) of the cut "this component links to the rest".

    Valid for every connected assignment: when the bids are split between this component
    and others, at least one chosen pair must cross the split. `all_jurors`/`all_bids`
    describe every candidate pair (variable) of the integer programme.
    """
    juror_inside = labels[all_jurors] == component
    bid_inside = labels[n_jurors + all_bids] == component
    return (juror_inside != bid_inside).astype(np.float64)


def repair_by_exchanges(
    *,
    chosen: np.ndarray,
    pair_jurors: np.ndarray,
    pair_bids: np.ndarray,
    weights: np.ndarray,
    pinned: np.ndarray,
    min_loads: np.ndarray,
    max_loads: np.ndarray,
    n_bids: int,
    candidates_per_step: int = 5000,
) -> tuple[np.ndarray, int]:
    """Link the juror groups of a feasible assignment by cheap local exchanges (heuristic).

    Used when the exact cut loop runs out of rounds or time. Each step applies the cheapest
    exchange (in lost similarity) that reduces the number of groups:
    - a swap: juror a on bid x (group A) and juror b on bid y (group B) trade bids, which
      keeps every load; or
    - a move: a bid's juror is replaced by an active juror of another group, within loads.
    Conflicts and pinned pairs are respected because only candidate pairs (non-conflicted)
    are used and pinned pairs never move. All arrays describe candidate pairs (variables);
    returns the new `chosen` mask and the number of exchanges applied. The result may still
    be disconnected when no single exchange links two groups.
    """
    n_jurors = len(min_loads)
    chosen = chosen.copy()
    index_of = np.full((n_jurors, n_bids), -1, dtype=np.int64)
    index_of[pair_jurors, pair_bids] = np.arange(len(pair_jurors))
    exchanges = 0
    while True:
        labels = component_labels(
            n_jurors=n_jurors,
            n_bids=n_bids,
            edge_jurors=pair_jurors[chosen],
            edge_bids=pair_bids[chosen],
        )
        n_groups = len(bid_component_labels(labels, n_jurors=n_jurors))
        if n_groups <= 1:
            return chosen, exchanges
        loads = np.bincount(pair_jurors[chosen], minlength=n_jurors)
        assigned = np.flatnonzero(chosen & ~pinned)  # pairs allowed to change
        group = labels[pair_jurors[assigned]]
        options = _swap_options(assigned, group, chosen, index_of, pair_jurors, pair_bids, weights)
        options += _move_options(
            assigned,
            group,
            labels,
            loads,
            chosen,
            index_of,
            pair_jurors,
            pair_bids,
            weights,
            min_loads=min_loads,
            max_loads=max_loads,
        )
        if not options:
            return chosen, exchanges
        costs = np.concatenate([cost for cost, _, _ in options])
        drops = np.concatenate([drop for _, drop, _ in options], axis=0)
        adds = np.concatenate([add for _, _, add in options], axis=0)
        # Stable sort: equal costs keep generation order, so the outcome is deterministic.
        for option in np.argsort(costs, kind="stable")[:candidates_per_step]:
            trial = chosen.copy()
            trial[drops[option]] = False
            trial[adds[option]] = True
            trial_labels = component_labels(
                n_jurors=n_jurors,
                n_bids=n_bids,
                edge_jurors=pair_jurors[trial],
                edge_bids=pair_bids[trial],
            )
            if len(bid_component_labels(trial_labels, n_jurors=n_jurors)) < n_groups:
                chosen = trial
                exchanges += 1
                break
        else:
            return chosen, exchanges


_Options = list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (cost, pairs dropped, pairs added)


def _swap_options(
    assigned: np.ndarray,
    group: np.ndarray,
    chosen: np.ndarray,
    index_of: np.ndarray,
    pair_jurors: np.ndarray,
    pair_bids: np.ndarray,
    weights: np.ndarray,
) -> _Options:
    first, second = np.triu_indices(len(assigned), k=1)
    first, second = first[group[first] != group[second]], second[group[first] != group[second]]
    p, q = assigned[first], assigned[second]
    gain_p = index_of[pair_jurors[p], pair_bids[q]]  # juror of p takes the bid of q
    gain_q = index_of[pair_jurors[q], pair_bids[p]]
    valid = (gain_p >= 0) & (gain_q >= 0)
    valid[valid] &= ~chosen[gain_p[valid]] & ~chosen[gain_q[valid]]
    p, q, gain_p, gain_q = p[valid], q[valid], gain_p[valid], gain_q[valid]
    if not len(p):
        return []
    cost = weights[p] + weights[q] - weights[gain_p] - weights[gain_q]
    return [(cost, np.stack([p, q], axis=1), np.stack([gain_p, gain_q], axis=1))]


def _move_options(
    assigned: np.ndarray,
    group: np.ndarray,
    labels: np.ndarray,
    loads: np.ndarray,
    chosen: np.ndarray,
    index_of: np.ndarray,
    pair_jurors: np.ndarray,
    pair_bids: np.ndarray,
    weights: np.ndarray,
    *,
    min_loads: np.ndarray,
    max_loads: np.ndarray,
) -> _Options:
    # Receivers must be active (an idle juror belongs to no group) and below their maximum;
    # the juror giving the bid up must stay at or above their minimum.
    receivers = np.flatnonzero((loads > 0) & (loads < max_loads))
    givers_ok = loads[pair_jurors[assigned]] > min_loads[pair_jurors[assigned]]
    pair_pos, receiver_pos = np.nonzero(
        givers_ok[:, None] & (labels[receivers][None, :] != group[:, None])
    )
    p = assigned[pair_pos]
    gain = index_of[receivers[receiver_pos], pair_bids[p]]
    valid = gain >= 0
    valid[valid] &= ~chosen[gain[valid]]
    p, gain = p[valid], gain[valid]
    if not len(p):
        return []
    # Two identical columns so moves stack with swaps (dropping/adding a pair twice is a no-op).
    return [(weights[p] - weights[gain], np.stack([p, p], axis=1), np.stack([gain, gain], axis=1))]
