"""The decision's arithmetic (pure): deviations, totals, problems, recommendation, promotion."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.decision import (
    FUNDED,
    INELIGIBLE,
    NOT_FUNDED,
    RESERVE,
    Bounds,
    Line,
    Totals,
    is_deviation,
    problems,
    promote_from_reserve,
    recommendation,
    totals,
)

BOUNDS = Bounds(envelope=100, min_winners=1, max_winners=2)


def _line(bid_id=1, *, outcome=FUNDED, amount=40, recommended=FUNDED, recommended_amount=40, **kw):
    kw.setdefault("requested", 50)
    kw.setdefault("minimum", 30)
    kw.setdefault("screened_eligible", True)
    kw.setdefault("recommended_reserve", None)
    return Line(
        bid_id=bid_id,
        outcome=outcome,
        amount=amount,
        recommended=recommended,
        recommended_amount=recommended_amount,
        **kw,
    )


def _codes(lines, bounds=BOUNDS):
    return [(p.code, p.bid_id) for p in problems(lines, bounds)]


def test_following_the_recommendation_is_no_deviation():
    assert not is_deviation(_line())


def test_another_outcome_or_amount_is_a_deviation():
    assert is_deviation(_line(outcome=NOT_FUNDED, amount=None))
    assert is_deviation(_line(amount=35))


def test_a_reserve_list_moving_up_is_no_deviation():
    line = _line(
        outcome=RESERVE,
        amount=None,
        recommended=RESERVE,
        recommended_amount=None,
        reserve_position=1,
        recommended_reserve=2,
    )
    assert not is_deviation(line)


def test_a_deviation_needs_a_reason():
    assert _codes([_line(amount=35)]) == [("reason_required", 1)]
    assert _codes([_line(amount=35, reason="Budget line 3 is not eligible.")]) == []


def test_the_amount_lies_between_minimum_and_request():
    assert _codes([_line(amount=29, reason="x")]) == [("amount_out_of_range", 1)]
    assert _codes([_line(amount=51, reason="x")]) == [("amount_out_of_range", 1)]
    assert _codes([_line(amount=30, reason="x")]) == []
    assert _codes([_line(amount=50, reason="x")]) == []
    assert _codes([_line(amount=None, reason="x")]) == [("amount_missing", 1)]


def test_envelope_and_winner_bounds_are_checked():
    lines = [_line(1), _line(2, outcome=FUNDED, amount=40), _line(3, amount=40)]
    assert ("over_envelope", None) in _codes(lines)
    assert ("winners_out_of_bounds", None) in _codes(lines)
    assert ("winners_out_of_bounds", None) in _codes(
        [_line(outcome=NOT_FUNDED, amount=None, reason="x")]
    )


def test_an_under_reviewed_winner_needs_an_override_reason():
    assert _codes([_line(under_reviewed=True)]) == [("override_required", 1)]
    assert _codes([_line(under_reviewed=True, override_reason="Third juror ill.")]) == []


def test_a_screened_ineligible_bid_stays_ineligible():
    line = _line(screened_eligible=False, outcome=FUNDED, reason="x")
    assert ("screened_ineligible", 1) in _codes([line])


def test_reserve_positions_run_from_one_without_gaps():
    winner = _line(1)
    reserve = [
        _line(
            i,
            outcome=RESERVE,
            amount=None,
            recommended=RESERVE,
            recommended_amount=None,
            reserve_position=p,
        )
        for i, p in ((2, 1), (3, 3))
    ]
    assert ("reserve_positions", None) in _codes([winner, *reserve])


def test_totals_count_winners_amounts_and_deviations():
    lines = [
        _line(1),
        _line(2, amount=35, reason="x"),
        _line(
            3,
            outcome=RESERVE,
            amount=None,
            recommended=RESERVE,
            recommended_amount=None,
            reserve_position=1,
        ),
    ]
    summary = totals(lines, BOUNDS)
    assert (summary.winners, summary.awarded, summary.envelope_left) == (2, 75, 25)
    assert (summary.reserve, summary.deviations) == (1, 1)


def test_recommendation_reads_the_selection_then_a_reserve_in_rank_order():
    result = {
        "bids": [
            {"id": 1, "rank": 1, "selected": True, "granted": 40, "eligible": True},
            {"id": 2, "rank": 2, "selected": False, "granted": 0, "eligible": True},
            {"id": 3, "rank": 3, "selected": False, "granted": 0, "eligible": False},
            {"id": 4, "rank": 4, "selected": False, "granted": 0, "eligible": True},
            {"id": 5, "rank": 5, "selected": False, "granted": 0, "eligible": True},
        ],
        "lottery": None,
    }
    advice = recommendation(result, screened_ineligible={9}, reserve_size=2)
    assert {k: (v.outcome, v.amount, v.reserve_position) for k, v in advice.items()} == {
        1: (FUNDED, 40, None),
        2: (RESERVE, None, 1),
        3: (NOT_FUNDED, None, None),
        4: (RESERVE, None, 2),
        5: (NOT_FUNDED, None, None),
        9: (INELIGIBLE, None, None),
    }


def test_recommendation_with_a_lottery_is_the_lottery_allocation():
    result = {
        "bids": [
            {"id": 1, "rank": 1, "selected": True, "granted": 40, "eligible": True},
            {"id": 2, "rank": 2, "selected": False, "granted": 0, "eligible": True},
        ],
        "lottery": {"granted": [{"id": 2, "granted": 45}], "winners": [2]},
    }
    advice = recommendation(result, screened_ineligible=set(), reserve_size=1)
    assert (advice[2].outcome, advice[2].amount) == (FUNDED, 45)
    assert advice[1].outcome == RESERVE


def test_promotion_funds_the_first_reserve_and_moves_the_list_up():
    lines = [
        _line(1),
        _line(
            2,
            outcome=RESERVE,
            amount=None,
            recommended=RESERVE,
            recommended_amount=None,
            reserve_position=1,
            recommended_reserve=1,
        ),
        _line(
            3,
            outcome=RESERVE,
            amount=None,
            recommended=RESERVE,
            recommended_amount=None,
            reserve_position=2,
            recommended_reserve=2,
        ),
    ]
    promoted = {
        line.bid_id: line
        for line in promote_from_reserve(lines, leaving=1, reason="Withdrew", envelope=100)
    }
    assert (promoted[1].outcome, promoted[1].amount) == (NOT_FUNDED, None)
    assert (promoted[2].outcome, promoted[2].amount) == (FUNDED, 50)
    assert (promoted[3].outcome, promoted[3].reserve_position) == (RESERVE, 1)
    assert problems(list(promoted.values()), BOUNDS) == []


def test_promotion_refuses_without_reserve_or_from_a_non_winner():
    with pytest.raises(ValueError, match="empty_reserve"):
        promote_from_reserve([_line(1)], leaving=1, reason="x", envelope=100)
    with pytest.raises(ValueError, match="not_funded"):
        promote_from_reserve(
            [_line(1, outcome=NOT_FUNDED, amount=None)], leaving=1, reason="x", envelope=100
        )


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8))
def test_a_decision_without_problems_respects_every_bound(amounts):
    lines = [
        _line(i, amount=a, recommended_amount=a)
        if a >= 30
        else _line(
            i, outcome=NOT_FUNDED, amount=None, recommended=NOT_FUNDED, recommended_amount=None
        )
        for i, a in enumerate(amounts)
    ]
    if problems(lines, BOUNDS):
        return
    summary = totals(lines, BOUNDS)
    assert summary.awarded <= BOUNDS.envelope
    assert BOUNDS.min_winners <= summary.winners <= BOUNDS.max_winners
    assert all(30 <= (line.amount or 0) <= 50 for line in lines if line.outcome == FUNDED)


def test_promotion_funds_what_is_left_of_the_envelope_when_less_than_the_request():
    lines = [
        _line(1, amount=40),
        _line(4, amount=50, recommended_amount=50),
        _line(
            2,
            outcome=RESERVE,
            amount=None,
            recommended=RESERVE,
            recommended_amount=None,
            reserve_position=1,
            recommended_reserve=1,
        ),
    ]
    promoted = {
        line.bid_id: line
        for line in promote_from_reserve(lines, leaving=1, reason="x", envelope=90)
    }
    assert promoted[2].amount == 40


_OUTCOMES = st.sampled_from([FUNDED, RESERVE, NOT_FUNDED, INELIGIBLE, "unknown"])


@given(
    st.lists(
        st.tuples(
            _OUTCOMES,
            st.none() | st.integers(min_value=0, max_value=60),
            _OUTCOMES,
            st.none() | st.integers(min_value=0, max_value=60),
        ),
        max_size=12,
    )
)
def test_totals_in_one_pass_equal_the_definition_line_by_line(rows):
    lines = [
        _line(index, outcome=outcome, amount=amount, recommended=recommended, recommended_amount=r)
        for index, (outcome, amount, recommended, r) in enumerate(rows)
    ]
    awarded = sum(line.amount or 0 for line in lines if line.outcome == FUNDED)

    assert totals(lines, BOUNDS) == Totals(
        winners=sum(1 for line in lines if line.outcome == FUNDED),
        awarded=awarded,
        envelope_left=BOUNDS.envelope - awarded,
        reserve=sum(1 for line in lines if line.outcome == RESERVE),
        deviations=sum(1 for line in lines if is_deviation(line)),
    )
