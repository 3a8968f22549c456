"""The min-cost-flow matching and the large-call linking (no database).

`best_matching` prices pairs left out of a narrow network; here the network is made as
narrow as possible so every pricing round and every widening runs, and the optimum must
still be the one over all pairs (the full network's, and brute force on tiny instances).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.assignment import (
    AssignmentSolverError,
    BidInput,
    InfeasibleAssignmentError,
    JurorInput,
    assign_jurors,
    solver,
)
from review.assignment import flow as flow_module
from review.assignment.connectivity import component_labels
from review.assignment.flow import COST_SCALE, best_matching
from tests.review.assignment.test_assignment_properties import (
    BRUTE_FORCE_SETTINGS,
    assert_constraints_hold,
    brute_force,
    instances,
    search_space,
)


@pytest.fixture
def narrow_network(monkeypatch):
    """The first network holds only each bid's k best jurors: pricing must do the rest."""
    monkeypatch.setattr(flow_module, "_BEST_PER_BID", 0)
    monkeypatch.setattr(flow_module, "_BEST_PER_JUROR_FACTOR", 0)
    monkeypatch.setattr(flow_module, "_ADDED_PER_BID", 1)


def _random_matching_problem(rng, *, n_jurors, n_bids, k):
    similarity = np.round(rng.random((n_jurors, n_bids)), 3)
    candidate = rng.random((n_jurors, n_bids)) > 0.1
    average = n_bids * k / n_jurors
    return {
        "similarity": similarity,
        "candidate": candidate,
        "bid_demand": np.full(n_bids, k),
        "min_loads": np.full(n_jurors, int(average * 0.7)),
        "max_loads": np.full(n_jurors, int(np.ceil(average * 1.3))),
    }


def _scaled_total(problem, matching):
    return int(np.rint(problem["similarity"][matching.jurors, matching.bids] * COST_SCALE).sum())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 3))
def test_pricing_reaches_the_optimum_over_all_pairs(seed, k):
    rng = np.random.default_rng(seed)
    problem = _random_matching_problem(rng, n_jurors=12, n_bids=40, k=k)
    full = flow_module._solve(
        np.ascontiguousarray(-np.rint(problem["similarity"].T * COST_SCALE).astype(np.int64)),
        np.ascontiguousarray(problem["candidate"].T),
        problem["bid_demand"],
        problem["min_loads"],
        problem["max_loads"],
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flow_module, "_BEST_PER_BID", 0)
        patch.setattr(flow_module, "_BEST_PER_JUROR_FACTOR", 0)
        patch.setattr(flow_module, "_ADDED_PER_BID", 1)
        matching = best_matching(**problem)

    full_bids, full_jurors, _, complete = full
    if not complete:
        assert matching is None
        return
    assert matching is not None
    assert _scaled_total(problem, matching) == int(
        np.rint(problem["similarity"][full_jurors, full_bids] * COST_SCALE).sum()
    )
    assert problem["candidate"][matching.jurors, matching.bids].all()
    assert (np.bincount(matching.bids, minlength=40) == k).all()
    loads = np.bincount(matching.jurors, minlength=12)
    assert (problem["min_loads"] <= loads).all()
    assert (loads <= problem["max_loads"]).all()


def test_pricing_runs_several_rounds_on_a_narrow_network(narrow_network):
    problem = _random_matching_problem(np.random.default_rng(7), n_jurors=30, n_bids=200, k=3)

    matching = best_matching(**problem)

    assert matching is not None
    assert matching.pricing_rounds > 1
    assert matching.network_pairs < problem["candidate"].sum()


def test_best_matching_is_deterministic():
    problem = _random_matching_problem(np.random.default_rng(3), n_jurors=20, n_bids=100, k=3)

    first, second = best_matching(**problem), best_matching(**problem)

    assert np.array_equal(first.jurors, second.jurors)
    assert np.array_equal(first.bids, second.bids)


