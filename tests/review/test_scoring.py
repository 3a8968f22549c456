from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review import scoring

D = Decimal
HALF_POINTS = scoring.Scale(D(0), D(5), D("0.5"))


def test_weighted_total_is_the_weighted_mean():
    total = scoring.weighted_total({1: D(4), 2: D("3.5"), 3: D(2)}, {1: D(2), 2: D(1), 3: D("0.5")})

    assert total == D("12.5") / D("3.5")


def test_weighted_total_with_unit_weights_is_plain_mean():
    assert scoring.weighted_total({"a": D(3), "b": D(4), "c": D(5)}, {"a": 1, "b": 1, "c": 1}) == 4


def test_weighted_total_depends_on_the_ratios_of_weights_only():
    scores = {1: D(4), 2: D("2.5")}

    assert scoring.weighted_total(scores, {1: D(2), 2: D(1)}) == scoring.weighted_total(
        scores, {1: D("0.5"), 2: D("0.25")}
    )


def test_normalised_weights_sum_to_one():
    assert scoring.normalised_weights({"a": D(3), "b": D(1)}) == {"a": D("0.75"), "b": D("0.25")}


def test_weighted_total_is_none_when_a_criterion_is_unscored():
    assert scoring.weighted_total({1: D(4), 2: None}, {1: D(1), 2: D(1)}) is None


def test_weighted_total_is_none_when_a_criterion_is_missing():
    assert scoring.weighted_total({1: D(4)}, {1: D(1), 2: D(1)}) is None


def test_weighted_total_ignores_scores_of_criteria_not_in_the_grid():
    assert scoring.weighted_total({1: D(4), 99: D(5)}, {1: D(2)}) == D(4)


def test_weighted_total_is_none_without_criteria():
    assert scoring.weighted_total({}, {}) is None


def test_scale_levels_go_by_half_points():
    assert HALF_POINTS.levels() == [D(0) + D("0.5") * i for i in range(11)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(0), True),
        (D("2.5"), True),
        (D(5), True),
        (D("5.5"), False),
        (D(-1), False),
        (D("3.3"), False),
    ],
)
def test_is_on_scale_checks_range_and_step(value, expected):
    assert scoring.is_on_scale(value, scale=HALF_POINTS) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3,5", D("3.5")), (" 4 ", D(4)), ("", None), ("abc", None), ("nan", None)],
)
def test_parse_score_reads_comma_or_point(raw, expected):
    assert scoring.parse_score(raw) == expected


def test_spread_gives_range_and_population_std():
    result = scoring.spread([D(10), D(14), D(12)])

    assert result is not None
    assert (result.range, round(result.std, 4)) == (D(4), 1.633)


def test_spread_is_none_below_two_totals():
    assert scoring.spread([D(10)]) is None


@given(
    scores=st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=6),
    weights=st.lists(st.integers(min_value=0, max_value=3000), min_size=6, max_size=6),
)
def test_weighted_total_stays_between_the_lowest_and_highest_score(scores, weights):
    score_map = {i: D(s) / 2 for i, s in enumerate(scores)}
    weight_map = {i: D(weights[i] + 1) / 1000 for i in range(len(scores))}

    total = scoring.weighted_total(score_map, weight_map)

    assert total is not None
    assert min(score_map.values()) <= total <= max(score_map.values())


@given(st.integers(min_value=0, max_value=10))
def test_every_level_is_on_scale(index):
    assert scoring.is_on_scale(HALF_POINTS.levels()[index], scale=HALF_POINTS)
