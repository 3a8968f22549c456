"""Totals are exact: equal totals tie whatever the criterion means, and the announced
tie-break chain decides (never rounding noise)."""

from fractions import Fraction

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from review.ranking import parse_params, solve
from review.ranking.aggregate import score_bids

CODES = ["c1", "c2", "c3", "c4", "c5"]

# The case: 6 jurors, five criteria of weight 1. Criterion means in twelfths; both
# totals are 257/12. Rounding each mean to 9 decimals first made A 21.416666666 and
# B 21.416666667, so B ranked first whatever the tie-break said.
CASE_257_12 = {
    "A": {
        "c1": [4, 4, 4, 4, 4, 4.5],  # 49/12 (4.083333333, rounded down)
        "c2": [4, 4, 4, 4, 5, 5],  # 52/12 (4.333333333, rounded down)
        "c3": [4] * 6,
        "c4": [4] * 6,
        "c5": [5] * 6,
    },
    "B": {
        "c1": [4, 4, 4, 4.5, 5, 5],  # 53/12 (4.416666667, rounded up)
        "c2": [4] * 6,
        "c3": [4] * 6,
        "c4": [4] * 6,
        "c5": [5] * 6,
    },
}


def _input(bids, *, tiebreak=None, weights=None, aggregate="mean", rule="merit_order"):
    criteria = [
        {"code": code, "weight": (weights or {}).get(code, 1)} for code in next(iter(bids.values()))
    ]
    data = {
        "budget": 10,
        "min_winners": 1,
        "max_winners": 1,
        "criteria": criteria,
        "calibration": "none",
        "aggregate": aggregate,
        "rule": rule,
        "bids": [{"id": bid, "requested": 10} for bid in bids],
        "scores": [
            {"bid": bid, "juror": f"{bid}-j{juror}", "criterion": code, "value": value}
            for bid, by_code in bids.items()
            for code, values in by_code.items()
            for juror, value in enumerate(values)
        ],
    }
    if tiebreak is not None:
        data["tiebreak"] = tiebreak
    return parse_params(data)


def test_the_257_12_case_ties_and_the_tiebreak_chain_funds_a():
    result = solve(_input(CASE_257_12, tiebreak=["c2", "c1"]))

    scores = {bid.id: bid.score for bid in result.bids}
    assert scores == {"A": 21.416666667, "B": 21.416666667}
    assert [bid.id for bid in result.bids] == ["A", "B"]  # c2: 52/12 > 48/12
    assert result.winners == ("A",)


def test_the_257_12_case_with_the_default_chain_funds_b_on_c1():
    result = solve(_input(CASE_257_12))

    assert [bid.id for bid in result.bids] == ["B", "A"]  # c1: 53/12 > 49/12
    assert result.winners == ("B",)


def test_the_257_12_case_under_the_optimal_rule_is_decided_by_the_chain_too():
    result = solve(_input(CASE_257_12, tiebreak=["c2"], rule="optimal"))

    assert result.winners == ("A",)


def test_exact_totals_are_the_rational_values():
    values = np.full((1, 6, 5), np.nan)
    for index, code in enumerate(CODES):
        values[0, :, index] = CASE_257_12["A"][code]

    scored = score_bids(values, "mean", np.ones(5))

    assert scored.exact
    assert Fraction(scored.scores[0]).limit_denominator(1000) == Fraction(257, 12)


HALF_POINTS = st.integers(min_value=0, max_value=10).map(lambda n: n / 2)


@st.composite
def tied_pairs(draw):
    """Bids A and B with equal exact totals but different criterion means: B's jurors
    move some half points from c2 to c1 (or back), so c1 + c2 is unchanged per juror."""
    jurors = draw(st.integers(min_value=3, max_value=7))
    a1 = draw(st.lists(HALF_POINTS, min_size=jurors, max_size=jurors))
    a2 = draw(st.lists(HALF_POINTS, min_size=jurors, max_size=jurors))
    a3 = draw(st.lists(HALF_POINTS, min_size=jurors, max_size=jurors))
    b1, b2 = [], []
    for x, y in zip(a1, a2, strict=True):
        low, high = max(0.0, x + y - 5), min(5.0, x + y)
        moved = draw(st.integers(min_value=int(low * 2), max_value=int(high * 2))) / 2
        b1.append(moved)
        b2.append(x + y - moved)
    assume(sum(b1) != sum(a1))  # same means: not the case under test
    return {"A": {"c1": a1, "c2": a2, "c3": a3}, "B": {"c1": b1, "c2": b2, "c3": a3}}


@given(tied_pairs(), st.sampled_from(["c1", "c2"]), st.sampled_from(["mean", "median"]))
def test_equal_exact_totals_tie_and_the_chain_decides(bids, first, aggregate):
    result = solve(_input(bids, tiebreak=[first], aggregate=aggregate))

    by_id = {bid.id: bid for bid in result.bids}
    exact = {
        bid: sum(_aggregate(values, aggregate) for values in by_code.values())
        for bid, by_code in bids.items()
    }
    means = {bid: _aggregate(bids[bid][first], aggregate) for bid in bids}
    if exact["A"] != exact["B"]:  # the median moves differently: ranked by total
        expected = max(exact, key=lambda bid: (exact[bid], bid == "A"))
    elif means["A"] != means["B"]:
        expected = max(means, key=means.__getitem__)
    else:
        expected = "A"  # then the id
    assert by_id["A"].score is not None
    if exact["A"] == exact["B"]:
        assert by_id["A"].score == by_id["B"].score
    assert result.bids[0].id == expected
    assert result.winners == (expected,)


@given(
    st.lists(HALF_POINTS, min_size=1, max_size=9),
    st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=1),
)
def test_weighted_totals_with_decimal_weights_are_exact(values, weight_thousandths):
    weight = weight_thousandths[0] / 1000
    cube = np.array(values, dtype=float).reshape(1, -1, 1)

    scored = score_bids(cube, "mean", np.array([weight]))

    exact = Fraction(weight_thousandths[0], 1000) * Fraction(
        sum(Fraction(v) for v in values), len(values)
    )
    assert scored.exact
    assert scored.scores[0] == float(exact)


def test_calibrated_floats_fall_back_to_rounding_once_after_the_sum():
    cube = np.array([[[1 / 3, 2 / 3]]])

    scored = score_bids(cube, "mean", np.array([1.0, 1.0]))

    assert not scored.exact
    assert scored.scores[0] == 1.0


def _aggregate(values, aggregate):
    ordered = sorted(Fraction(v) for v in values)
    if aggregate == "mean":
        return sum(ordered) / len(ordered)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
