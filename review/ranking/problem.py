"""The prepared problem: input turned into arrays once, then evaluated and selected.

`evaluate` and `select` are shared by the main result and every bootstrap resample, so
the published ranking and its robustness figures can never disagree on the rules.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields, is_dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from review.ranking import aggregate, selection
from review.ranking.calibration import CalibrationResult, Observations, calibrate
from review.ranking.model import Aggregate, BidId, JurorId, Overflow, Params, Rule, Score
from review.ranking.selection import Selection

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rules:
    """What `evaluate` and `select` read: the same for the main result and every resample,
    so a bootstrap chunk needs this and its noise, not the whole input."""

    aggregate: Aggregate
    rule: Rule
    overflow: Overflow
    budget: int
    min_winners: int
    max_winners: int
    overall_threshold: float | None
    weights: FloatArray
    thresholds: FloatArray  # -inf where a criterion has no threshold
    tiebreak: IntArray  # criterion indices
    id_rank: IntArray  # position of each bid id in sorted order
    requested: IntArray
    minimum: IntArray


@dataclass(frozen=True)
class Problem:
    params: Params
    bid_ids: list[BidId]
    juror_ids: list[JurorId]
    raw: aggregate.ScoreCube
    calibrated: FloatArray  # same shape as raw.values
    calibration: CalibrationResult
    weights: FloatArray
    thresholds: FloatArray  # -inf where a criterion has no threshold
    tiebreak: IntArray  # criterion indices
    id_rank: IntArray  # position of each bid id in sorted order
    requested: IntArray
    minimum: IntArray
    # The fingerprint when the caller already holds it (a ranking run stores it at creation).
    known_fingerprint: str | None = None

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical input; ties bootstrap chunks to it (computed when read:
        a look at the eligible bids needs none)."""
        return self.known_fingerprint or fingerprint(self.params)

    @property
    def rules(self) -> Rules:
        params = self.params
        return Rules(
            aggregate=params.aggregate,
            rule=params.rule,
            overflow=params.overflow,
            budget=params.budget,
            min_winners=params.min_winners,
            max_winners=params.max_winners,
            overall_threshold=params.overall_threshold,
            weights=self.weights,
            thresholds=self.thresholds,
            tiebreak=self.tiebreak,
            id_rank=self.id_rank,
            requested=self.requested,
            minimum=self.minimum,
        )


@dataclass(frozen=True)
class Evaluation:
    criterion_scores: FloatArray  # (bids, criteria)
    scores: FloatArray
    units: IntArray  # the scores as exact integers (`aggregate.BidScores.units`)
    eligible: BoolArray
    order: IntArray  # bid indices, best first
    ranks: IntArray  # 1-based rank per bid


def fingerprint(params: Params) -> str:
    """SHA-256 of the parameters in canonical JSON: equal inputs give equal fingerprints."""
    return hashlib.sha256(canonical_json(params).encode()).hexdigest()


def canonical_json(params: Params) -> str:
    """``json.dumps(dataclasses.asdict(params), sort_keys=True, separators=(",", ":"))``,
    byte for byte, without the deep copy of every score and with the scores written
    directly (what made a fingerprint cost seconds at 10,000 bids). The tests compare the
    two on awkward inputs, and the golden tests pin the fingerprints."""
    parts = []
    for field in sorted(fields(params), key=lambda field: field.name):
        value = getattr(params, field.name)
        if field.name == "scores":
            text = _scores_json(value)
        else:
            plain = [_plain(item) for item in value] if isinstance(value, tuple) else _plain(value)
            text = json.dumps(plain, sort_keys=True, separators=(",", ":"))
        parts.append(f"{json.dumps(field.name)}:{text}")
    return "{" + ",".join(parts) + "}"


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def _scores_json(scores: tuple[Score, ...]) -> str:
    """The scores as `json.dumps` writes a list of their `asdict`, keys sorted."""
    if [field.name for field in fields(Score)] != ["bid", "juror", "criterion", "value"]:
        raise AssertionError("Score's fields changed: update _scores_json")  # pragma: no cover
    encoded: dict[tuple[type, Any], str] = {}

    def scalar(value: Any) -> str:
        # json.dumps writes floats with float.__repr__ and ints with int.__repr__; strings
        # (ids and codes, few and repeated) are encoded once each.
        kind = type(value)
        if kind is float and math.isfinite(value):
            return float.__repr__(value)
        key = (kind, value)
        text = encoded.get(key)
        if text is None:
            text = encoded[key] = json.dumps(value)
        return text

    return (
        "["
        + ",".join(
            f'{{"bid":{scalar(score.bid)},"criterion":{scalar(score.criterion)},'
            f'"juror":{scalar(score.juror)},"value":{scalar(score.value)}}}'
            for score in scores
        )
        + "]"
    )


