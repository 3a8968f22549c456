"""Assignment optimiser: unit tests and every infeasibility diagnostic (pure, no database)."""

from collections import Counter

import numpy as np
import pytest

from review.assignment import (
    BidInput,
    InfeasibleAssignmentError,
    JurorInput,
    assign_jurors,
    check_assignment_feasible,
)


def make_bids(count, *, text="artificial intelligence"):
    return [BidInput(id=f"B{b}", text=text) for b in range(1, count + 1)]


def make_jurors(count, *, min_load=0, max_load=10, expertise="artificial intelligence"):
    return [
        JurorInput(id=f"J{j}", expertise=expertise, min_load=min_load, max_load=max_load)
        for j in range(1, count + 1)
    ]


def reason_codes(error_info):
    return [reason.code for reason in error_info.value.reasons]


def pairs_of(result):
    return {(pair.juror_id, pair.bid_id) for pair in result.pairs}


# --- what the optimiser prefers and respects -------------------------------------------


def test_assign_jurors_prefers_matching_expertise():
    bids = [
        BidInput(id="vision", text="computer vision, image segmentation, medical imaging"),
        BidInput(id="language", text="machine translation, speech and dialogue systems"),
    ]
    jurors = [
        JurorInput(id="V", expertise="image segmentation and vision", min_load=0, max_load=1),
        JurorInput(id="L", expertise="speech, dialogue, translation", min_load=0, max_load=1),
    ]

    result = assign_jurors(bids=bids, jurors=jurors, jurors_per_bid=1)

    assert pairs_of(result) == {("V", "vision"), ("L", "language")}
    assert result.total_similarity == pytest.approx(sum(p.similarity for p in result.pairs))
    assert result.mean_similarity == pytest.approx(result.total_similarity / 2)
    assert min(pair.similarity for pair in result.pairs) > 0.0


def test_assign_jurors_respects_k_loads_and_conflicts():
    bids = make_bids(6)
    jurors = make_jurors(5, min_load=3, max_load=4)
    conflicts = [("J1", "B1"), ("J2", "B1"), ("J3", "B2")]

    result = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, jurors_per_bid=3)

    per_bid = Counter(pair.bid_id for pair in result.pairs)
    assert per_bid == {bid.id: 3 for bid in bids}
    assert all(3 <= load <= 4 for load in result.load.values())
    assert sum(result.load.values()) == 18
    assert pairs_of(result).isdisjoint(conflicts)


def test_assign_jurors_keeps_pinned_pairs_even_when_poorly_matched():
    bids = [BidInput(id="vision", text="computer vision")]
    jurors = [
        JurorInput(id="V", expertise="computer vision", min_load=0, max_load=1),
        JurorInput(id="X", expertise="medieval history", min_load=0, max_load=1),
    ]

    result = assign_jurors(bids=bids, jurors=jurors, pinned=[("X", "vision")], jurors_per_bid=1)

    assert [(p.juror_id, p.bid_id, p.pinned) for p in result.pairs] == [("X", "vision", True)]


def test_assign_jurors_uses_given_similarity_matrix():
    similarity = np.array([[0.1, 0.9], [0.8, 0.2]])

    result = assign_jurors(
        bids=make_bids(2),
        jurors=make_jurors(2, max_load=1),
        jurors_per_bid=1,
        similarity=similarity,
    )

    assert pairs_of(result) == {("J1", "B2"), ("J2", "B1")}
    assert result.total_similarity == pytest.approx(1.7)


def test_assign_jurors_is_deterministic():
    rng = np.random.default_rng(7)
    bids, jurors = make_bids(12), make_jurors(8, min_load=3, max_load=6)
    similarity = rng.integers(0, 3, size=(8, 12)) / 2  # many ties on purpose

    first = assign_jurors(bids=bids, jurors=jurors, similarity=similarity)
    second = assign_jurors(bids=bids, jurors=jurors, similarity=similarity)

    assert first == second


def test_assign_jurors_orders_pairs_by_bid_then_juror():
    result = assign_jurors(bids=make_bids(3), jurors=make_jurors(3), jurors_per_bid=2)

    order = [(pair.bid_id, pair.juror_id) for pair in result.pairs]
    assert order == sorted(order)


def test_assign_jurors_without_bids_returns_empty_assignment():
    result = assign_jurors(bids=[], jurors=make_jurors(2))

    assert result.pairs == ()
    assert result.load == {"J1": 0, "J2": 0}
    assert result.mean_similarity == 0.0
    assert result.idle_jurors == ("J1", "J2")


# --- connectivity of the juror overlap graph --------------------------------------------


def two_topic_instance():
    """Two topics sharing no word: the unconstrained optimum splits the jury in two."""
    bids = [
        *(BidInput(id=f"V{b}", text="computer vision imaging") for b in range(4)),
        *(BidInput(id=f"L{b}", text="speech translation dialogue") for b in range(4)),
    ]
    jurors = [
        *(
            JurorInput(id=f"v{j}", expertise="vision imaging", min_load=2, max_load=3)
            for j in range(4)
        ),
        *(
            JurorInput(id=f"l{j}", expertise="speech dialogue", min_load=2, max_load=3)
            for j in range(4)
        ),
    ]
    return bids, jurors


