"""Juror calibration: remove each juror's leniency or severity before aggregating.

All methods work on flat observations (one row per bid, juror and criterion) and return a
calibrated value per observation, on the criterion's own scale, so that thresholds keep
their meaning and the aggregation and the bootstrap treat raw and calibrated scores alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.linalg
import scipy.sparse
from scipy.sparse.csgraph import connected_components

from review.ranking.errors import DisconnectedJuryError
from review.ranking.model import Calibration, JurorId

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Observations:
    """Scores as parallel arrays of indices into the bids, jurors and criteria."""

    bid: IntArray
    juror: IntArray
    criterion: IntArray
    value: FloatArray
    n_bids: int
    n_jurors: int
    n_criteria: int


@dataclass(frozen=True)
class CalibrationResult:
    values: FloatArray
    # Per juror and criterion: the additive model's leniency, or the z-score's mean and
    # standard deviation; NaN where the juror scored nothing on the criterion.
    juror_effects: dict[str, FloatArray]


def calibrate(
    observations: Observations,
    *,
    method: Calibration,
    regularisation: float,
    juror_ids: list[JurorId],
    criterion_codes: list[str],
) -> CalibrationResult:
    if method == "none":
        return CalibrationResult(values=observations.value.copy(), juror_effects={})
    if method == "zscore":
        return zscore(observations)
    return additive(
        observations,
        regularisation=regularisation,
        juror_ids=juror_ids,
        criterion_codes=criterion_codes,
    )


def zscore(observations: Observations) -> CalibrationResult:
    """Standardise each juror per criterion, then map back onto the pool's mean and spread.

    A juror whose scores on a criterion do not vary carries no information about the order
    of the bids beyond their mean, so their scores collapse to the criterion's mean.
    """
    obs = observations
    values = np.empty_like(obs.value)
    means = np.full((obs.n_jurors, obs.n_criteria), np.nan)
    deviations = np.full((obs.n_jurors, obs.n_criteria), np.nan)
    for criterion in range(obs.n_criteria):
        rows = np.flatnonzero(obs.criterion == criterion)
        if rows.size == 0:
            continue
        jurors, x = obs.juror[rows], obs.value[rows]
        count = np.bincount(jurors, minlength=obs.n_jurors).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.bincount(jurors, weights=x, minlength=obs.n_jurors) / count
            centred = x - mean[jurors]
            sd = np.sqrt(np.bincount(jurors, weights=centred**2, minlength=obs.n_jurors) / count)
        juror_sd = sd[jurors]
        z = np.divide(centred, juror_sd, out=np.zeros_like(centred), where=juror_sd > 0)
        values[rows] = x.mean() + x.std() * z
        means[:, criterion], deviations[:, criterion] = mean, sd
    return CalibrationResult(values=values, juror_effects={"mean": means, "sd": deviations})


def additive(
    observations: Observations,
    *,
    regularisation: float,
    juror_ids: list[JurorId],
    criterion_codes: list[str],
) -> CalibrationResult:
    """Fit score = bid quality + juror leniency + noise per criterion; subtract leniency.

    Regularised least squares: minimise the squared residuals plus `regularisation` times
    the squared leniencies (a prior that jurors are fair until their scores show
    otherwise). Bid qualities are not penalised, so eliminating them leaves a small
    system in the leniencies only:

        (diag(n_j) - C^T diag(1/n_b) C + lambda I) l = sum over j's scores of (x - bid mean)

    where C is the bid-by-juror incidence matrix. The bracket without lambda is the
    Laplacian of the jurors' overlap graph; it is singular on each connected group, so a
    disconnected jury is refused rather than silently resolved by the prior.
    """
    obs = observations
    values = np.empty_like(obs.value)
    leniency = np.full((obs.n_jurors, obs.n_criteria), np.nan)
    for criterion in range(obs.n_criteria):
        rows = np.flatnonzero(obs.criterion == criterion)
        if rows.size == 0:
            continue
        bids, jurors, x = obs.bid[rows], obs.juror[rows], obs.value[rows]
        _check_connected(bids, jurors, obs, juror_ids, criterion_codes[criterion])
        fitted = _fit_leniency(bids, jurors, x, obs, regularisation)
        values[rows] = x - fitted[jurors]
        scored = np.bincount(jurors, minlength=obs.n_jurors) > 0
        leniency[scored, criterion] = fitted[scored]
    return CalibrationResult(values=values, juror_effects={"leniency": leniency})


def _fit_leniency(
    bids: IntArray, jurors: IntArray, x: FloatArray, obs: Observations, regularisation: float
) -> FloatArray:
    system = leniency_system(
        bids, jurors, n_bids=obs.n_bids, n_jurors=obs.n_jurors, regularisation=regularisation
    )
    rhs = leniency_rhs(bids, jurors, x, n_bids=obs.n_bids, n_jurors=obs.n_jurors)
    return np.asarray(scipy.linalg.solve(system, rhs, assume_a="pos"), dtype=np.float64)


def leniency_system(
    bids: IntArray, jurors: IntArray, *, n_bids: int, n_jurors: int, regularisation: float
) -> FloatArray:
    """The left side of the leniency equations: overlap Laplacian plus the ridge.

    It depends only on who scored what, so the bootstrap inverts it once and refits the
    leniencies of every resample (same design, new values) with `leniency_rhs`.
    """
    per_bid = np.bincount(bids, minlength=n_bids).astype(np.float64)
    per_juror = np.bincount(jurors, minlength=n_jurors).astype(np.float64)
    inverse_count = np.where(per_bid > 0, 1.0 / np.maximum(per_bid, 1.0), 0.0)
    incidence = scipy.sparse.csr_matrix(
        (np.ones(bids.size), (bids, jurors)), shape=(n_bids, n_jurors)
    )
    shared = (incidence.T @ scipy.sparse.diags(inverse_count) @ incidence).toarray()
    return np.diag(per_juror + regularisation) - shared


def leniency_rhs(
    bids: IntArray,
    jurors: IntArray,
    x: FloatArray,
    *,
    n_bids: int,
    n_jurors: int,
    per_bid: FloatArray | None = None,
) -> FloatArray:
    """The right side: per juror, the sum of their scores' deviations from the bid means.

    ``per_bid`` (scores per bid, as floats) is counted here unless given: the bootstrap
    counts it once for all its samples (same design, new values).
    """
    if per_bid is None:
        per_bid = np.bincount(bids, minlength=n_bids).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        bid_mean = np.bincount(bids, weights=x, minlength=n_bids) / per_bid
    deviations = np.bincount(jurors, weights=x - bid_mean[bids], minlength=n_jurors)
    return np.asarray(deviations, dtype=np.float64)


def _check_connected(
    bids: IntArray,
    jurors: IntArray,
    obs: Observations,
    juror_ids: list[JurorId],
    criterion_code: str,
) -> None:
    # Bipartite graph: nodes 0..n_bids-1 are bids, the rest are jurors.
    size = obs.n_bids + obs.n_jurors
    graph = scipy.sparse.coo_matrix(
        (np.ones(bids.size), (bids, obs.n_bids + jurors)), shape=(size, size)
    )
    _, labels = connected_components(graph, directed=False)
    active_jurors = np.unique(jurors)
    juror_labels = labels[obs.n_bids + active_jurors]
    groups = np.unique(juror_labels)
    if groups.size > 1:
        components = [
            [juror_ids[j] for j in active_jurors[juror_labels == group]] for group in groups
        ]
        raise DisconnectedJuryError(criterion_code, components)
