"""The engine's entry point: `solve(params) -> Result`, and the result's canonical JSON."""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from review.ranking import aggregate
from review.ranking.errors import RankingInputError
from review.ranking.model import BidId, LotteryParams, Params
from review.ranking.problem import Evaluation, Problem, evaluate, grants, prepare, select
from review.ranking.robustness import (
    BidRobustness,
    BootstrapChunk,
    BootstrapPlan,
    LotteryBids,
    LotteryOutcome,
    allot_lottery,
    bootstrap_chunk,
    draw_lottery,
    merge_chunks,
    prepare_bootstrap,
    run_bootstrap,
    summarise,
    summarise_merged,
)
from review.ranking.selection import Selection
from review.ranking.version import ENGINE_VERSION


@dataclass(frozen=True)
class BidOutcome:
    id: BidId
    rank: int
    score: float | None
    raw_score: float | None
    criterion_scores: dict[str, float | None]
    raw_criterion_scores: dict[str, float | None]
    spread: float | None
    jurors: int
    requested: int
    minimum: int
    eligible: bool
    selected: bool
    granted: int
    # One of: selected, no_scores, below_threshold, below_overall_threshold, infeasible,
    # envelope_exhausted, walk_stopped, max_winners_reached, outranked.
    reason: str
    reason_detail: str
    robustness: BidRobustness | None = None


@dataclass(frozen=True)
class Result:
    feasible: bool
    reason: str | None
    winners: tuple[BidId, ...]  # rank order
    total_granted: int
    bids: tuple[BidOutcome, ...]  # rank order
    params: Params
    input_sha256: str
    juror_effects: tuple[dict[str, Any], ...]
    bootstrap_samples: int | None = None
    lottery: LotteryOutcome | None = None

    def as_dict(self) -> dict[str, Any]:
        return _result_dict(self)

    def to_json(self) -> str:
        """Canonical JSON: same input and seed give the same bytes."""
        return result_json(self.as_dict())


def result_json(result: Mapping[str, Any]) -> str:
    """A result's canonical JSON (`Result.to_json`), from its dict (`Result.as_dict`, or
    `complete_result`): same input and seed give the same bytes."""
    return json.dumps(result, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)


def calibrated_values(params: Params) -> list[float | None]:
    """Each input score after the run's calibration, in the order of ``params.scores``
    (rounded as the result is): what the exports print beside the raw score."""
    problem = prepare(params)
    return [_number(value) for value in problem.calibration.values]


def eligible_bids(params: Params) -> list[BidId]:
    """The bids that pass the thresholds, in rank order: `solve`'s eligible bids without
    selecting, explaining or fingerprinting (ignores bootstrap and lottery)."""
    problem = prepare(params)
    evaluation = evaluate(problem, problem.calibrated)
    return [problem.bid_ids[bid] for bid in evaluation.order.tolist() if evaluation.eligible[bid]]


def solve(
    params: Params,
    *,
    bootstrap_chunks: Sequence[Mapping[str, Any]] | None = None,
    known_fingerprint: str | None = None,
) -> Result:
    """Rank, select and (when `params.bootstrap` is set) measure robustness.

    Pass `bootstrap_chunks` (from `compute_bootstrap_chunk`, computed elsewhere) to skip
    computing the bootstrap here; they must cover all the samples exactly once.
    `known_fingerprint`: `fingerprint(params)`, when the caller stored it (see `prepare`).
    Raises `RankingError` (input or calibration problems).
    """
    problem = prepare(params, known_fingerprint=known_fingerprint)
    evaluation = evaluate(problem, problem.calibrated)
    chosen = select(problem, evaluation)
    return _solved(problem, evaluation, chosen, bootstrap_chunks=bootstrap_chunks)


def _solved(
    problem: Problem,
    evaluation: Evaluation,
    chosen: Selection,
    *,
    bootstrap_chunks: Sequence[Mapping[str, Any]] | None = None,
    with_bootstrap: bool = True,
) -> Result:
    """The result of a prepared problem; without its bootstrap (robustness, lottery) when
    ``with_bootstrap`` is false, which is what a point estimate holds."""
    params = problem.params
    summary = None
    if params.bootstrap is not None and with_bootstrap:
        summary = (
            summarise(problem, merge_chunks(bootstrap_chunks))
            if bootstrap_chunks is not None
            else run_bootstrap(problem)
        )
    lottery = None
    if params.lottery is not None and summary is not None:
        lottery = draw_lottery(problem, evaluation, summary, params.lottery)
    outcomes = _bid_outcomes(problem, evaluation, chosen, summary)
    winners = tuple(outcome.id for outcome in outcomes if outcome.selected)
    return Result(
        feasible=chosen.feasible,
        reason=chosen.reason,
        winners=winners,
        total_granted=sum(outcome.granted for outcome in outcomes),
        bids=outcomes,
        params=params,
        input_sha256=problem.fingerprint,
        juror_effects=_juror_effects(problem),
        bootstrap_samples=None if summary is None else summary.samples,
        lottery=lottery,
    )


