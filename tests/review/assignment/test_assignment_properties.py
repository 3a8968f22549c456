"""Property tests of the assignment optimiser on random instances (hypothesis, no database).

Tiny instances are solved by brute force too, so optimality (with and without the
connectivity requirement) and infeasibility are checked against every possible assignment.
"""

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from review.assignment import (
    BidInput,
    InfeasibleAssignmentError,
    JurorInput,
    assign_jurors,
    tfidf_similarity,
)

BRUTE_FORCE_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def instances(draw, *, max_bids, max_jurors):
    n_bids = draw(st.integers(1, max_bids))
    n_jurors = draw(st.integers(2, max_jurors))
    k = draw(st.integers(1, min(3, n_jurors - 1)))
    jurors = []
    # Ranges chosen so that roughly half the instances are feasible.
    for j in range(n_jurors):
        min_load = draw(st.integers(0, 1))
        max_load = draw(st.integers(max(min_load, 1), min_load + 3))
        jurors.append(JurorInput(id=f"J{j}", expertise="", min_load=min_load, max_load=max_load))
    bids = [BidInput(id=f"B{b}", text="") for b in range(n_bids)]
    all_pairs = [(juror.id, bid.id) for juror in jurors for bid in bids]
    conflicts = draw(st.lists(st.sampled_from(all_pairs), max_size=len(all_pairs) // 4))
    pinned = draw(st.lists(st.sampled_from(all_pairs), max_size=2))
    # Coarse similarity values: ties are frequent, which is where determinism bugs hide.
    similarity = (
        np.array(
            draw(
                st.lists(st.integers(0, 4), min_size=n_jurors * n_bids, max_size=n_jurors * n_bids)
            ),
            dtype=float,
        ).reshape(n_jurors, n_bids)
        / 4
    )
    return {
        "bids": bids,
        "jurors": jurors,
        "conflicts": conflicts,
        "pinned": pinned,
        "jurors_per_bid": k,
        "similarity": similarity,
    }


def assert_constraints_hold(instance, result):
    bids, jurors, k = instance["bids"], instance["jurors"], instance["jurors_per_bid"]
    pairs = [(pair.juror_id, pair.bid_id) for pair in result.pairs]
    assert len(pairs) == len(set(pairs))
    assert Counter(bid for _, bid in pairs) == {bid.id: k for bid in bids}
    loads = Counter(juror for juror, _ in pairs)
    assert result.load == {juror.id: loads[juror.id] for juror in jurors}
    for juror in jurors:
        assert juror.min_load <= result.load[juror.id] <= juror.max_load
    assert set(pairs).isdisjoint(instance["conflicts"])
    assert set(instance["pinned"]) <= set(pairs)
    assert {p.pinned for p in result.pairs if (p.juror_id, p.bid_id) in instance["pinned"]} <= {
        True
    }
    juror_index = {juror.id: j for j, juror in enumerate(jurors)}
    bid_index = {bid.id: b for b, bid in enumerate(bids)}
    similarity = instance["similarity"]
    expected = [similarity[juror_index[j], bid_index[b]] for j, b in pairs]
    assert [pair.similarity for pair in result.pairs] == pytest.approx(expected)
    assert result.total_similarity == pytest.approx(sum(expected))
    assert result.idle_jurors == tuple(j.id for j in jurors if result.load[j.id] == 0)
    assert result.connected == is_connected(pairs)
    assert sorted(j for group in result.juror_components for j in group) == sorted(
        j.id for j in jurors if result.load[j.id] > 0
    )


def is_connected(pairs):
    """Active jurors linked through shared bids (union-find over the juror-bid graph)."""
    parent = {}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            node = parent[node]
        return node

    for juror, bid in pairs:
        parent[find(("j", juror))] = find(("b", bid))
    return len({find(node) for node in list(parent)}) <= 1


def brute_force(instance):
    """(best total, best connected total or None) over every assignment; None if none."""
    bids, jurors, k = instance["bids"], instance["jurors"], instance["jurors_per_bid"]
    conflicts, pinned = set(instance["conflicts"]), set(instance["pinned"])
    similarity = instance["similarity"]
    options = []
    for bid in bids:
        allowed = [j for j, juror in enumerate(jurors) if (juror.id, bid.id) not in conflicts]
        must = {j for j, juror in enumerate(jurors) if (juror.id, bid.id) in pinned}
        options.append([c for c in itertools.combinations(allowed, k) if must <= set(c)])
    best = best_connected = None
    for choice in itertools.product(*options):
        loads = Counter(j for chosen in choice for j in chosen)
        if any(not juror.min_load <= loads[j] <= juror.max_load for j, juror in enumerate(jurors)):
            continue
        total = sum(similarity[j, b] for b, chosen in enumerate(choice) for j in chosen)
        best = total if best is None else max(best, total)
        pairs = [(j, b) for b, chosen in enumerate(choice) for j in chosen]
        if is_connected(pairs):
            best_connected = total if best_connected is None else max(best_connected, total)
    return best, best_connected


def search_space(instance):
    n_jurors = len(instance["jurors"])
    return len(list(itertools.combinations(range(n_jurors), instance["jurors_per_bid"]))) ** len(
        instance["bids"]
    )


@BRUTE_FORCE_SETTINGS
@given(instance=instances(max_bids=4, max_jurors=5))
def test_assign_jurors_matches_brute_force_on_tiny_instances(instance):
    if search_space(instance) > 3000:
        instance["bids"] = instance["bids"][:2]
        instance["similarity"] = instance["similarity"][:, :2]
        kept = {bid.id for bid in instance["bids"]}
        instance["pinned"] = [(j, b) for j, b in instance["pinned"] if b in kept]
    best, best_connected = brute_force(instance)

    event("infeasible" if best is None else f"feasible, connectable={best_connected is not None}")
    if best is None:
        with pytest.raises(InfeasibleAssignmentError) as error:
            assign_jurors(**instance)
        assert error.value.reasons
        return
    # Enough exact rounds for tiny instances: the exchange repair is tested separately.
    result = assign_jurors(**instance, max_connectivity_rounds=50)

    assert_constraints_hold(instance, result)
    if instance["jurors_per_bid"] == 1:
        # One juror per bid links nobody, so connectivity is not sought.
        assert result.total_similarity == pytest.approx(best)
    elif best_connected is None:
        assert result.connectivity == "impossible"
        assert not result.connected
        assert result.total_similarity <= best + 1e-9
    else:
        assert result.connectivity == "optimal"
        assert result.connected
        assert result.total_similarity == pytest.approx(best_connected)


@st.composite
def two_camp_instances(draw):
    """Jurors and bids in two camps that prefer each other: optima often split in two."""
    n_jurors, n_bids, k = draw(st.integers(4, 8)), draw(st.integers(2, 8)), 2
    spare = -(-n_bids * k // n_jurors)  # ceil: the average load
    jurors = [
        JurorInput(id=f"J{j}", expertise="", min_load=draw(st.integers(0, 1)), max_load=spare + 1)
        for j in range(n_jurors)
    ]
    bids = [BidInput(id=f"B{b}", text="") for b in range(n_bids)]
    all_pairs = [(juror.id, bid.id) for juror in jurors for bid in bids]
    conflicts = draw(st.lists(st.sampled_from(all_pairs), max_size=3))
    pinned = draw(st.lists(st.sampled_from(all_pairs), max_size=1))
    noise = draw(st.lists(st.integers(0, 3), min_size=len(all_pairs), max_size=len(all_pairs)))
    camps = np.arange(n_jurors)[:, None] % 2 == np.arange(n_bids)[None, :] % 2
    return {
        "bids": bids,
        "jurors": jurors,
        "conflicts": conflicts,
        "pinned": pinned,
        "jurors_per_bid": k,
        "similarity": camps + np.array(noise).reshape(n_jurors, n_bids) / 10,
    }


@settings(max_examples=100, deadline=None)
@given(instance=two_camp_instances())
def test_assign_jurors_exchange_repair_keeps_constraints(instance):
    try:
        unconstrained = assign_jurors(**instance, require_connected=False)
    except InfeasibleAssignmentError:
        return

    result = assign_jurors(**instance, max_connectivity_rounds=0)

    event(f"{result.connectivity}")
    assert_constraints_hold(instance, result)
    assert result.total_similarity <= unconstrained.total_similarity + 1e-9
    if result.connectivity == "repaired":
        assert result.connected
        assert len(unconstrained.juror_components) > 1


@BRUTE_FORCE_SETTINGS
@given(instance=instances(max_bids=4, max_jurors=5))
def test_assign_jurors_without_connectivity_is_optimal(instance):
    if search_space(instance) > 3000:
        return
    best, _ = brute_force(instance)
    if best is None:
        return

    result = assign_jurors(**instance, require_connected=False)

    assert_constraints_hold(instance, result)
    assert result.total_similarity == pytest.approx(best)


@settings(max_examples=50, deadline=None)
@given(instance=instances(max_bids=25, max_jurors=10), seed=st.integers(0, 2**16))
def test_assign_jurors_holds_every_constraint_on_larger_instances(instance, seed):
    # Real texts this time, drawn from a small vocabulary, so TF-IDF drives the choice.
    rng = np.random.default_rng(seed)
    words = ["vision", "speech", "robots", "energy", "health", "genomics", "markets", "law"]
    instance["bids"] = [
        BidInput(id=bid.id, text=" ".join(rng.choice(words, size=8))) for bid in instance["bids"]
    ]
    instance["jurors"] = [
        JurorInput(
            id=juror.id,
            expertise=" ".join(rng.choice(words, size=4)),
            min_load=juror.min_load,
            max_load=juror.max_load + len(instance["bids"]) // 3,
        )
        for juror in instance["jurors"]
    ]
    del instance["similarity"]
    instance["pinned"] = [pair for pair in instance["pinned"] if pair not in instance["conflicts"]]

    try:
        result = assign_jurors(**instance)
    except InfeasibleAssignmentError as error:
        reasons = error.reasons
    else:
        reasons = ()
    if reasons:
        event(f"infeasible: {reasons[0].code}")
        assert all(reason.message for reason in reasons)
        return

    instance["similarity"] = tfidf_similarity(
        juror_texts=[j.expertise for j in instance["jurors"]],
        bid_texts=[b.text for b in instance["bids"]],
    )
    event(f"feasible: {result.connectivity}")
    assert_constraints_hold(instance, result)
    assert assign_jurors(**{k: v for k, v in instance.items() if k != "similarity"}) == result