def test_assign_jurors_links_two_disjoint_topics():
    bids, jurors = two_topic_instance()

    result = assign_jurors(bids=bids, jurors=jurors, jurors_per_bid=2)

    assert result.connected is True
    assert result.connectivity == "optimal"
    assert len(result.juror_components) == 1
    assert result.solver_rounds >= 2
    assert "extra solver round" in result.notes[0]


def test_assign_jurors_without_connectivity_keeps_topics_apart():
    bids, jurors = two_topic_instance()

    result = assign_jurors(bids=bids, jurors=jurors, jurors_per_bid=2, require_connected=False)

    assert result.connected is False
    # Equal-similarity optima may split a topic further; no group ever mixes the two.
    assert len(result.juror_components) >= 2
    assert all(len({juror[0] for juror in group}) == 1 for group in result.juror_components)
    assert all(pair.similarity > 0 for pair in result.pairs)
    assert result.total_similarity == pytest.approx(result.upper_bound)


def test_assign_jurors_connectivity_cost_is_small():
    bids, jurors = two_topic_instance()

    linked = assign_jurors(bids=bids, jurors=jurors, jurors_per_bid=2)
    apart = assign_jurors(bids=bids, jurors=jurors, jurors_per_bid=2, require_connected=False)

    # One cross-topic pair suffices, but a swap moves two pairs off their topic.
    assert apart.total_similarity - linked.total_similarity == pytest.approx(
        2 * apart.pairs[0].similarity
    )


def test_assign_jurors_repairs_connectivity_without_exact_rounds():
    bids, jurors = two_topic_instance()

    result = assign_jurors(bids=bids, jurors=jurors, jurors_per_bid=2, max_connectivity_rounds=0)

    assert result.connected is True
    assert result.connectivity == "repaired"
    assert result.solver_rounds == 1
    assert "exchange(s) of jurors linked every juror" in result.notes[0]


def test_assign_jurors_reports_proved_impossible_connectivity():
    bids = make_bids(2)
    jurors = make_jurors(4, max_load=1)
    # B1 can only go to J1, J2 and B2 only to J3, J4: two groups whatever we do.
    conflicts = [("J3", "B1"), ("J4", "B1"), ("J1", "B2"), ("J2", "B2")]

    result = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, jurors_per_bid=2)

    assert result.connected is False
    assert result.connectivity == "impossible"
    assert sorted(result.juror_components) == [("J1", "J2"), ("J3", "J4")]
    assert "proved by the solver" in result.notes[0]


def test_assign_jurors_with_one_juror_per_bid_explains_no_link():
    result = assign_jurors(bids=make_bids(2), jurors=make_jurors(2, max_load=1), jurors_per_bid=1)

    assert result.connected is False
    assert result.notes == (
        "With one juror per bid jurors share no bid, so they cannot be linked.",
    )


def test_assign_jurors_reports_idle_jurors_apart_from_connectivity():
    jurors = make_jurors(3, max_load=2)
    conflicts = [("J3", "B1"), ("J3", "B2")]

    result = assign_jurors(bids=make_bids(2), jurors=jurors, conflicts=conflicts, jurors_per_bid=2)

    assert result.idle_jurors == ("J3",)
    assert result.connected is True
    assert result.load["J3"] == 0
    assert "got no bid" in result.notes[-1]


# --- input errors (programming mistakes, not infeasibility) -----------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jurors_per_bid": 0}, "jurors_per_bid must be at least 1"),
        ({"bids": make_bids(1) * 2}, "bid ids must be unique"),
        ({"jurors": make_jurors(1) * 2}, "juror ids must be unique"),
        ({"jurors": make_jurors(1, min_load=3, max_load=2)}, "min_load <= max_load"),
        ({"pinned": [("J9", "B1")]}, "unknown juror or bid"),
        ({"similarity": np.zeros((2, 2))}, "similarity must have shape"),
    ],
)
def test_assign_jurors_rejects_malformed_input(kwargs, message):
    arguments = {"bids": make_bids(1), "jurors": make_jurors(1), "jurors_per_bid": 1} | kwargs

    with pytest.raises(ValueError, match=message):
        assign_jurors(**arguments)


def test_assign_jurors_ignores_conflicts_outside_the_pool():
    result = assign_jurors(
        bids=make_bids(1), jurors=make_jurors(1), conflicts=[("J9", "B1")], jurors_per_bid=1
    )

    assert pairs_of(result) == {("J1", "B1")}


# --- infeasibility diagnostics ----------------------------------------------------------


def test_infeasible_bid_with_too_few_non_conflicted_jurors():
    conflicts = [("J3", "B2")]

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=make_bids(2), jurors=make_jurors(3), conflicts=conflicts)

    assert reason_codes(error) == ["bid_too_few_jurors"]
    assert str(error.value) == "bid B2 has only 2 non-conflicted jurors but needs 3"
    assert error.value.reasons[0].params == {"bid": "B2", "available": 2, "needed": 3}


