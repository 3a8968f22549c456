"""From per-juror scores to one score per bid: aggregation, thresholds and the ranking order.

Scores live in a cube `values[bid, slot, criterion]` where the slots of a bid are the
jurors who scored it (padded with NaN): the bootstrap resamples slots, everything else
reads the cube the same way, so the main result and every resample follow one code path.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from review.ranking.model import Aggregate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Display precision; and, for calibrated (float) values only, the precision at which
# weighted totals are compared, so that float noise cannot decide a threshold or a tie.
DECIMALS = 9
SCORE_UNIT = 10**DECIMALS
# Values and weights with at most this many decimals are computed exactly.
EXACT_DECIMALS = 3
# Exact numerators stay below this bound: int64 sums over every bid never overflow, and
# dividing by the common denominator gives distinct floats for distinct values.
_EXACT_BOUND = 2**50


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


@dataclass(frozen=True)
class Layout:
    """Which cells of a cube hold a score, and how many per bid and criterion: the same for
    every bootstrap resample (only the values change), so counted once per run.

    A cube passed with its layout holds 0.0, not NaN, where there is no score: the array
    that the mean's sum reads (`np.where(present, values, 0.0)`) is then the cube itself,
    with the same bits, and the per-sample NaN tests and counts are gone.
    """

    present: BoolArray  # (bids, slots, criteria)
    counts: IntArray  # (bids, criteria): scores per bid and criterion

    @classmethod
    def of(cls, present: BoolArray) -> Layout:
        return cls(present=present, counts=present.sum(axis=1))


@dataclass(frozen=True)
class BidScores:
    """Per-criterion aggregates and weighted totals of every bid, and the totals as exact
    integers for the selection (``units``: totals × ``unit``, NaN totals as 0)."""

    criterion_scores: FloatArray  # (bids, criteria), NaN when nobody scored
    scores: FloatArray  # NaN when a criterion is missing
    units: IntArray
    exact: bool


def score_bids(
    values: FloatArray, method: Aggregate, weights: FloatArray, *, layout: Layout | None = None
) -> BidScores:
    """Aggregate a cube and weigh the criteria: exactly when the values and weights are
    decimals of at most ``EXACT_DECIMALS`` places (raw half points, quarter points...),
    otherwise (calibrated values) in floats rounded once, after the weighted sum.

    Exactly means in integers over one common denominator for all bids: a mean of half
    points is a rational (257/12), two bids whose totals are equal compare equal, and the
    tie-break chain decides between them. The floats returned are the exact values
    correctly rounded, so equal values are equal floats and distinct values stay distinct.

    With ``layout``, ``values`` holds 0.0 where there is no score (see `Layout`).
    """
    exact = _exact_scores(values, method, weights, layout)
    if exact is not None:
        return exact
    criterion_scores = _aggregate(values, method, layout)
    scores = np.round(criterion_scores @ weights, DECIMALS)
    return BidScores(
        criterion_scores=np.round(criterion_scores, DECIMALS),
        scores=scores,
        units=score_units(scores),
        exact=False,
    )


def _decimal_scale(array: FloatArray, present: BoolArray | None = None) -> int | None:
    """The smallest 10**k (k ≤ EXACT_DECIMALS) making every finite value (every ``present``
    one when given) an integer."""
    # A scale that fails on a few values fails on all of them: calibrated and resampled
    # cubes (floats) are turned down on a probe instead of on every cell.
    probe = array.reshape(-1)[:_PROBE]
    probe = probe[
        np.isfinite(probe) if present is None else present.reshape(-1)[:_PROBE] & np.isfinite(probe)
    ]
    scales = [10**places for places in range(EXACT_DECIMALS + 1)]
    scales = [scale for scale in scales if np.array_equal(np.rint(probe * scale) / scale, probe)]
    if not scales:
        return None
    finite = array[np.isfinite(array) if present is None else present & np.isfinite(array)]
    for scale in scales:
        scaled = np.rint(finite * scale)
        if np.array_equal(scaled / scale, finite):
            return scale
    return None


_PROBE = 64


def _exact_scores(
    values: FloatArray, method: Aggregate, weights: FloatArray, layout: Layout | None
) -> BidScores | None:
    value_scale = _decimal_scale(values, None if layout is None else layout.present)
    weight_scale = _decimal_scale(weights)
    if value_scale is None or weight_scale is None:
        return None
    if layout is None:
        layout = Layout.of(~np.isnan(values))
    present, counts = layout.present, layout.counts  # counts: (bids, criteria)
    value_units = np.where(present, np.rint(values * value_scale), 0.0)
    biggest_value = float(np.abs(value_units).max(initial=0.0))
    weight_units = np.rint(weights * weight_scale).astype(np.int64)
    if method == "median":
        # The median of integers is an integer or a half-integer: count in halves.
        multiplier = 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slice: no scores
            halves = 2 * np.nanmedian(np.where(present, value_units, np.nan), axis=1)
        numerators = np.nan_to_num(halves, nan=0.0)
    else:
        # Mean = sum / count; over the lcm of all the counts, every mean is an integer.
        multiplier = math.lcm(*{int(n) for n in counts.ravel() if n > 0} or {1})
        numerators = value_units.sum(axis=1) * (multiplier // np.maximum(counts, 1))
    bound = biggest_value * multiplier * max(int(np.abs(weight_units).sum()), 1)
    if bound * max(values.shape[0], 1) >= _EXACT_BOUND:
        return None
    criterion_units = numerators.astype(np.int64)  # exact: every term is below the bound
    scored = counts > 0
    total_units = criterion_units @ weight_units
    criterion_denominator = value_scale * multiplier
    complete = scored.all(axis=1)
    criterion_scores = np.where(scored, criterion_units / criterion_denominator, np.nan)
    scores = np.where(complete, total_units / (criterion_denominator * weight_scale), np.nan)
    return BidScores(
        criterion_scores=criterion_scores,
        scores=scores,
        units=np.where(complete, total_units, 0).astype(np.int64),
        exact=True,
    )


def aggregate_criteria(values: FloatArray, method: Aggregate) -> FloatArray:
    """Mean or median over the slots of each bid and criterion; NaN when nobody scored."""
    return np.round(_aggregate(values, method), DECIMALS)


def _aggregate(values: FloatArray, method: Aggregate, layout: Layout | None = None) -> FloatArray:
    if method == "median":
        if layout is not None:
            values = np.where(layout.present, values, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slice: no scores
            result = np.nanmedian(values, axis=1)
    elif layout is not None:  # 0.0 where absent: the same array as the branch below sums
        total = slot_sum(values)
        count = layout.counts
        with np.errstate(invalid="ignore", divide="ignore"):
            result = total / count
    else:
        present = ~np.isnan(values)
        total = np.where(present, values, 0.0).sum(axis=1)
        count = present.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            result = total / count
    return np.asarray(result)


def slot_sum(values: FloatArray) -> FloatArray:
    """``values.sum(axis=1)`` bit for bit, in a third of the time on a bootstrap's cube.

    With more than one criterion the slot axis is not the innermost one, and NumPy adds
    the slots one after the other (slot 0 + slot 1, + slot 2...), as this loop does; with
    one criterion it sums the contiguous slots pairwise, so NumPy is left to it.
    `tests/review/ranking/test_ranking_plan.py` checks the bits on random cubes.
    """
    if values.ndim != 3 or values.shape[1] == 0 or values.shape[2] == 1:
        return np.asarray(values.sum(axis=1))
    total = values[:, 0, :].copy()
    for slot in range(1, values.shape[1]):
        total += values[:, slot, :]
    return total


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
    # The order is total (ids are unique), so sorting on the score first and then only the
    # runs of equal scores on the rest of the chain gives the full lexicographic order.
    primary = _descending(scores)
    order = np.argsort(primary, kind="stable")
    ordered = primary[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return order.astype(np.int64)
    tied = np.zeros(order.size, dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    positions = np.flatnonzero(tied)
    members = order[positions]
    run = np.cumsum(np.concatenate(([True], ~same)))[positions]  # which run of equal scores
    keys: list[npt.NDArray[np.float64] | IntArray] = [id_rank[members]]
    for criterion in tiebreak[::-1]:
        keys.append(_descending(criterion_scores[members, criterion]))
    keys.append(run)
    order[positions] = members[np.lexsort(keys)]
    return order.astype(np.int64)


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
