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