def prepare(params: Params, *, known_fingerprint: str | None = None) -> Problem:
    """Index the input and calibrate the jurors (raises `DisconnectedJuryError`).

    ``known_fingerprint``: `fingerprint(params)` computed earlier for these very parameters
    (a stored run's input hash), so that it is not computed again (half a second at
    10,000 bids); the caller vouches for it."""
    bid_ids = [bid.id for bid in params.bids]
    bid_index = {bid_id: index for index, bid_id in enumerate(bid_ids)}
    juror_ids: list[JurorId] = sorted({score.juror for score in params.scores})  # type: ignore[type-var]  # ids are all str or all int (checked by the parser)
    juror_index = {juror: index for index, juror in enumerate(juror_ids)}
    codes = [criterion.code for criterion in params.criteria]
    criterion_index = {code: index for index, code in enumerate(codes)}
    observations = Observations(
        bid=np.array([bid_index[s.bid] for s in params.scores], dtype=np.int64),
        juror=np.array([juror_index[s.juror] for s in params.scores], dtype=np.int64),
        criterion=np.array([criterion_index[s.criterion] for s in params.scores], dtype=np.int64),
        value=np.array([s.value for s in params.scores], dtype=np.float64),
        n_bids=len(bid_ids),
        n_jurors=len(juror_ids),
        n_criteria=len(codes),
    )
    calibration = calibrate(
        observations,
        method=params.calibration,
        regularisation=params.regularisation,
        juror_ids=juror_ids,
        criterion_codes=codes,
    )
    raw = _cube(observations, observations.value)
    calibrated = _cube(observations, calibration.values).values
    sorted_ids = sorted(bid_ids)  # type: ignore[type-var]  # homogeneous, checked by the parser
    id_position = {bid_id: index for index, bid_id in enumerate(sorted_ids)}
    return Problem(
        params=params,
        bid_ids=bid_ids,
        juror_ids=juror_ids,
        raw=raw,
        calibrated=calibrated,
        calibration=calibration,
        weights=np.array([c.weight for c in params.criteria], dtype=np.float64),
        thresholds=np.array(
            [-np.inf if c.threshold is None else c.threshold for c in params.criteria]
        ),
        tiebreak=np.array([criterion_index[code] for code in params.tiebreak_order], np.int64),
        id_rank=np.array([id_position[bid_id] for bid_id in bid_ids], dtype=np.int64),
        requested=np.array([bid.requested for bid in params.bids], dtype=np.int64),
        minimum=np.array([bid.minimum for bid in params.bids], dtype=np.int64),
        known_fingerprint=known_fingerprint,
    )


def _cube(observations: Observations, values: FloatArray) -> aggregate.ScoreCube:
    return aggregate.build_cube(
        observations.bid,
        observations.juror,
        observations.criterion,
        values,
        n_bids=observations.n_bids,
        n_criteria=observations.n_criteria,
        n_jurors=observations.n_jurors,
    )


def evaluate(
    problem: Problem | Rules, values: FloatArray, *, layout: aggregate.Layout | None = None
) -> Evaluation:
    """Aggregate a cube of (possibly resampled) scores, check thresholds and rank.

    A resample passes its ``layout`` (where the scores are, counted once per run) and a cube
    holding 0.0 where there is no score (`aggregate.Layout`)."""
    rules = problem.rules if isinstance(problem, Problem) else problem
    scored = aggregate.score_bids(values, rules.aggregate, rules.weights, layout=layout)
    criterion_scores, scores = scored.criterion_scores, scored.scores
    eligible = aggregate.eligible_mask(
        criterion_scores, scores, rules.thresholds, rules.overall_threshold
    )
    order = aggregate.rank_order(scores, criterion_scores, rules.tiebreak, rules.id_rank)
    return Evaluation(
        criterion_scores=criterion_scores,
        scores=scores,
        units=scored.units,
        eligible=eligible,
        order=order,
        ranks=aggregate.ranks_from_order(order),
    )


def select(problem: Problem | Rules, evaluation: Evaluation) -> Selection:
    """Apply the run's rule; positions in the result index `evaluation.order`."""
    params = problem.rules if isinstance(problem, Problem) else problem
    order = evaluation.order
    eligible = evaluation.eligible[order]
    if params.rule == "merit_order":
        return selection.merit_order(
            params.requested[order],
            eligible,
            budget=params.budget,
            min_winners=params.min_winners,
            max_winners=params.max_winners,
            overflow=params.overflow,
        )
    costs = params.requested if params.rule == "optimal" else params.minimum
    return selection.optimal(
        costs[order],
        evaluation.units[order],
        eligible,
        budget=params.budget,
        min_winners=params.min_winners,
        max_winners=params.max_winners,
    )


def grants(problem: Problem, evaluation: Evaluation, chosen: Selection) -> list[int]:
    """Amount granted to each winner, in the order of `chosen.positions`."""
    order = evaluation.order
    if problem.params.rule == "partial":
        return selection.top_up(
            chosen.positions,
            problem.minimum[order],
            problem.requested[order],
            budget=problem.params.budget,
        )
    return [int(problem.requested[order[position]]) for position in chosen.positions]