def test_infeasible_total_capacity_below_demand():
    bids = make_bids(15)
    jurors = make_jurors(4, max_load=10)

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=bids, jurors=jurors)

    assert reason_codes(error) == ["capacity_below_demand"]
    assert str(error.value) == (
        "total capacity (sum of max loads = 40) is below bids × k = 15 × 3 = 45"
    )


def test_infeasible_minimum_loads_exceed_demand():
    bids = make_bids(15)
    jurors = make_jurors(5, min_load=10, max_load=12)

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=bids, jurors=jurors)

    assert reason_codes(error) == ["minimum_loads_exceed_demand"]
    assert str(error.value) == "sum of minimum loads (50) exceeds bids × k = 15 × 3 = 45"


def test_infeasible_juror_with_too_few_non_conflicted_bids():
    jurors = make_jurors(3, min_load=1, max_load=3)
    conflicts = [("J1", "B1"), ("J1", "B2")]

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=make_bids(2), jurors=jurors, conflicts=conflicts, jurors_per_bid=2)

    assert reason_codes(error) == ["juror_too_few_bids"]
    assert str(error.value) == "juror J1 has only 0 non-conflicted bids but a minimum load of 1"


def test_infeasible_pinned_pair_in_conflict():
    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(
            bids=make_bids(1),
            jurors=make_jurors(2),
            conflicts=[("J1", "B1")],
            pinned=[("J1", "B1")],
            jurors_per_bid=1,
        )

    assert reason_codes(error) == ["pinned_conflict"]
    assert str(error.value) == (
        "juror J1 is pinned to bid B1 but has a conflict of interest with it"
    )


def test_infeasible_bid_with_more_pinned_jurors_than_k():
    pinned = [("J1", "B1"), ("J2", "B1")]

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=make_bids(1), jurors=make_jurors(2), pinned=pinned, jurors_per_bid=1)

    assert reason_codes(error) == ["bid_too_many_pinned"]
    assert str(error.value) == "bid B1 has 2 pinned jurors but takes 1"


def test_infeasible_juror_with_more_pinned_bids_than_max_load():
    pinned = [("J1", "B1"), ("J1", "B2")]

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(
            bids=make_bids(2), jurors=make_jurors(2, max_load=1), pinned=pinned, jurors_per_bid=1
        )

    assert reason_codes(error) == ["juror_too_many_pinned"]
    assert str(error.value) == "juror J1 has 2 pinned bids but a maximum load of 1"


def test_infeasible_reports_every_failing_counting_condition():
    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=make_bids(2), jurors=make_jurors(2, min_load=5, max_load=5))

    assert reason_codes(error) == [
        "bid_too_few_jurors",
        "bid_too_few_jurors",
        "juror_too_few_bids",
        "juror_too_few_bids",
        "minimum_loads_exceed_demand",
    ]


def test_infeasible_group_of_bids_sharing_too_few_jurors():
    # B1–B3 may only go to J1–J3 (max 1 bid each): 6 places needed, 3 offered.
    bids = make_bids(4)
    jurors = [*make_jurors(3, max_load=1), *(JurorInput(f"X{j}", "", 0, 10) for j in (1, 2))]
    conflicts = [(f"X{j}", f"B{b}") for j in (1, 2) for b in (1, 2, 3)]

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, jurors_per_bid=2)

    assert reason_codes(error) == ["bids_group_too_few_jurors"]
    assert str(error.value).startswith("bids B1, B2, B3 together need 6 more jurors")
    assert error.value.reasons[0].params == {"bids": ["B1", "B2", "B3"], "needed": 6, "offered": 3}


def test_infeasible_group_of_jurors_sharing_too_few_bids():
    # J1–J3 (min 2 each) may only review B1 and B2, which have 2 places each: 6 needed, 4 offered.
    bids = make_bids(5)
    jurors = [
        *make_jurors(3, min_load=2, max_load=5),
        *(JurorInput(f"X{j}", "", 0, 10) for j in (1, 2, 3)),
    ]
    conflicts = [(f"J{j}", f"B{b}") for j in (1, 2, 3) for b in (3, 4, 5)]

    with pytest.raises(InfeasibleAssignmentError) as error:
        assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, jurors_per_bid=2)

    assert reason_codes(error) == ["jurors_group_too_few_bids"]
    assert error.value.reasons[0].params == {
        "jurors": ["J1", "J2", "J3"],
        "needed": 6,
        "offered": 4,
    }


def test_check_assignment_feasible_raises_without_solving():
    with pytest.raises(InfeasibleAssignmentError) as error:
        check_assignment_feasible(bids=make_bids(15), jurors=make_jurors(4, max_load=10))

    assert reason_codes(error) == ["capacity_below_demand"]


def test_check_assignment_feasible_passes_on_feasible_input():
    assert check_assignment_feasible(bids=make_bids(2), jurors=make_jurors(3)) is None
