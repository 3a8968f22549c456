import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from ranking_inputs import contract_input

from review.ranking import parse_params, solve
from review.ranking.selection import merit_order, optimal, top_up, undominated


def arrays(costs, units, eligible=None):
    costs = np.asarray(costs, dtype=np.int64)
    units = np.asarray(units, dtype=np.int64)
    mask = np.ones(costs.size, bool) if eligible is None else np.asarray(eligible, bool)
    return costs, units, mask


def brute_force_optimal(costs, units, eligible, *, budget, min_winners, max_winners):
    """All subsets at once; preferred = highest total, then membership read down the
    ranking lexicographically largest (position 0 is the most significant bit)."""
    n = costs.size
    masks = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    size = masks.sum(axis=1)
    feasible = (
        (size >= min_winners)
        & (size <= max_winners)
        & (masks @ costs <= budget)
        & ~(masks & ~eligible).any(axis=1)
    )
    if not feasible.any():
        return None
    totals = masks @ units
    preference = masks @ (1 << np.arange(n - 1, -1, -1))
    best = max(np.flatnonzero(feasible), key=lambda row: (totals[row], preference[row]))
    return tuple(int(i) for i in np.flatnonzero(masks[best]))


def test_merit_order_skip_funds_later_bids_that_fit():
    costs, _, eligible = arrays([20, 15, 10], [3, 2, 1])

    chosen = merit_order(costs, eligible, budget=30, min_winners=1, max_winners=3, overflow="skip")

    assert chosen.positions == (0, 2)


def test_merit_order_stop_ends_at_first_bid_that_does_not_fit():
    costs, _, eligible = arrays([20, 15, 10], [3, 2, 1])

    chosen = merit_order(costs, eligible, budget=30, min_winners=1, max_winners=3, overflow="stop")

    assert (chosen.positions, chosen.walk_end, chosen.walk_end_reason) == ((0,), 1, "walk_stopped")


def test_merit_order_stops_at_max_winners():
    costs, _, eligible = arrays([1, 1, 1, 1], [4, 3, 2, 1])

    chosen = merit_order(costs, eligible, budget=30, min_winners=1, max_winners=2, overflow="skip")

    assert (chosen.positions, chosen.walk_end_reason) == ((0, 1), "max_winners_reached")


def test_merit_order_minimum_unreachable_is_infeasible():
    costs, _, eligible = arrays([20, 15, 10], [3, 2, 1])

    chosen = merit_order(costs, eligible, budget=30, min_winners=3, max_winners=3, overflow="skip")

    assert (chosen.feasible, chosen.positions) == (False, ())
    assert chosen.reason == "merit order funds only 2 bids, fewer than min_winners=3"


def test_optimal_beats_greedy_on_a_knapsack_trap():
    # Greedy takes the top bid (cost 60) and can then afford only one more.
    costs, units, eligible = arrays([60, 40, 40, 20], [10, 9, 9, 8])

    chosen = optimal(costs, units, eligible, budget=100, min_winners=1, max_winners=3)

    assert chosen.positions == (1, 2, 3)


def test_optimal_ties_prefer_the_better_ranked_bid():
    costs, units, eligible = arrays([10, 10, 10], [5, 5, 5])

    chosen = optimal(costs, units, eligible, budget=20, min_winners=1, max_winners=3)

    assert chosen.positions == (0, 1)


def test_optimal_skips_ineligible_bids():
    costs, units, eligible = arrays([10, 10, 10], [9, 5, 4], [False, True, True])

    chosen = optimal(costs, units, eligible, budget=30, min_winners=1, max_winners=3)

    assert chosen.positions == (1, 2)


def test_optimal_minimum_count_unaffordable_is_infeasible():
    costs, units, eligible = arrays([20, 20, 20], [3, 2, 1])

    chosen = optimal(costs, units, eligible, budget=50, min_winners=3, max_winners=3)

    assert chosen.feasible is False
    assert chosen.reason == "the 3 cheapest eligible bids together cost 60, more than the budget 50"


def test_undominated_drops_bids_with_max_winners_cheaper_better_ranked_bids():
    costs = np.array([5, 5, 9, 4, 6, 3], dtype=np.int64)

    kept = undominated(costs, 2)

    assert kept.tolist() == [0, 1, 3, 5]


def test_top_up_grants_minimums_then_rank_order_up_to_request():
    grants = top_up([0, 1, 2], np.array([20, 20, 20]), np.array([40, 50, 30]), budget=100)

    assert grants == [40, 40, 20]


