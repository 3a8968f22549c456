"""The engine's input: frozen dataclasses and the parser that checks the JSON contract.

Every error names the offending field as a path (`bids[2].requested`) so that a programme
officer editing a JSON file, or the Django form that builds it, can point at the culprit.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, cast

from review.ranking.errors import RankingInputError

BidId = str | int
JurorId = str | int
Calibration = Literal["none", "zscore", "additive"]
Aggregate = Literal["mean", "median"]
Rule = Literal["merit_order", "optimal", "partial"]
Overflow = Literal["skip", "stop"]

CALIBRATIONS: tuple[Calibration, ...] = ("none", "zscore", "additive")
AGGREGATES: tuple[Aggregate, ...] = ("mean", "median")
RULES: tuple[Rule, ...] = ("merit_order", "optimal", "partial")
OVERFLOWS: tuple[Overflow, ...] = ("skip", "stop")

# Bounds that keep integer arithmetic exact in int64 and float64 (scores are scaled to
# integers of 1e-9 points for the optimisation, amounts are summed in int64).
MAX_AMOUNT = 10**15
MAX_SCALE = 1_000.0
MAX_WEIGHT = 1_000.0
MAX_CRITERIA = 100
MAX_SAMPLES = 100_000
MIN_LOTTERY_SEED_LENGTH = 16


@dataclass(frozen=True)
class Criterion:
    code: str
    weight: float
    threshold: float | None = None
    min: float = 0.0
    max: float = 5.0


@dataclass(frozen=True)
class Bid:
    id: BidId
    requested: int
    minimum: int


@dataclass(frozen=True)
class Score:
    bid: BidId
    juror: JurorId
    criterion: str
    value: float


@dataclass(frozen=True)
class BootstrapParams:
    samples: int
    seed: int
    # A bid is in the grey zone when selected in more than this share of resamples and
    # rejected in more than this share too: its outcome is a statistical coin toss.
    grey_zone: float = 0.05


@dataclass(frozen=True)
class LotteryParams:
    seed: str
    # SHA-256 of the seed published before the draw; checked when given.
    commitment: str | None = None


@dataclass(frozen=True)
class Params:
    budget: int
    min_winners: int
    max_winners: int
    criteria: tuple[Criterion, ...]
    calibration: Calibration
    aggregate: Aggregate
    rule: Rule
    bids: tuple[Bid, ...]
    scores: tuple[Score, ...]
    overflow: Overflow = "skip"
    overall_threshold: float | None = None
    tiebreak: tuple[str, ...] = ()
    bootstrap: BootstrapParams | None = None
    lottery: LotteryParams | None = None
    regularisation: float = 1.0

    @property
    def tiebreak_order(self) -> tuple[str, ...]:
        """Criterion codes used to break score ties, before falling back to the bid id."""
        return self.tiebreak or tuple(criterion.code for criterion in self.criteria)


TOP_LEVEL_KEYS = {
    "budget",
    "min_winners",
    "max_winners",
    "criteria",
    "overall_threshold",
    "calibration",
    "aggregate",
    "rule",
    "overflow",
    "bids",
    "scores",
    "bootstrap",
    "tiebreak",
    "lottery",
    "regularisation",
}
REQUIRED_KEYS: tuple[str, ...] = (
    "budget",
    "min_winners",
    "max_winners",
    "criteria",
    "calibration",
    "aggregate",
    "rule",
    "bids",
    "scores",
)


def parse_params(data: Any) -> Params:
    """Check a decoded JSON document against the contract and build `Params`.

    Raises `RankingInputError` naming the first offending field.
    """
    # Hundreds of thousands of new objects, none in a reference cycle: the cyclic garbage
    # collector would walk them again and again while they are built (a third of the
    # parse at 10,000 bids) and free nothing.
    with _collector_paused():
        return _parse_params(data)


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_params(data: Any) -> Params:
    obj = _mapping(data, "input", allowed=TOP_LEVEL_KEYS, required=REQUIRED_KEYS)
    criteria = _parse_criteria(obj["criteria"])
    scales = {criterion.code: criterion for criterion in criteria}
    bids = _parse_bids(obj["bids"])
    min_winners = _integer(obj["min_winners"], "min_winners", minimum=0)
    max_winners = _integer(obj["max_winners"], "max_winners", minimum=1)
    if min_winners > max_winners:
        raise RankingInputError(
            "min_winners", f"must not exceed max_winners ({min_winners} > {max_winners})"
        )
    overall = obj.get("overall_threshold")
    params = Params(
        budget=_integer(obj["budget"], "budget", minimum=0, maximum=MAX_AMOUNT),
        min_winners=min_winners,
        max_winners=max_winners,
        criteria=criteria,
        calibration=cast(Calibration, _choice(obj["calibration"], "calibration", CALIBRATIONS)),
        aggregate=cast(Aggregate, _choice(obj["aggregate"], "aggregate", AGGREGATES)),
        rule=cast(Rule, _choice(obj["rule"], "rule", RULES)),
        overflow=cast(Overflow, _choice(obj.get("overflow", "skip"), "overflow", OVERFLOWS)),
        bids=bids,
        scores=_parse_scores(obj["scores"], bids, scales),
        overall_threshold=None if overall is None else _number(overall, "overall_threshold"),
        tiebreak=_parse_tiebreak(obj.get("tiebreak"), scales),
        bootstrap=_parse_bootstrap(obj.get("bootstrap")),
        lottery=_parse_lottery(obj.get("lottery")),
        regularisation=_number(obj.get("regularisation", 1.0), "regularisation", low=1e-6),
    )
    if params.lottery is not None and params.bootstrap is None:
        raise RankingInputError("lottery", "needs `bootstrap` to find the grey zone")
    return params


def _parse_criteria(value: Any) -> tuple[Criterion, ...]:
    items = _list(value, "criteria", non_empty=True)
    if len(items) > MAX_CRITERIA:
        raise RankingInputError("criteria", f"at most {MAX_CRITERIA} criteria")
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"criteria[{index}]"
        obj = _mapping(
            item,
            where,
            allowed={"code", "weight", "threshold", "min", "max"},
            required=("code", "weight"),
        )
        code = _text(obj["code"], f"{where}.code")
        if code in seen:
            raise RankingInputError(f"{where}.code", f"duplicate criterion code {code!r}")
        seen.add(code)
        low = _number(obj.get("min", 0.0), f"{where}.min", low=-MAX_SCALE, high=MAX_SCALE)
        high = _number(obj.get("max", 5.0), f"{where}.max", low=-MAX_SCALE, high=MAX_SCALE)
        if low >= high:
            raise RankingInputError(f"{where}.min", f"must be below max ({low} >= {high})")
        threshold = obj.get("threshold")
        criteria.append(
            Criterion(
                code=code,
                weight=_number(obj["weight"], f"{where}.weight", low=0.0, high=MAX_WEIGHT),
                threshold=None
                if threshold is None
                else _number(threshold, f"{where}.threshold", low=low, high=high),
                min=low,
                max=high,
            )
        )
    return tuple(criteria)


def _parse_bids(value: Any) -> tuple[Bid, ...]:
    items = _list(value, "bids", non_empty=True)
    bids: list[Bid] = []
    seen: set[BidId] = set()
    for index, item in enumerate(items):
        where = f"bids[{index}]"
        obj = _mapping(
            item, where, allowed={"id", "requested", "minimum"}, required=("id", "requested")
        )
        bid_id = _identifier(obj["id"], f"{where}.id")
        if bids and type(bid_id) is not type(bids[0].id):
            raise RankingInputError(f"{where}.id", "bid ids must be all strings or all integers")
        if bid_id in seen:
            raise RankingInputError(f"{where}.id", f"duplicate bid id {bid_id!r}")
        seen.add(bid_id)
        requested = _integer(obj["requested"], f"{where}.requested", minimum=0, maximum=MAX_AMOUNT)
        minimum = _integer(
            obj.get("minimum", requested), f"{where}.minimum", minimum=0, maximum=requested
        )
        bids.append(Bid(id=bid_id, requested=requested, minimum=minimum))
    return tuple(bids)


_SCORE_KEYS = frozenset({"bid", "juror", "criterion", "value"})


def _parse_scores(
    value: Any, bids: Sequence[Bid], criteria: Mapping[str, Criterion]
) -> tuple[Score, ...]:
    known_bids = {bid.id for bid in bids}
    scales = {code: (scale.min, scale.max) for code, scale in criteria.items()}
    scores: list[Score] = []
    seen: set[tuple[BidId, JurorId, str]] = set()
    for index, item in enumerate(_list(value, "scores")):
        # The common case checked inline (a run reads hundreds of thousands of scores);
        # anything unusual goes through `_parse_score`, which names the offending field.
        if type(item) is dict and item.keys() == _SCORE_KEYS:
            bid_id, juror, code, number = (
                item["bid"],
                item["juror"],
                item["criterion"],
                item["value"],
            )
            key = (bid_id, juror, code)
            scale = scales.get(code) if type(code) is str else None
            if (
                scale is not None
                and (type(bid_id) is int or (type(bid_id) is str and bid_id))
                and bid_id in known_bids
                and (type(juror) is int or (type(juror) is str and juror))
                and (type(number) is float or type(number) is int)
                and scale[0] <= number <= scale[1]  # False for NaN
                and key not in seen
            ):
                seen.add(key)
                scores.append(Score(bid=bid_id, juror=juror, criterion=code, value=float(number)))
                continue
        scores.append(_parse_score(item, f"scores[{index}]", known_bids, criteria, seen))
    jurors = {score.juror for score in scores}
    if len({type(juror) for juror in jurors}) > 1:
        raise RankingInputError("scores", "juror ids must be all strings or all integers")
    return tuple(scores)


def _parse_score(
    item: Any,
    where: str,
    known_bids: set[BidId],
    criteria: Mapping[str, Criterion],
    seen: set[tuple[BidId, JurorId, str]],
) -> Score:
    obj = _mapping(
        item,
        where,
        allowed={"bid", "juror", "criterion", "value"},
        required=("bid", "juror", "criterion", "value"),
    )
    bid_id = _identifier(obj["bid"], f"{where}.bid")
    if bid_id not in known_bids:
        raise RankingInputError(f"{where}.bid", f"unknown bid {bid_id!r}")
    code = _text(obj["criterion"], f"{where}.criterion")
    if code not in criteria:
        raise RankingInputError(f"{where}.criterion", f"unknown criterion {code!r}")
    juror = _identifier(obj["juror"], f"{where}.juror")
    key = (bid_id, juror, code)
    if key in seen:
        raise RankingInputError(where, f"juror {juror!r} scored bid {bid_id!r} on {code!r} twice")
    seen.add(key)
    scale = criteria[code]
    number = _number(obj["value"], f"{where}.value", low=scale.min, high=scale.max)
    return Score(bid=bid_id, juror=juror, criterion=code, value=number)


def _parse_tiebreak(value: Any, criteria: Mapping[str, Criterion]) -> tuple[str, ...]:
    if value is None:
        return ()
    codes: list[str] = []
    for index, item in enumerate(_list(value, "tiebreak")):
        code = _text(item, f"tiebreak[{index}]")
        if code not in criteria:
            raise RankingInputError(f"tiebreak[{index}]", f"unknown criterion {code!r}")
        if code in codes:
            raise RankingInputError(f"tiebreak[{index}]", f"criterion {code!r} listed twice")
        codes.append(code)
    return tuple(codes)


def _parse_bootstrap(value: Any) -> BootstrapParams | None:
    if value is None:
        return None
    obj = _mapping(
        value, "bootstrap", allowed={"samples", "seed", "grey_zone"}, required=("samples", "seed")
    )
    return BootstrapParams(
        samples=_integer(obj["samples"], "bootstrap.samples", minimum=1, maximum=MAX_SAMPLES),
        seed=_integer(obj["seed"], "bootstrap.seed", minimum=0, maximum=2**63 - 1),
        grey_zone=_number(obj.get("grey_zone", 0.05), "bootstrap.grey_zone", low=0.0, high=0.5),
    )


def _parse_lottery(value: Any) -> LotteryParams | None:
    if value is None:
        return None
    obj = _mapping(value, "lottery", allowed={"seed", "commitment"}, required=("seed",))
    seed = _text(obj["seed"], "lottery.seed")
    if len(seed) < MIN_LOTTERY_SEED_LENGTH:
        raise RankingInputError(
            "lottery.seed", f"must have at least {MIN_LOTTERY_SEED_LENGTH} characters"
        )
    commitment = obj.get("commitment")
    return LotteryParams(
        seed=seed,
        commitment=None if commitment is None else _text(commitment, "lottery.commitment"),
    )


# --- primitive checks -------------------------------------------------------------------


def _mapping(
    value: Any, where: str, *, allowed: set[str], required: Sequence[str]
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RankingInputError(where, "must be an object")
    for key in required:
        if key not in value:
            raise RankingInputError(f"{where}.{key}" if where != "input" else key, "missing key")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        field = f"{where}.{unknown[0]}" if where != "input" else unknown[0]
        raise RankingInputError(field, "unknown key")
    return value


def _list(value: Any, where: str, *, non_empty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise RankingInputError(where, "must be a list")
    if non_empty and not value:
        raise RankingInputError(where, "must not be empty")
    return value


def _integer(value: Any, where: str, *, minimum: int, maximum: int | None = None) -> int:
    # bool is an int subclass in Python; `true` is never a sensible amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise RankingInputError(where, f"must be an integer, got {value!r}")
    if value < minimum:
        raise RankingInputError(where, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise RankingInputError(where, f"must be at most {maximum}, got {value}")
    return value


def _number(
    value: Any, where: str, *, low: float | None = None, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RankingInputError(where, f"must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise RankingInputError(where, "must be finite")
    if low is not None and number < low:
        raise RankingInputError(where, f"{number:g} is below the minimum {low:g}")
    if high is not None and number > high:
        raise RankingInputError(where, f"{number:g} is above the maximum {high:g}")
    return number


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RankingInputError(where, "must be a non-empty string")
    return value


def _identifier(value: Any, where: str) -> BidId:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RankingInputError(where, f"must be a string or an integer, got {value!r}")
    if isinstance(value, str) and not value:
        raise RankingInputError(where, "must not be empty")
    return value


def _choice(value: Any, where: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise RankingInputError(where, f"must be one of {', '.join(choices)}, got {value!r}")
    return str(value)