def bootstrap_plan(params: Params, *, known_fingerprint: str | None = None) -> BootstrapPlan:
    """What every chunk of the bootstrap shares, prepared once (it travels as
    `BootstrapPlan.to_bytes`); raises `RankingError` as `solve` does (a disconnected jury).
    `known_fingerprint` as for `solve`."""
    return prepare_bootstrap(prepare(params, known_fingerprint=known_fingerprint))


def compute_bootstrap_chunk(
    params: Params | BootstrapPlan, *, start: int, count: int
) -> BootstrapChunk:
    """Samples start..start+count-1 of the run's bootstrap, as JSON-serialisable data.

    Pass the run's `bootstrap_plan` rather than its parameters when computing several
    chunks: the input is then neither parsed nor prepared again for each one.
    """
    plan = params if isinstance(params, BootstrapPlan) else bootstrap_plan(params)
    return bootstrap_chunk(plan, start=start, count=count)


@dataclass(frozen=True)
class PointEstimate:
    """A run's result before its bootstrap: the result's dict (`Result.as_dict`) without the
    robustness figures and the lottery, and what completing it reads (`complete_result`):
    the input position of the bid at each rank, and the lottery's settings.

    A distributed run computes it once, with the bootstrap plan (`prepare_run`), and its
    merge completes it instead of parsing, preparing and solving the input again. It
    travels as bytes (`to_bytes`, `from_bytes`: compressed JSON, whose floats read back
    exactly)."""

    result: dict[str, Any]
    order: tuple[int, ...]
    lottery: LotteryParams | None = None

    @property
    def fingerprint(self) -> str:
        return str(self.result["input_sha256"])

    def to_bytes(self) -> bytes:
        lottery = self.lottery
        document = {
            "engine_version": ENGINE_VERSION,
            "result": self.result,
            "order": list(self.order),
            "lottery": None
            if lottery is None
            else {"seed": lottery.seed, "commitment": lottery.commitment},
        }
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return zlib.compress(text.encode(), 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> PointEstimate:
        document = json.loads(zlib.decompress(data))
        if document["engine_version"] != ENGINE_VERSION:
            raise RankingInputError(
                "bootstrap",
                f"the point estimate was computed by engine {document['engine_version']}, "
                f"not {ENGINE_VERSION}",
            )
        lottery = document["lottery"]
        return cls(
            result=document["result"],
            order=tuple(document["order"]),
            lottery=None if lottery is None else LotteryParams(**lottery),
        )


@dataclass(frozen=True)
class RunPreparation:
    """The work of a run done once: its point estimate, and its bootstrap plan (``None``
    without bootstrap)."""

    point: PointEstimate
    plan: BootstrapPlan | None


def prepare_run(params: Params, *, known_fingerprint: str | None = None) -> RunPreparation:
    """Prepare the input once for the point estimate and the bootstrap plan; raises
    `RankingError` as `solve` does. `known_fingerprint` as for `solve`."""
    problem = prepare(params, known_fingerprint=known_fingerprint)
    evaluation = evaluate(problem, problem.calibrated)
    chosen = select(problem, evaluation)
    point = _solved(problem, evaluation, chosen, with_bootstrap=False)
    return RunPreparation(
        point=PointEstimate(
            result=point.as_dict(),
            order=tuple(evaluation.order.tolist()),
            lottery=params.lottery,
        ),
        plan=None if params.bootstrap is None else prepare_bootstrap(problem),
    )


def complete_result(
    point: PointEstimate, *, bootstrap_chunks: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The result's dict (`result_json` encodes it), from the point estimate and, with a
    bootstrap, its chunks (covering all the samples once, in any order): the same as
    `solve(params, bootstrap_chunks=chunks).as_dict()`, without solving again."""
    settings = point.result["params"]["bootstrap"]
    if settings is None:
        return point.result
    if bootstrap_chunks is None:
        raise RankingInputError("bootstrap", "the bootstrap's chunks are missing")
    summary = summarise_merged(
        merge_chunks(bootstrap_chunks),
        samples=settings["samples"],
        grey_zone=settings["grey_zone"],
        fingerprint=point.fingerprint,
    )
    # Bids by rank position from here on: the summary's figures are by input position.
    robustness = [summary.per_bid[position] for position in point.order]
    bids = point.result["bids"]
    result = {
        **point.result,
        "bids": [
            {**bid, **_robustness_dict(figures)}
            for bid, figures in zip(bids, robustness, strict=True)
        ],
        "bootstrap_samples": summary.samples,
    }
    if point.lottery is not None:
        echo = point.result["params"]
        lottery = allot_lottery(
            LotteryBids(
                ids=[bid["id"] for bid in bids],
                ranks=[bid["rank"] for bid in bids],
                ranked_eligible=[position for position, bid in enumerate(bids) if bid["eligible"]],
                requested=np.array([bid["requested"] for bid in bids], dtype=np.int64),
                minimum=np.array([bid["minimum"] for bid in bids], dtype=np.int64),
                robustness=robustness,
            ),
            point.lottery,
            rule=echo["rule"],
            budget=echo["budget"],
            min_winners=echo["min_winners"],
            max_winners=echo["max_winners"],
            grey_zone=settings["grey_zone"],
        )
        result["lottery"] = _lottery_dict(lottery)
    return result


def _bid_outcomes(
    problem: Problem,
    evaluation: Evaluation,
    chosen: Selection,
    summary: Any,
) -> tuple[BidOutcome, ...]:
    codes = [criterion.code for criterion in problem.params.criteria]
    raw = aggregate.score_bids(problem.raw.values, problem.params.aggregate, problem.weights)
    raw_criteria, raw_scores = raw.criterion_scores, raw.scores
    spreads = aggregate.spread(problem.calibrated, problem.weights)
    winner_bids = [int(evaluation.order[position]) for position in chosen.positions]
    granted = dict(zip(winner_bids, grants(problem, evaluation, chosen), strict=True))
    explain = _Explainer(problem, evaluation, chosen, winner_bids)
    outcomes = []
    for position, bid in enumerate(evaluation.order.tolist()):
        reason, detail = explain.reason(position, bid, granted.get(bid))
        outcomes.append(
            BidOutcome(
                id=problem.bid_ids[bid],
                rank=position + 1,
                score=_number(evaluation.scores[bid]),
                raw_score=_number(raw_scores[bid]),
                criterion_scores=_by_code(codes, evaluation.criterion_scores[bid]),
                raw_criterion_scores=_by_code(codes, raw_criteria[bid]),
                spread=_number(spreads[bid]),
                jurors=int(problem.raw.slot_counts[bid]),
                requested=int(problem.requested[bid]),
                minimum=int(problem.minimum[bid]),
                eligible=bool(evaluation.eligible[bid]),
                selected=bid in granted,
                granted=granted.get(bid, 0),
                reason=reason,
                reason_detail=detail,
                robustness=None if summary is None else summary.per_bid[bid],
            )
        )
    return tuple(outcomes)


class _Explainer:
    """Why each bid is or is not funded, in the words of the rule that decided."""

    def __init__(
        self, problem: Problem, evaluation: Evaluation, chosen: Selection, winners: list[int]
    ) -> None:
        self.problem, self.evaluation, self.chosen = problem, evaluation, chosen
        params = problem.params
        self.costs = problem.minimum if params.rule == "partial" else problem.requested
        self.left = params.budget - int(sum(int(self.costs[bid]) for bid in winners))
        self.full = len(winners) >= params.max_winners

    def reason(self, position: int, bid: int, granted: int | None) -> tuple[str, str]:
        if not self.evaluation.eligible[bid]:
            return self._exclusion(bid)
        if not self.chosen.feasible:
            return "infeasible", str(self.chosen.reason)
        if granted is not None:
            return "selected", f"granted {granted} of {int(self.problem.requested[bid])}"
        if self.problem.params.rule == "merit_order":
            return self._merit_order(position, bid)
        cost = int(self.costs[bid])
        if cost > self.left:
            return "envelope_exhausted", f"needs {cost}, {self.left} left in the envelope"
        if self.full:
            return "max_winners_reached", "the optimal set already has max_winners bids"
        return "outranked", "the optimal set scores higher without this bid"

    def _merit_order(self, position: int, bid: int) -> tuple[str, str]:
        end = self.chosen.walk_end
        if end is not None and position >= end:
            if self.chosen.walk_end_reason == "max_winners_reached":
                return "max_winners_reached", "the walk reached max_winners before this bid"
            if position > end:
                return "walk_stopped", "the walk stopped at a bid that did not fit"
        return "envelope_exhausted", (
            f"requests {int(self.problem.requested[bid])}, more than was left when reached"
        )

    def _exclusion(self, bid: int) -> tuple[str, str]:
        params = self.problem.params
        values = self.evaluation.criterion_scores[bid]
        for criterion, value in zip(params.criteria, values, strict=True):
            if math.isnan(value):
                return "no_scores", f"no score on {criterion.code}"
        for criterion, value in zip(params.criteria, values, strict=True):
            if criterion.threshold is not None and value < criterion.threshold:
                return "below_threshold", (
                    f"{criterion.code}: {_number(value)} < {criterion.threshold}"
                )
        score = _number(self.evaluation.scores[bid])
        return "below_overall_threshold", f"score {score} < {params.overall_threshold}"


def _juror_effects(problem: Problem) -> tuple[dict[str, Any], ...]:
    effects = problem.calibration.juror_effects
    codes = [criterion.code for criterion in problem.params.criteria]
    return tuple(
        {"juror": juror} | {name: _by_code(codes, table[index]) for name, table in effects.items()}
        for index, juror in enumerate(problem.juror_ids)
        if effects
    )


def _by_code(codes: list[str], values: np.ndarray) -> dict[str, float | None]:
    return {code: _number(value) for code, value in zip(codes, values, strict=True)}


def _number(value: float) -> float | None:
    """Fixed rounding, no NaN in JSON, and no -0.0 that would print differently."""
    if math.isnan(value):
        return None
    return round(float(value), aggregate.DECIMALS) + 0.0


def _params_echo(params: Params) -> dict[str, Any]:
    return {
        "budget": params.budget,
        "min_winners": params.min_winners,
        "max_winners": params.max_winners,
        "criteria": [
            {
                "code": c.code,
                "weight": c.weight,
                "threshold": c.threshold,
                "min": c.min,
                "max": c.max,
            }
            for c in params.criteria
        ],
        "overall_threshold": params.overall_threshold,
        "calibration": params.calibration,
        "aggregate": params.aggregate,
        "rule": params.rule,
        "overflow": params.overflow,
        "tiebreak": list(params.tiebreak_order),
        "regularisation": params.regularisation,
        "bootstrap": None
        if params.bootstrap is None
        else {
            "samples": params.bootstrap.samples,
            "seed": params.bootstrap.seed,
            "grey_zone": params.bootstrap.grey_zone,
        },
        "bids": len(params.bids),
        "scores": len(params.scores),
    }


def _bid_dict(outcome: BidOutcome) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": outcome.id,
        "rank": outcome.rank,
        "score": outcome.score,
        "raw_score": outcome.raw_score,
        "criterion_scores": outcome.criterion_scores,
        "raw_criterion_scores": outcome.raw_criterion_scores,
        "spread": outcome.spread,
        "jurors": outcome.jurors,
        "requested": outcome.requested,
        "minimum": outcome.minimum,
        "eligible": outcome.eligible,
        "selected": outcome.selected,
        "granted": outcome.granted,
        "reason": outcome.reason,
        "reason_detail": outcome.reason_detail,
    }
    if outcome.robustness is not None:
        data.update(_robustness_dict(outcome.robustness))
    return data


def _robustness_dict(robustness: BidRobustness) -> dict[str, Any]:
    return {
        "p_selected": robustness.p_selected,
        "rank_interval_50": list(robustness.rank_interval_50),
        "rank_interval_90": list(robustness.rank_interval_90),
        "grey_zone": robustness.grey_zone,
    }


def _lottery_dict(lottery: LotteryOutcome) -> dict[str, Any]:
    return {
        "commitment": lottery.commitment,
        "seed": lottery.seed,
        "funded_without_draw": list(lottery.funded_without_draw),
        "pool": list(lottery.pool),
        "winners": list(lottery.winners),
        "granted": [{"id": bid, "granted": amount} for bid, amount in lottery.granted.items()],
        "total_granted": sum(lottery.granted.values()),
        "reached_min_winners": lottery.reached_min_winners,
    }


def _result_dict(result: Result) -> dict[str, Any]:
    return {
        "engine_version": ENGINE_VERSION,
        "input_sha256": result.input_sha256,
        "feasible": result.feasible,
        "reason": result.reason,
        "winners": list(result.winners),
        "total_granted": result.total_granted,
        "budget_left": result.params.budget - result.total_granted,
        "bids": [_bid_dict(outcome) for outcome in result.bids],
        "params": _params_echo(result.params),
        "calibration": {"method": result.params.calibration, "jurors": list(result.juror_effects)},
        "bootstrap_samples": result.bootstrap_samples,
        "lottery": None if result.lottery is None else _lottery_dict(result.lottery),
    }
