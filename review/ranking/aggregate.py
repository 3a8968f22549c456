"""From per-juror scores to one score per bid: aggregation, thresholds and the ranking order.

Scores live in a cube `values[bid, slot, criterion]` where the slots of a bid are the
jurors who scored it (padded with NaN): the bootstrap resamples slots, everything else
reads the cube the same way, so the main result and every resample follow one code path.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from review.ranking.model import Aggregate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Scores are rounded to this many decimals before any comparison, so that float noise
# from calibration or summation order can never decide a threshold or a tie.
DECIMALS = 9
SCORE_UNIT = 10**DECIMALS


@dataclass(frozen=True)
class ScoreCube:
    values: FloatArray  # (bids, slots, criteria), NaN where absent
    slot_counts: IntArray  # jurors per bid
    slot_jurors: IntArray  # (bids, slots) juror index, -1 for padding


def build_cube(
    bid: IntArray,
    juror: IntArray,
    criterion: IntArray,
    value: FloatArray,
    *,
    n_bids: int,
    n_criteria: int,
    n_jurors: int,
) -> ScoreCube:
    """Place flat observations in the cube; a bid's slots are its jurors in juror order."""
    pair_keys, pair_of_row = np.unique(bid * n_jurors + juror, return_inverse=True)
    pair_bid, pair_juror = pair_keys // max(n_jurors, 1), pair_keys % max(n_jurors, 1)
    slot_counts = np.bincount(pair_bid, minlength=n_bids).astype(np.int64)
    first_pair_of_bid = np.concatenate(([0], np.cumsum(slot_counts)[:-1]))
    pair_slot = np.arange(pair_keys.size) - first_pair_of_bid[pair_bid]
    width = max(int(slot_counts.max(initial=0)), 1)
    values = np.full((n_bids, width, n_criteria), np.nan)
    values[bid, pair_slot[pair_of_row], criterion] = value
    slot_jurors = np.full((n_bids, width), -1, dtype=np.int64)
    slot_jurors[pair_bid, pair_slot] = pair_juror
    return ScoreCube(values=values, slot_counts=slot_counts, slot_jurors=slot_jurors)


def aggregate_criteria(values: FloatArray, method: Aggregate) -> FloatArray:
    """Mean or median over the slots of each bid and criterion; NaN when nobody scored."""
    if method == "median":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slice: no scores
            result = np.nanmedian(values, axis=1)
    else:
        present = ~np.isnan(values)
        total = np.where(present, values, 0.0).sum(axis=1)
        count = present.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            result = total / count
    return np.round(result, DECIMALS)


def weighted_scores(criterion_scores: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted sum per bid; NaN when any criterion is missing (the bid is incomplete)."""
    return np.round(criterion_scores @ weights, DECIMALS)


def spread(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Disagreement: standard deviation of the jurors' own weighted totals for the bid.

    Only jurors who scored every criterion of the bid count; NaN when there are none.
    """
    totals = values @ weights  # (bids, slots); NaN for padding and incomplete jurors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.round(np.nanstd(totals, axis=1), DECIMALS)


def eligible_mask(
    criterion_scores: FloatArray,
    scores: FloatArray,
    thresholds: FloatArray,
    overall_threshold: float | None,
) -> BoolArray:
    """A bid is eligible when it meets every criterion threshold and the overall one.

    `thresholds` holds -inf for criteria without a threshold; a NaN aggregate (nobody
    scored that criterion) compares false and so excludes the bid.
    """
    with np.errstate(invalid="ignore"):
        meets_criteria = (criterion_scores >= thresholds).all(axis=1)
        meets_overall = ~np.isnan(scores)
        if overall_threshold is not None:
            meets_overall &= scores >= overall_threshold
    return np.asarray(meets_criteria & meets_overall)


def rank_order(
    scores: FloatArray, criterion_scores: FloatArray, tiebreak: IntArray, id_rank: IntArray
) -> IntArray:
    """Bid indices best first: score desc, then the tie-break criteria desc, then id asc.

    Missing values sort last.
    """
    keys: list[npt.NDArray[np.float64] | IntArray] = [id_rank]
    for criterion in tiebreak[::-1]:
        keys.append(_descending(criterion_scores[:, criterion]))
    keys.append(_descending(scores))
    return np.lexsort(keys).astype(np.int64)


def ranks_from_order(order: IntArray) -> IntArray:
    """1-based rank of each bid (in input order) given the rank order."""
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


def score_units(scores: FloatArray) -> IntArray:
    """Scores as exact integers of 1e-9 points, so that sums and ties are exact."""
    return np.rint(np.nan_to_num(scores, nan=0.0) * SCORE_UNIT).astype(np.int64)


def _descending(column: FloatArray) -> FloatArray:
    return np.where(np.isnan(column), np.inf, -column)
