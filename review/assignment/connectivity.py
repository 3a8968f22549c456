"""Connectivity of the juror overlap graph (jurors linked when they share a bid).

Leniency estimation (score = bid quality + juror leniency + noise) can only compare
jurors that are linked, directly or through others, by shared bids. We work on the
bipartite graph jurors + bids with one edge per assigned pair: since every bid has at
least one juror, the active jurors are linked through shared bids exactly when this
bipartite graph, without the idle jurors, is connected.
"""

from __future__ import annotations

import networkx as nx
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


_SWAP_BLOCK = 4_000_000  # swap costs evaluated per numpy block (32 MB of float64)
# Pairs of each side an exchange may give up: the weakest ones. Every exchange loses a few
# pairs' similarity out of thousands, so a wider search would buy nothing measurable.
_PAIRS_PER_SIDE = 1500
_TRIALS_PER_STEP = 64  # cheapest exchanges tried (each costs one components pass)


def link_groups_by_swaps(
    *,
    pair_jurors: np.ndarray,
    pair_bids: np.ndarray,
    movable: np.ndarray,
    similarity: np.ndarray,
    allowed: np.ndarray,
    min_loads: np.ndarray,
    max_loads: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Link the juror groups of a large feasible assignment by cheap exchanges (heuristic).

    For calls of thousands of bids, where `repair_by_exchanges` (all pairs of pairs) does
    not fit in memory. The arrays list the chosen pairs; `allowed` (bool, jurors × bids)
    marks the pairs an exchange may create (no conflict, load above 0). Each step takes the
    group with the fewest pairs and joins it to another one by the cheapest exchange in lost
    similarity: a swap (juror a on bid x inside, juror b on bid y outside trade bids, loads
    unchanged) or, failing that, a move (a bid's juror replaced by a juror of another
    group, within loads). Pinned pairs (`movable` false) never change. Returns the new
    pairs (ordered by bid, then juror) and the number of exchanges applied; the result may
    still be disconnected when no exchange joins the smallest group.
    """
    n_jurors, n_bids = allowed.shape
    jurors, bids, movable = pair_jurors.copy(), pair_bids.copy(), movable.copy()
    exchanges = 0
    while True:
        labels = component_labels(
            n_jurors=n_jurors, n_bids=n_bids, edge_jurors=jurors, edge_bids=bids
        )
        groups = bid_component_labels(labels, n_jurors=n_jurors)
        if len(groups) <= 1:
            break
        pair_group = labels[jurors]
        sizes = {group: int((pair_group == group).sum()) for group in groups}
        smallest = min(groups, key=lambda group: (sizes[group], groups.index(group)))
        weights = similarity[jurors, bids]
        inside = _weakest(np.flatnonzero((pair_group == smallest) & movable), weights)
        outside = _weakest(np.flatnonzero((pair_group != smallest) & movable), weights)
        loads = np.bincount(jurors, minlength=n_jurors)
        # Dropping a bridge splits its group again, undoing the link the exchange adds; a
        # swap joins the groups unless both pairs it drops are bridges, a move unless its
        # pair is one.
        bridge = _bridges(jurors, bids, n_jurors=n_jurors)
        trials = _cheapest_swaps(inside, outside, jurors, bids, similarity, allowed, bridge)
        trials += _cheapest_moves(
            inside[~bridge[inside]],
            outside[~bridge[outside]],
            labels,
            smallest,
            jurors,
            bids,
            similarity,
            allowed,
            loads,
            min_loads=min_loads,
            max_loads=max_loads,
        )
        trials.sort(key=lambda trial: trial[0])  # stable: equal costs keep generation order
        for _, drop, add_jurors, add_bids in trials[:_TRIALS_PER_STEP]:
            keep = np.ones(len(jurors), dtype=bool)
            keep[list(drop)] = False
            trial_jurors = np.concatenate([jurors[keep], np.array(add_jurors, dtype=np.int64)])
            trial_bids = np.concatenate([bids[keep], np.array(add_bids, dtype=np.int64)])
            trial_labels = component_labels(
                n_jurors=n_jurors, n_bids=n_bids, edge_jurors=trial_jurors, edge_bids=trial_bids
            )
            if len(bid_component_labels(trial_labels, n_jurors=n_jurors)) < len(groups):
                jurors, bids = trial_jurors, trial_bids
                movable = np.concatenate([movable[keep], np.ones(len(add_jurors), dtype=bool)])
                exchanges += 1
                break
        else:
            break
    order = np.lexsort((jurors, bids))
    return jurors[order], bids[order], exchanges


def _weakest(positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The `_PAIRS_PER_SIDE` positions of lowest similarity, in their original order."""
    if len(positions) <= _PAIRS_PER_SIDE:
        return positions
    weakest = np.argsort(weights[positions], kind="stable")[:_PAIRS_PER_SIDE]
    return positions[np.sort(weakest)]


def _bridges(jurors: np.ndarray, bids: np.ndarray, *, n_jurors: int) -> np.ndarray:
    """Whether each pair is a bridge of the juror-bid graph (its removal splits a group)."""
    graph = nx.Graph()
    edges = list(zip(jurors.tolist(), (n_jurors + bids).tolist(), strict=True))
    graph.add_edges_from(edges)
    bridges = {frozenset(edge) for edge in nx.bridges(graph)}
    return np.array([frozenset(edge) in bridges for edge in edges], dtype=bool)


# (lost similarity, pair positions dropped, jurors added, bids added)
_Trial = tuple[float, tuple[int, ...], tuple[int, ...], tuple[int, ...]]


def _cheapest_swaps(
    inside: np.ndarray,
    outside: np.ndarray,
    jurors: np.ndarray,
    bids: np.ndarray,
    similarity: np.ndarray,
    allowed: np.ndarray,
    bridge: np.ndarray,
) -> list[_Trial]:
    """The cheapest swaps between a pair inside the group and one outside, in blocks."""
    if not len(inside) or not len(outside):
        return []
    a, x = jurors[inside], bids[inside]
    b, y = jurors[outside], bids[outside]
    trials: list[_Trial] = []
    block = max(1, _SWAP_BLOCK // len(outside))
    for start in range(0, len(inside), block):
        rows = slice(start, start + block)
        cost = (
            similarity[a[rows], x[rows]][:, None]
            + similarity[b, y][None, :]
            - similarity[a[rows][:, None], y[None, :]]
            - similarity[b[None, :], x[rows][:, None]]
        )
        valid = allowed[a[rows][:, None], y[None, :]] & allowed[b[None, :], x[rows][:, None]]
        valid &= ~(bridge[inside[rows]][:, None] & bridge[outside][None, :])
        cost[~valid] = np.inf
        flat = cost.ravel()
        count = min(_TRIALS_PER_STEP, flat.size)
        best = np.argpartition(flat, count - 1)[:count]
        for position in best[np.argsort(flat[best], kind="stable")]:
            if not np.isfinite(flat[position]):
                continue
            i, o = divmod(int(position), len(outside))
            p, q = int(inside[start + i]), int(outside[o])
            trials.append(
                (
                    float(flat[position]),
                    (p, q),
                    (int(jurors[p]), int(jurors[q])),
                    (int(bids[q]), int(bids[p])),
                )
            )
    return trials


def _cheapest_moves(
    inside: np.ndarray,
    outside: np.ndarray,
    labels: np.ndarray,
    smallest: int,
    jurors: np.ndarray,
    bids: np.ndarray,
    similarity: np.ndarray,
    allowed: np.ndarray,
    loads: np.ndarray,
    *,
    min_loads: np.ndarray,
    max_loads: np.ndarray,
) -> list[_Trial]:
    """Bids whose juror is replaced by an active juror of the other side, within loads."""
    n_jurors = len(loads)
    juror_group_inside = labels[:n_jurors] == smallest
    receives = (loads > 0) & (loads < max_loads)
    trials: list[_Trial] = []
    for pairs, receivers in (
        (inside, np.flatnonzero(receives & ~juror_group_inside)),
        (outside, np.flatnonzero(receives & juror_group_inside)),
    ):
        givers = pairs[loads[jurors[pairs]] > min_loads[jurors[pairs]]]
        if not len(givers) or not len(receivers):
            continue
        block = max(1, _SWAP_BLOCK // len(receivers))
        for start in range(0, len(givers), block):
            chunk = givers[start : start + block]
            cost = (
                similarity[jurors[chunk], bids[chunk]][:, None]
                - similarity[receivers[None, :], bids[chunk][:, None]]
            )
            cost[~allowed[receivers[None, :], bids[chunk][:, None]]] = np.inf
            # Receivers are on the other side of the split, so none is already on the bid.
            flat = cost.ravel()
            count = min(_TRIALS_PER_STEP, flat.size)
            best = np.argpartition(flat, count - 1)[:count]
            for position in best[np.argsort(flat[best], kind="stable")]:
                if not np.isfinite(flat[position]):
                    continue
                g, r = divmod(int(position), len(receivers))
                p = int(chunk[g])
                trials.append((float(flat[position]), (p,), (int(receivers[r]),), (int(bids[p]),)))
    return trials
