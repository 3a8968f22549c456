import hashlib

import pytest
from ranking_inputs import contract_input

from review.ranking import (
    RankingInputError,
    compute_bootstrap_chunk,
    lottery_priority,
    merge_chunks,
    parse_params,
    plan_chunks,
    seed_commitment,
    solve,
)

SEED = "published-after-the-draw-0123456789"


def fragile_input(**overrides):
    values = {
        "A": [5.0, 4.5, 5.0],
        "B": [3.0, 4.5, 2.0],
        "C": [4.0, 2.5, 3.5],
        "D": [2.0, 4.0, 4.0],
        "E": [1.0, 1.5, 2.0],
    }
    settings = {"budget": 30, "max_winners": 3, "rule": "optimal"}
    settings["bootstrap"] = {"samples": 120, "seed": 11}
    return contract_input(values, **(settings | overrides))


def test_chunked_bootstrap_equals_unchunked():
    params = parse_params(fragile_input())
    chunks = [
        compute_bootstrap_chunk(params, start=start, count=count)
        for start, count in plan_chunks(120, 7)
    ]

    chunked = solve(params, bootstrap_chunks=list(reversed(chunks)))
    whole = solve(params)

    assert chunked.to_json() == whole.to_json()


def test_merge_chunks_refuses_a_gap():
    params = parse_params(fragile_input())
    chunks = [
        compute_bootstrap_chunk(params, start=0, count=10),
        compute_bootstrap_chunk(params, start=20, count=10),
    ]

    with pytest.raises(RankingInputError, match="gap or overlap at sample 10"):
        merge_chunks(chunks)


def test_solve_refuses_chunks_that_miss_samples():
    params = parse_params(fragile_input())
    chunk = compute_bootstrap_chunk(params, start=0, count=60)

    with pytest.raises(RankingInputError, match="cover 60 samples, not 120"):
        solve(params, bootstrap_chunks=[chunk])


def test_bootstrap_gives_probabilities_and_nested_rank_intervals():
    result = solve(parse_params(fragile_input()))

    for bid in result.bids:
        low50, high50 = bid.robustness.rank_interval_50
        low90, high90 = bid.robustness.rank_interval_90
        assert low90 <= low50 <= high50 <= high90
        assert 0.0 <= bid.robustness.p_selected <= 1.0
    assert result.bids[0].robustness.p_selected == 1.0
    assert any(bid.robustness.grey_zone for bid in result.bids)


def test_bootstrap_depends_on_the_seed():
    first = solve(parse_params(fragile_input()))
    other = solve(parse_params(fragile_input(bootstrap={"samples": 120, "seed": 12})))

    assert [b.robustness for b in first.bids] != [b.robustness for b in other.bids]


def test_lottery_is_verifiable_from_the_revealed_seed():
    data = fragile_input(lottery={"seed": SEED, "commitment": seed_commitment(SEED)})

    lottery = solve(parse_params(data)).lottery

    assert lottery.commitment == hashlib.sha256(SEED.encode()).hexdigest()
    recomputed = sorted(
        lottery.pool, key=lambda bid: hashlib.sha256(f"{SEED}:{bid}".encode()).hexdigest()
    )
    assert list(lottery.pool) == recomputed
    assert lottery_priority(SEED, "A") == hashlib.sha256(f"{SEED}:A".encode()).hexdigest()
    assert sum(lottery.granted.values()) <= 30
    assert len(lottery.winners) <= 3


def test_lottery_refuses_a_seed_that_does_not_match_the_commitment():
    data = fragile_input(lottery={"seed": SEED, "commitment": seed_commitment("another seed!!!!")})

    with pytest.raises(RankingInputError) as error:
        solve(parse_params(data))

    assert error.value.field == "lottery.commitment"


def test_lottery_without_bootstrap_is_refused():
    data = contract_input({"A": [3.0]}, lottery={"seed": SEED})

    with pytest.raises(RankingInputError) as error:
        parse_params(data)

    assert error.value.field == "lottery"
