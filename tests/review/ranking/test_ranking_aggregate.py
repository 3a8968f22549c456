from ranking_inputs import contract_input

from review.ranking import parse_params, solve


def outcome(result, bid_id):
    return next(bid for bid in result.bids if bid.id == bid_id)


def test_mean_and_median_aggregate_differently():
    data = contract_input({"A": [1.0, 4.0, 4.5]})

    mean = solve(parse_params(data)).bids[0]
    median = solve(parse_params({**data, "aggregate": "median"})).bids[0]

    assert (mean.criterion_scores["excellence"], median.criterion_scores["excellence"]) == (
        3.166666667,
        4.0,
    )


def test_criterion_threshold_excludes_with_reason():
    data = contract_input(
        {"A": [2.5, 3.0], "B": [4.0, 4.0]},
        criteria=[{"code": "excellence", "weight": 1.0, "threshold": 3.0}],
    )

    result = solve(parse_params(data))

    excluded = outcome(result, "A")
    assert (excluded.eligible, excluded.reason) == (False, "below_threshold")
    assert excluded.reason_detail == "excellence: 2.75 < 3.0"


def test_overall_threshold_applies_to_the_weighted_score():
    data = contract_input(
        {"A": [3.0], "B": [4.0]},
        criteria=[{"code": "excellence", "weight": 3.0}],
        overall_threshold=10.0,
    )

    result = solve(parse_params(data))

    assert outcome(result, "A").reason == "below_overall_threshold"
    assert result.winners == ("B",)


def test_threshold_met_exactly_counts_as_met():
    data = contract_input(
        {"A": [2.5, 3.5]}, criteria=[{"code": "excellence", "weight": 1.0, "threshold": 3.0}]
    )

    assert solve(parse_params(data)).bids[0].eligible is True


def test_bid_without_scores_is_excluded():
    data = contract_input({"A": [4.0], "B": []})

    result = solve(parse_params(data))

    assert (outcome(result, "B").reason, outcome(result, "B").score) == ("no_scores", None)


def tie_input(**overrides):
    # Same total: A is stronger on impact, B on excellence.
    criteria = [{"code": "excellence", "weight": 1.0}, {"code": "impact", "weight": 1.0}]
    data = contract_input({"A": [3.0], "B": [3.0], "C": [3.0]}, criteria=criteria, **overrides)
    for score in data["scores"]:
        if score["bid"] == "A":
            score["value"] = {"excellence": 2.0, "impact": 4.0}[score["criterion"]]
        if score["bid"] == "B":
            score["value"] = {"excellence": 4.0, "impact": 2.0}[score["criterion"]]
    return data


def test_ties_broken_by_criteria_in_listed_order_then_id():
    result = solve(parse_params(tie_input()))

    assert [bid.id for bid in result.bids] == ["B", "C", "A"]


def test_tiebreak_list_replaces_the_default_order():
    result = solve(parse_params(tie_input(tiebreak=["impact"])))

    assert [bid.id for bid in result.bids] == ["A", "C", "B"]


def test_ties_on_everything_fall_back_to_id():
    data = contract_input({"Z": [3.0], "M": [3.0], "A": [3.0]})

    assert [bid.id for bid in solve(parse_params(data)).bids] == ["A", "M", "Z"]


def test_partial_rule_funds_minimums_then_tops_up_in_rank_order():
    data = contract_input(
        {"A": [5.0], "B": [4.0], "C": [3.0]},
        requested={"A": 40, "B": 40, "C": 40},
        minimum={"A": 20, "B": 20, "C": 20},
        budget=70,
        rule="partial",
    )

    result = solve(parse_params(data))

    assert [(bid.id, bid.granted) for bid in result.bids] == [("A", 30), ("B", 20), ("C", 20)]
    assert result.total_granted == 70


def test_optimal_explains_the_bids_it_leaves_out():
    data = contract_input(
        {"A": [5.0], "B": [4.0], "C": [4.0], "D": [1.0]},
        requested={"A": 60, "B": 40, "C": 40, "D": 30},
        budget=100,
        max_winners=2,
        rule="optimal",
    )

    result = solve(parse_params(data))

    assert result.winners == ("A", "B")
    assert [bid.reason for bid in result.bids] == [
        "selected",
        "selected",
        "envelope_exhausted",
        "envelope_exhausted",
    ]


def test_merit_order_reasons_follow_the_walk():
    data = contract_input(
        {"A": [5.0], "B": [4.0], "C": [3.0], "D": [2.0]},
        requested={"A": 20, "B": 20, "C": 5, "D": 5},
        budget=30,
        max_winners=3,
        overflow="stop",
    )

    result = solve(parse_params(data))

    assert [bid.reason for bid in result.bids] == [
        "selected",
        "envelope_exhausted",
        "walk_stopped",
        "walk_stopped",
    ]


def test_infeasible_run_selects_nothing_and_says_why():
    data = contract_input({"A": [5.0], "B": [4.0]}, min_winners=3, rule="optimal")

    result = solve(parse_params(data))

    assert (result.feasible, result.winners, result.total_granted) == (False, (), 0)
    assert result.reason == "only 2 eligible bids fit in the envelope, fewer than min_winners=3"
    assert {bid.reason for bid in result.bids} == {"infeasible"}