instances = st.integers(min_value=1, max_value=16).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 12), min_size=n, max_size=n),  # scores, few values: ties
        st.lists(st.integers(0, 30), min_size=n, max_size=n),  # costs
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.integers(0, 120),  # budget
        st.integers(0, 4),  # min winners
        st.integers(0, 6),  # extra winners above the minimum
        st.integers(-3, 3),  # shift scores, so that some are negative
    )
)


@settings(max_examples=300, deadline=None)
@given(instances)
def test_optimal_equals_brute_force_enumeration(instance):
    scores, costs, eligible, budget, min_winners, extra, shift = instance
    order = np.argsort([-score for score in scores], kind="stable")  # rank order
    units = (np.asarray(scores)[order] + shift).astype(np.int64)
    costs_ranked = np.asarray(costs, dtype=np.int64)[order]
    eligible_ranked = np.asarray(eligible, dtype=bool)[order]
    max_winners = max(min_winners + extra, 1)

    chosen = optimal(
        costs_ranked,
        units,
        eligible_ranked,
        budget=budget,
        min_winners=min_winners,
        max_winners=max_winners,
    )

    expected = brute_force_optimal(
        costs_ranked,
        units,
        eligible_ranked,
        budget=budget,
        min_winners=min_winners,
        max_winners=max_winners,
    )
    assert (chosen.positions if chosen.feasible else None) == expected


bid_inputs = st.integers(min_value=2, max_value=9).flatmap(
    lambda n: st.fixed_dictionaries(
        {
            "values": st.lists(
                st.lists(
                    st.sampled_from([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0]), min_size=2, max_size=3
                ),
                min_size=n,
                max_size=n,
            ),
            "requested": st.lists(st.integers(5, 40), min_size=n, max_size=n),
            "minimum_share": st.lists(st.integers(40, 100), min_size=n, max_size=n),
            "budget": st.integers(0, 120),
            "min_winners": st.integers(0, 3),
            "max_winners": st.integers(3, 6),
            "threshold": st.sampled_from([None, 2.0, 3.0]),
            "overall": st.sampled_from([None, 5.0, 6.5]),
            "rule": st.sampled_from(["merit_order", "optimal", "partial"]),
            "overflow": st.sampled_from(["skip", "stop"]),
            "aggregate": st.sampled_from(["mean", "median"]),
        }
    )
)


@settings(max_examples=150, deadline=None)
@given(bid_inputs)
def test_every_rule_respects_envelope_winner_count_and_thresholds(case):
    ids = [f"B{index}" for index in range(len(case["values"]))]
    requested = dict(zip(ids, case["requested"], strict=True))
    minimum = {
        bid: requested[bid] * share // 100
        for bid, share in zip(ids, case["minimum_share"], strict=True)
    }
    criteria = [
        {"code": "excellence", "weight": 2.0, "threshold": case["threshold"]},
        {"code": "impact", "weight": 1.0},
    ]
    data = contract_input(
        dict(zip(ids, case["values"], strict=True)),
        requested=requested,
        minimum=minimum,
        criteria=criteria,
        budget=case["budget"],
        min_winners=case["min_winners"],
        max_winners=case["max_winners"],
        overall_threshold=case["overall"],
        rule=case["rule"],
        overflow=case["overflow"],
        aggregate=case["aggregate"],
    )

    result = solve(parse_params(data))

    winners = [bid for bid in result.bids if bid.selected]
    assert result.total_granted <= case["budget"]
    if result.feasible:
        assert case["min_winners"] <= len(winners) <= case["max_winners"]
    else:
        assert winners == []
    for bid in winners:
        assert bid.eligible
        assert case["threshold"] is None or bid.criterion_scores["excellence"] >= case["threshold"]
        assert case["overall"] is None or bid.score >= case["overall"]
        low = bid.minimum if case["rule"] == "partial" else bid.requested
        assert low <= bid.granted <= bid.requested
    assert [bid.id for bid in winners] == list(result.winners)


def test_optimal_funds_more_winners_than_pythons_default_recursion_limit():
    # 1,500 equal bids, budget for 1,200: the search takes one frame per winner.
    costs, units, eligible = arrays([10] * 1500, [5] * 1500)

    chosen = optimal(costs, units, eligible, budget=12_000, min_winners=1, max_winners=1300)

    assert chosen.positions == tuple(range(1200))