@BRUTE_FORCE_SETTINGS
@given(instance=instances(max_bids=4, max_jurors=5))
def test_assign_jurors_on_a_narrow_network_matches_brute_force(instance):
    if search_space(instance) > 3000:
        return
    best, _ = brute_force(instance)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flow_module, "_BEST_PER_BID", 0)
        patch.setattr(flow_module, "_BEST_PER_JUROR_FACTOR", 0)
        patch.setattr(flow_module, "_ADDED_PER_BID", 1)
        try:
            result = assign_jurors(**instance, require_connected=False)
        except InfeasibleAssignmentError:
            assert best is None
            return
    assert best is not None
    assert_constraints_hold(instance, result)
    assert result.total_similarity == pytest.approx(best)
    assert result.upper_bound == pytest.approx(best)


def _clustered(n_bids, n_jurors, *, topics=3):
    """Topics sharing no word: the flow optimum splits the jury into `topics` groups."""
    vocabulary = [[f"t{t}w{w}" for w in range(6)] for t in range(topics)]
    rng = np.random.default_rng(11)
    bids = [
        BidInput(id=b, text=" ".join(rng.choice(vocabulary[b % topics], size=12)))
        for b in range(n_bids)
    ]
    average = n_bids * 3 / n_jurors
    jurors = [
        JurorInput(
            id=f"j{j}",
            expertise=" ".join(rng.choice(vocabulary[j % topics], size=5)),
            min_load=int(average * 0.8),
            max_load=int(np.ceil(average * 1.2)),
        )
        for j in range(n_jurors)
    ]
    conflicts = [
        (f"j{j}", b) for j in range(n_jurors) for b in range(n_bids) if rng.random() < 0.05
    ]
    return bids, jurors, conflicts


def test_a_large_call_is_linked_by_exchanges_within_one_percent(monkeypatch):
    monkeypatch.setattr(solver, "EXACT_SEARCH_MAX_PAIRS", 0)  # take the large-call path
    bids, jurors, conflicts = _clustered(300, 60)
    pinned = [("j0", 0), ("j1", 1)]

    result = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, pinned=pinned)

    assert result.connected is True
    assert result.connectivity == "repaired"
    assert "exact search is not run" in result.notes[0]
    assert result.total_similarity >= 0.99 * result.upper_bound
    assert result.total_similarity <= result.upper_bound + 1e-9
    chosen = {(pair.juror_id, pair.bid_id) for pair in result.pairs}
    assert set(pinned) <= chosen
    assert not chosen & set(conflicts)
    per_bid = np.bincount([pair.bid_id for pair in result.pairs], minlength=300)
    assert (per_bid == 3).all()
    for juror in jurors:
        assert juror.min_load <= result.load[juror.id] <= juror.max_load


def test_the_large_call_path_links_what_the_exact_path_links(monkeypatch):
    bids, jurors, conflicts = _clustered(60, 12)
    exact = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts)
    monkeypatch.setattr(solver, "EXACT_SEARCH_MAX_PAIRS", 0)

    large = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts)

    assert exact.connected
    assert large.connected
    assert exact.upper_bound == pytest.approx(large.upper_bound)
    assert large.total_similarity <= exact.total_similarity + 1e-9
    assert large.total_similarity >= 0.99 * large.upper_bound


def test_running_out_of_memory_is_named_as_such(monkeypatch):
    def exhausted(**_):
        raise MemoryError

    monkeypatch.setattr(solver, "best_matching", exhausted)
    bids, jurors, _ = _clustered(30, 6)

    with pytest.raises(AssignmentSolverError, match="ran out of memory on 30 bids × 6 jurors"):
        assign_jurors(bids=bids, jurors=jurors)


def test_an_exact_round_cut_short_by_the_time_limit_is_not_called_optimal(monkeypatch):
    bids, jurors, conflicts = _clustered(60, 12)

    result = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, time_limit_seconds=0.0)

    assert result.connectivity in {"repaired", "not_reached"}
    assert "time limit" in result.notes[0]


def test_component_labels_are_canonical():
    labels = component_labels(
        n_jurors=3, n_bids=2, edge_jurors=np.array([2, 0]), edge_bids=np.array([1, 0])
    )
    assert list(labels) == [0, 1, 2, 0, 2]
