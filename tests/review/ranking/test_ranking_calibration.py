import numpy as np
import pytest

from review.ranking import DisconnectedJuryError, parse_params, solve
from review.ranking.calibration import Observations, additive, zscore


def observations(rows):
    """rows: (bid, juror, value) on a single criterion."""
    bid, juror, value = (np.array(column) for column in zip(*rows, strict=True))
    return Observations(
        bid=bid.astype(np.int64),
        juror=juror.astype(np.int64),
        criterion=np.zeros(len(rows), dtype=np.int64),
        value=value.astype(np.float64),
        n_bids=int(bid.max()) + 1,
        n_jurors=int(juror.max()) + 1,
        n_criteria=1,
    )


# Juror 0 is lenient (+1), juror 1 severe (-1); both read bids 0 and 1 (true quality 3, 2).
SHARED = [(0, 0, 4.0), (0, 1, 2.0), (1, 0, 3.0), (1, 1, 1.0)]


def test_zscore_maps_each_juror_onto_the_pool_mean_and_spread():
    result = zscore(observations(SHARED))

    pool_sd = np.std([4.0, 2.0, 3.0, 1.0])
    high, low = 2.5 + pool_sd, 2.5 - pool_sd
    assert result.values.tolist() == pytest.approx([high, high, low, low])


def test_zscore_juror_without_variation_collapses_to_the_mean():
    result = zscore(observations([(0, 0, 3.0), (1, 0, 3.0), (0, 1, 4.0), (1, 1, 2.0)]))

    assert result.values[:2].tolist() == pytest.approx([3.0, 3.0])


def test_additive_removes_leniency_and_severity():
    result = additive(
        observations(SHARED), regularisation=1e-6, juror_ids=["a", "b"], criterion_codes=["x"]
    )

    assert result.juror_effects["leniency"][:, 0].tolist() == pytest.approx([1.0, -1.0], abs=1e-5)
    assert result.values.tolist() == pytest.approx([3.0, 3.0, 2.0, 2.0], abs=1e-5)


def test_additive_regularisation_shrinks_leniency_towards_zero():
    result = additive(
        observations(SHARED), regularisation=1.0, juror_ids=["a", "b"], criterion_codes=["x"]
    )

    leniency = result.juror_effects["leniency"][:, 0]
    assert 0 < leniency[0] < 1.0
    assert leniency[1] == pytest.approx(-leniency[0])


def test_additive_recovers_a_lenient_jurors_victim_through_shared_bids():
    # Bid 2 is read only by the severe juror; raw mean puts it last, calibrated first.
    rows = [*SHARED, (2, 1, 2.5), (3, 0, 4.0)]
    result = additive(
        observations(rows), regularisation=1e-6, juror_ids=["a", "b"], criterion_codes=["x"]
    )

    assert result.values[4] == pytest.approx(3.5, abs=1e-5)
    assert result.values[5] == pytest.approx(3.0, abs=1e-5)


def test_additive_disconnected_jury_raises_naming_the_groups():
    rows = [(0, 0, 4.0), (0, 1, 2.0), (1, 2, 3.0), (1, 3, 1.0)]

    with pytest.raises(DisconnectedJuryError) as error:
        additive(
            observations(rows),
            regularisation=1.0,
            juror_ids=["a", "b", "c", "d"],
            criterion_codes=["x"],
        )

    assert error.value.components == [["a", "b"], ["c", "d"]]
    assert error.value.field == "calibration"


def test_solve_additive_with_disconnected_jury_refuses_to_rank():
    data = {
        "budget": 10,
        "min_winners": 1,
        "max_winners": 1,
        "rule": "optimal",
        "calibration": "additive",
        "aggregate": "mean",
        "criteria": [{"code": "x", "weight": 1}],
        "bids": [{"id": "A", "requested": 1}, {"id": "B", "requested": 1}],
        "scores": [
            {"bid": "A", "juror": "j1", "criterion": "x", "value": 4},
            {"bid": "B", "juror": "j2", "criterion": "x", "value": 3},
        ],
    }

    with pytest.raises(DisconnectedJuryError, match="2 groups that share no bid"):
        solve(parse_params(data))


def test_solve_none_calibration_keeps_raw_scores():
    data = {
        "budget": 10,
        "min_winners": 1,
        "max_winners": 1,
        "rule": "optimal",
        "calibration": "none",
        "aggregate": "mean",
        "criteria": [{"code": "x", "weight": 2}],
        "bids": [{"id": "A", "requested": 1}],
        "scores": [
            {"bid": "A", "juror": "j1", "criterion": "x", "value": 4},
            {"bid": "A", "juror": "j2", "criterion": "x", "value": 3},
        ],
    }

    bid = solve(parse_params(data)).bids[0]

    assert (bid.score, bid.raw_score, bid.spread) == (7.0, 7.0, 1.0)
