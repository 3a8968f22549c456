"""How fragile is the funding line? A residual bootstrap, and a verifiable lottery.

Bootstrap: each sample re-draws every score as its fitted part plus a residual drawn from
the criterion's pooled residuals, refits the additive calibration on the new scores,
re-aggregates, re-checks thresholds, re-ranks and re-selects with the run's rule.

What a simple resampling of each bid's jurors left out, and made the 90 % rank interval too
narrow (bench/rank_interval_coverage.py measures it):
- the uncertainty of the jurors' fitted leniencies: each sample refits them;
- the fit's lost degrees of freedom, and bids whose three or four jurors happen to agree:
  residuals are pooled per criterion and scaled by sqrt(N / (N - df)), df being the
  effective number of fitted parameters (bid qualities plus the ridge's leniencies);
- fitted qualities spread more than the true ones (they carry their own noise): the
  resamples start from qualities drawn towards their mean until they spread as much as
  the true ones are estimated to;
- ranks are integers: an interval keeps an endpoint rank only when most of its samples
  lie inside (mid-ranks), instead of every rank its quantiles touch.

Sample i draws from its own generator seeded with (seed, i), so a chunk of samples
(start, count) can be computed anywhere and merged: the chunk results are integer
counts and ranks, JSON-serialisable, and merging them gives the same result for any
chunking.

What is the same for every chunk (the fitted parts, the pooled residuals, the inverted
leniency systems, the rules) is computed once, by `prepare_bootstrap`, into a
`BootstrapPlan` that travels as bytes (`to_bytes`, `from_bytes`): a worker computing a
chunk neither parses the input nor prepares the problem again.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import scipy.linalg

from review.ranking.aggregate import Layout, aggregate_criteria
from review.ranking.calibration import leniency_rhs, leniency_system
from review.ranking.errors import RankingInputError
from review.ranking.model import BidId, LotteryParams
from review.ranking.problem import Evaluation, Problem, Rules, evaluate, select
from review.ranking.selection import top_up
from review.ranking.version import ENGINE_VERSION

BootstrapChunk = dict[str, Any]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BidRobustness:
    p_selected: float
    rank_interval_50: tuple[int, int]
    rank_interval_90: tuple[int, int]
    grey_zone: bool


@dataclass(frozen=True)
class BootstrapSummary:
    samples: int
    per_bid: tuple[BidRobustness, ...]  # input order


@dataclass(frozen=True)
class LotteryOutcome:
    commitment: str
    seed: str
    funded_without_draw: tuple[BidId, ...]
    pool: tuple[BidId, ...]  # grey-zone bids in draw order
    winners: tuple[BidId, ...]  # rank order
    granted: dict[BidId, int]
    reached_min_winners: bool


def plan_chunks(samples: int, chunk_size: int) -> list[tuple[int, int]]:
    """(start, count) pairs covering samples 0..samples-1, for distributing the work."""
    return [(start, min(chunk_size, samples - start)) for start in range(0, samples, chunk_size)]


@dataclass(frozen=True)
class _CriterionNoise:
    """One criterion's scores as fitted part + residual, and how to refit the leniencies.

    Cells are the (bid, slot) pairs of the score cube that hold a score on the criterion;
    ``cell`` is each one's flat index in the cube (bid, slot, criterion).
    """

    criterion: int
    bid: IntArray
    slot: IntArray
    juror: IntArray
    cell: IntArray
    fitted: FloatArray  # bid quality (+ juror leniency when refitted)
    residuals: FloatArray  # pooled, scaled for the fit's degrees of freedom
    per_bid: FloatArray  # scores per bid on the criterion (the refit's bid means)
    refit: FloatArray | None  # inverse of the leniency system (small: jurors × jurors)


@dataclass(frozen=True)
class BootstrapPlan:
    """Everything a bootstrap chunk reads, the same for every chunk of a run."""

    fingerprint: str
    samples: int
    seed: int
    shape: tuple[int, int, int]  # the score cube: bids, slots, criteria
    n_jurors: int
    rules: Rules
    noise: tuple[_CriterionNoise, ...]

    @cached_property
    def cells(self) -> _Cells:
        return _cells(self)

    def to_bytes(self) -> bytes:
        """A NumPy archive (no pickle): what a worker on another machine loads."""
        header = {
            "engine_version": ENGINE_VERSION,
            "fingerprint": self.fingerprint,
            "samples": self.samples,
            "seed": self.seed,
            "shape": list(self.shape),
            "n_jurors": self.n_jurors,
            "rules": {name: getattr(self.rules, name) for name in _RULE_SETTINGS},
            "refit": [part.refit is not None for part in self.noise],
        }
        arrays: dict[str, np.ndarray] = {
            "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        }
        for name in _RULE_ARRAYS:
            arrays[name] = getattr(self.rules, name)
        for index, part in enumerate(self.noise):
            for name in _NOISE_ARRAYS:
                value = getattr(part, name)
                if value is not None:
                    arrays[f"{name}_{index}"] = value
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BootstrapPlan:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(arrays.pop("header").tobytes())
        if header["engine_version"] != ENGINE_VERSION:
            raise RankingInputError(
                "bootstrap",
                f"the plan was prepared by engine {header['engine_version']}, not {ENGINE_VERSION}",
            )
        rules = Rules(**header["rules"], **{name: arrays[name] for name in _RULE_ARRAYS})
        noise = tuple(
            _CriterionNoise(
                criterion=index,
                bid=arrays[f"bid_{index}"],
                slot=arrays[f"slot_{index}"],
                juror=arrays[f"juror_{index}"],
                cell=arrays[f"cell_{index}"],
                fitted=arrays[f"fitted_{index}"],
                residuals=arrays[f"residuals_{index}"],
                per_bid=arrays[f"per_bid_{index}"],
                refit=arrays[f"refit_{index}"] if refit else None,
            )
            for index, refit in enumerate(header["refit"])
        )
        shape = cast(tuple[int, int, int], tuple(header["shape"]))
        return cls(
            fingerprint=header["fingerprint"],
            samples=header["samples"],
            seed=header["seed"],
            shape=shape,
            n_jurors=header["n_jurors"],
            rules=rules,
            noise=noise,
        )


_RULE_ARRAYS = ("weights", "thresholds", "tiebreak", "id_rank", "requested", "minimum")
_RULE_SETTINGS = tuple(field.name for field in fields(Rules) if field.name not in _RULE_ARRAYS)
_NOISE_ARRAYS = tuple(field.name for field in fields(_CriterionNoise) if field.name != "criterion")


def prepare_bootstrap(problem: Problem) -> BootstrapPlan:
    """The work shared by every chunk, done once: split each criterion's scores into
    fitted part and residuals and invert its leniency system."""
    settings = problem.params.bootstrap
    if settings is None:
        raise RankingInputError("bootstrap", "the run has no bootstrap settings")
    n_bids, width, n_criteria = problem.raw.values.shape
    return BootstrapPlan(
        fingerprint=problem.fingerprint,
        samples=settings.samples,
        seed=settings.seed,
        shape=(n_bids, width, n_criteria),
        n_jurors=len(problem.juror_ids),
        rules=problem.rules,
        noise=tuple(_criterion_noise(problem, criterion) for criterion in range(n_criteria)),
    )


def bootstrap_chunk(plan: BootstrapPlan | Problem, *, start: int, count: int) -> BootstrapChunk:
    """Compute samples start..start+count-1; the result is plain JSON-serialisable data:
    how often each bid was selected, and each sample's ranks (``ranks``, see `chunk_ranks`).
    """
    if isinstance(plan, Problem):
        plan = prepare_bootstrap(plan)
    if start < 0 or count < 1 or start + count > plan.samples:
        raise RankingInputError(
            "bootstrap", f"chunk ({start}, {count}) is outside 0..{plan.samples - 1}"
        )
    n_bids = plan.shape[0]
    selected = np.zeros(n_bids, dtype=np.int64)
    ranks = np.empty((count, n_bids), dtype=_rank_dtype(n_bids))
    for offset in range(count):
        evaluation = _resampled_evaluation(plan, start + offset)
        chosen = select(plan.rules, evaluation)
        selected[evaluation.order[list(chosen.positions)]] += 1
        ranks[offset] = evaluation.ranks
    return {
        "fingerprint": plan.fingerprint,
        "engine_version": ENGINE_VERSION,
        "start": start,
        "count": count,
        "selected": selected.tolist(),
        "ranks": _encode_ranks(ranks),
    }


def _rank_dtype(n_bids: int) -> np.dtype[Any]:
    return np.dtype("<u2") if n_bids <= np.iinfo(np.uint16).max else np.dtype("<u4")


def _encode_ranks(ranks: np.ndarray) -> str:
    """Samples × bids ranks as base64 of the zlib of their little-endian integers: a tenth of
    the JSON lists' size, and decoded by NumPy without building a Python object per rank."""
    return base64.b64encode(zlib.compress(ranks.tobytes(), 1)).decode("ascii")


def chunk_ranks(chunk: Mapping[str, Any]) -> np.ndarray:
    """A chunk's ranks as an int32 array (samples × bids). A chunk from before the compact
    format (per-bid histograms, ``rank_counts``) gives each bid's ranks sorted."""
    count, n_bids = int(chunk["count"]), len(chunk["selected"])
    if "ranks" in chunk:
        raw = zlib.decompress(base64.b64decode(chunk["ranks"]))
        values = np.frombuffer(raw, dtype=_rank_dtype(n_bids))
        if values.size != count * n_bids:
            raise RankingInputError("bootstrap", "a chunk's ranks do not match its size")
        return values.reshape(count, n_bids).astype(np.int32)
    ranks = np.empty((count, n_bids), dtype=np.int32)
    for bid, pairs in enumerate(chunk["rank_counts"]):
        column = np.repeat(
            np.array([rank for rank, _ in pairs], dtype=np.int32),
            np.array([number for _, number in pairs], dtype=np.int64),
        )
        if column.size != count:
            raise RankingInputError("bootstrap", "a chunk's rank counts do not match its size")
        ranks[:, bid] = column
    return ranks


def merge_chunks(chunks: Sequence[Mapping[str, Any]]) -> BootstrapChunk:
    """Add up chunks that together cover 0..N-1 exactly once (in any order).

    The merged ``ranks`` is an array (samples × bids) whose columns hold each bid's ranks
    over all samples (rows in no particular order: only each bid's ranks count).
    """
    if not chunks:
        raise RankingInputError("bootstrap", "no chunks to merge")
    ordered = sorted(chunks, key=lambda chunk: int(chunk["start"]))
    expected_start = 0
    selected = np.zeros(len(ordered[0]["selected"]), dtype=np.int64)
    for chunk in ordered:
        if chunk["fingerprint"] != ordered[0]["fingerprint"]:
            raise RankingInputError("bootstrap", "chunks come from different inputs")
        if chunk.get("engine_version") != ENGINE_VERSION:
            raise RankingInputError(
                "bootstrap",
                f"a chunk was computed by engine {chunk.get('engine_version', '1.0.0')}, "
                f"not {ENGINE_VERSION}",
            )
        if int(chunk["start"]) != expected_start:
            raise RankingInputError(
                "bootstrap", f"chunks leave a gap or overlap at sample {expected_start}"
            )
        expected_start += int(chunk["count"])
        selected += np.asarray(chunk["selected"], dtype=np.int64)
    ranks = np.empty((expected_start, selected.size), dtype=np.int32)
    for chunk in ordered:
        first = int(chunk["start"])
        ranks[first : first + int(chunk["count"])] = chunk_ranks(chunk)
    return {
        "fingerprint": ordered[0]["fingerprint"],
        "engine_version": ENGINE_VERSION,
        "start": 0,
        "count": expected_start,
        "selected": selected.tolist(),
        "ranks": ranks,
    }


def summarise(problem: Problem, merged: Mapping[str, Any]) -> BootstrapSummary:
    """Per-bid probability of selection, rank intervals and grey-zone flag."""
    settings = problem.params.bootstrap
    if settings is None:
        raise RankingInputError("bootstrap", "the run has no bootstrap settings")
    return summarise_merged(
        merged,
        samples=settings.samples,
        grey_zone=settings.grey_zone,
        fingerprint=problem.fingerprint,
    )


def summarise_merged(
    merged: Mapping[str, Any], *, samples: int, grey_zone: float, fingerprint: str
) -> BootstrapSummary:
    """`summarise` from the run's bootstrap settings and fingerprint alone (what a point
    estimate carries): the problem need not be prepared again to merge its chunks."""
    if merged["fingerprint"] != fingerprint:
        raise RankingInputError("bootstrap", "the chunks were computed for another input")
    if merged["start"] != 0 or merged["count"] != samples:
        raise RankingInputError(
            "bootstrap", f"chunks cover {merged['count']} samples, not {samples}"
        )
    ranks = np.sort(np.asarray(merged["ranks"]), axis=0)
    low_50, high_50 = rank_intervals(ranks, 50)
    low_90, high_90 = rank_intervals(ranks, 90)
    per_bid = []
    for bid, times_selected in enumerate(merged["selected"]):
        share = times_selected / samples
        per_bid.append(
            BidRobustness(
                p_selected=round(share, 9),
                rank_interval_50=(int(low_50[bid]), int(high_50[bid])),
                rank_interval_90=(int(low_90[bid]), int(high_90[bid])),
                grey_zone=grey_zone < share < 1 - grey_zone,
            )
        )
    return BootstrapSummary(samples=samples, per_bid=tuple(per_bid))


def run_bootstrap(problem: Problem) -> BootstrapSummary:
    """All samples in one process (the Celery task distributes `bootstrap_chunk` instead)."""
    assert problem.params.bootstrap is not None  # callers check first
    chunk = bootstrap_chunk(problem, start=0, count=problem.params.bootstrap.samples)
    return summarise(problem, merge_chunks([chunk]))


def _criterion_noise(problem: Problem, criterion: int) -> _CriterionNoise:
    """Split a criterion's scores into fitted part and residuals, once per run.

    The fitted quality of a bid is the mean of its calibrated scores (under the additive
    model, exactly the fitted quality); the residual of a score is its calibrated value
    minus that mean. Degrees of freedom: one per bid, plus, for the additive model, the
    ridge's effective number of leniencies (n_jurors - regularisation × trace(system⁻¹));
    for z-scores, one per juror (their means and sds are not refitted).
    """
    raw = problem.raw.values[:, :, criterion]
    calibrated = problem.calibrated[:, :, criterion]
    bid, slot = np.nonzero(~np.isnan(raw))
    juror = problem.raw.slot_jurors[bid, slot]
    n_bids, n_jurors = len(problem.bid_ids), len(problem.juror_ids)
    _, width, n_criteria = problem.raw.values.shape
    cells = calibrated[bid, slot]
    quality = aggregate_criteria(problem.calibrated[:, :, [criterion]], "mean")[:, 0]
    residuals = cells - quality[bid]
    refit = None
    scored = np.unique(bid)
    degrees = float(scored.size)
    method = problem.params.calibration
    if method == "additive" and bid.size:
        regularisation = problem.params.regularisation
        system = leniency_system(
            bid, juror, n_bids=n_bids, n_jurors=n_jurors, regularisation=regularisation
        )
        # Inverted once per run: each sample's refit is then one small product.
        refit = scipy.linalg.inv(system)
        degrees += n_jurors - regularisation * float(np.trace(refit))
    elif method == "zscore":
        degrees += float(np.unique(juror).size)
    if bid.size > degrees:
        residuals = residuals * np.sqrt(bid.size / (bid.size - degrees))
    per_bid = np.bincount(bid, minlength=n_bids)
    quality = _deconvolved(quality, scored, residuals, per_bid)
    fitted = quality[bid]
    if refit is not None:
        fitted = fitted + (raw[bid, slot] - cells)  # plus the fitted leniency
    return _CriterionNoise(
        criterion=criterion,
        bid=bid,
        slot=slot,
        juror=juror,
        cell=(bid * width + slot) * n_criteria + criterion,
        fitted=fitted,
        residuals=residuals,
        per_bid=per_bid.astype(np.float64),
        refit=refit,
    )


def _deconvolved(
    quality: FloatArray, scored: IntArray, residuals: FloatArray, per_bid: IntArray
) -> FloatArray:
    """Fitted qualities drawn towards their mean until they spread as the true ones do.

    A fitted quality is the true one plus its own noise (variance sigma² / n_b), so the
    fitted qualities spread more than the true ones: var(true) = var(fitted) - mean of
    sigma² / n_b. Left as they are, the bootstrap's bids would stand farther apart than the
    real ones and their ranks would vary too little.
    """
    fitted = quality[scored]
    spread = float(fitted.var())
    if spread <= 0.0:
        return quality
    noise = float(np.mean(residuals**2)) * float(np.mean(1.0 / per_bid[scored]))
    factor = np.sqrt(max(spread - noise, 0.0) / spread)
    centre = float(fitted.mean())
    return np.asarray(centre + factor * (quality - centre), dtype=np.float64)


@dataclass(frozen=True)
class _Cells:
    """Every criterion's cells end to end (in criterion order), so that a sample draws, adds
    and refits them in a few NumPy calls rather than a few per criterion: the same
    arithmetic element by element, and bin by bin (``bincount`` adds in input order)."""

    cell: IntArray
    pool: FloatArray  # the size of the cell's criterion's residual pool
    first: IntArray  # where that pool starts in ``residuals``
    fitted: FloatArray
    residuals: FloatArray
    bid_key: IntArray  # criterion × bids + bid
    juror_key: IntArray  # criterion × jurors + juror
    per_bid: FloatArray  # scores per (criterion, bid)
    refits: tuple[tuple[int, FloatArray], ...]  # (criterion, inverted leniency system)
    layout: Layout  # where the cube holds scores, and how many per bid and criterion


def _cells(plan: BootstrapPlan) -> _Cells:
    parts = [part for part in plan.noise if part.bid.size]
    n_bids, n_jurors = plan.shape[0], plan.n_jurors
    starts = np.cumsum([0] + [part.residuals.size for part in parts[:-1]])
    sizes = [np.full(part.bid.size, part.residuals.size) for part in parts]

    def joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)

    cell = joined([part.cell for part in parts], np.int64)
    present = np.zeros(plan.shape, dtype=bool)
    present.reshape(-1)[cell] = True
    return _Cells(
        cell=cell,
        pool=joined(sizes, np.float64),
        first=joined(
            [np.full(part.bid.size, start) for part, start in zip(parts, starts, strict=True)],
            np.int64,
        ),
        fitted=joined([part.fitted for part in parts], np.float64),
        residuals=joined([part.residuals for part in parts], np.float64),
        bid_key=joined([part.criterion * n_bids + part.bid for part in parts], np.int64),
        juror_key=joined([part.criterion * n_jurors + part.juror for part in parts], np.int64),
        per_bid=np.concatenate([part.per_bid for part in plan.noise])
        if plan.noise
        else np.zeros(0),
        refits=tuple((part.criterion, part.refit) for part in parts if part.refit is not None),
        layout=Layout.of(present),
    )


def _resampled_evaluation(plan: BootstrapPlan, sample: int) -> Evaluation:
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([plan.seed, sample])))
    # Uniform doubles (a stable stream), one per cell of the cube, scaled to the pool sizes.
    uniforms = generator.random(plan.shape).reshape(-1)
    cells = plan.cells
    # floor(u × pool) as an integer: u × pool >= 0, so truncating is flooring.
    draws = (uniforms[cells.cell] * cells.pool).astype(np.int64)
    draws += cells.first
    scores = cells.fitted + cells.residuals[draws]
    if cells.refits:
        # Every criterion's right side in one pass: (criterion, bid) and (criterion, juror)
        # pairs as the bids and jurors of one system.
        n_bids, n_jurors, n_criteria = plan.shape[0], plan.n_jurors, plan.shape[2]
        rhs = leniency_rhs(
            cells.bid_key,
            cells.juror_key,
            scores,
            n_bids=n_criteria * n_bids,
            n_jurors=n_criteria * n_jurors,
            per_bid=cells.per_bid,
        )
        leniency = np.zeros(n_criteria * n_jurors)  # x - 0.0 is x: unrefitted cells unchanged
        for criterion, refit in cells.refits:
            block = slice(criterion * n_jurors, (criterion + 1) * n_jurors)
            leniency[block] = refit @ rhs[block]
        scores = scores - leniency[cells.juror_key]
    values = np.zeros(plan.shape)  # 0.0 where there is no score: see aggregate.Layout
    values.reshape(-1)[cells.cell] = scores
    return evaluate(plan.rules, values, layout=cells.layout)


def rank_intervals(sorted_ranks: np.ndarray, level: int) -> tuple[IntArray, IntArray]:
    """`rank_interval` of every bid at once; column b holds bid b's ranks over all the
    samples, sorted. The same mid-rank rule, in integers, in a few passes over the ranks.

    A sample at index i of its column lies in the run [f, l] of equal ranks, whose
    mid-cumulative share is (f + l + 1) / (2 × samples), non-decreasing down the column.
    The low end is the first run with (f + l + 1) × 100 >= (100 - level) × samples: every
    run ending before m (the first index with (2m + 1) × 100 reaching that bound) falls
    short, and if the run holding index m falls short too, the next one does not (it
    starts after m). Symmetrically the high end is the run holding index M (the last index
    with (2M + 1) × 100 within (100 + level) × samples) or the run just before it, and
    the lowest rank when none qualifies. So two runs per column are looked at, found by
    counting the ranks below and at the rank at m (and M).
    """
    samples, n_bids = sorted_ranks.shape
    low = np.empty(n_bids, dtype=np.int64)
    high = np.empty(n_bids, dtype=np.int64)
    if samples == 0 or n_bids == 0:
        return low, high
    low_bound, high_bound = (100 - level) * samples, (100 + level) * samples
    columns = np.arange(n_bids)
    for first_bid in range(0, n_bids, _BLOCK):
        block = sorted_ranks[:, first_bid : first_bid + _BLOCK]
        width = columns[: block.shape[1]]
        m = max(0, -((100 - low_bound) // 200))  # ceil((low_bound - 100) / 200)
        first, last, value = _run_at(block, m)
        reaches = (first + last + 1) * 100 >= low_bound
        after = block[np.minimum(last + 1, samples - 1), width]  # the last run always reaches
        low_rank = np.where(reaches, value, after)
        top = min(samples - 1, (high_bound - 100) // 200)
        first, last, value = _run_at(block, top)
        within = (first + last + 1) * 100 <= high_bound
        before = np.where(first > 0, block[np.maximum(first - 1, 0), width], block[0])
        high_rank = np.where(within, value, before)
        low[first_bid : first_bid + block.shape[1]] = low_rank
        high[first_bid : first_bid + block.shape[1]] = np.maximum(low_rank, high_rank)
    return low, high


def _run_at(block: np.ndarray, index: int) -> tuple[IntArray, IntArray, np.ndarray]:
    """Per column of sorted ranks: the first and last index of the run of equal ranks
    holding ``index``, and that rank."""
    value = block[index]
    first = (block < value).sum(axis=0)
    last = (block <= value).sum(axis=0) - 1
    return first, last, value


_BLOCK = 2048  # bids per block of `rank_intervals`: bounds its memory at 10,000 bids


def rank_interval(pairs: Sequence[Sequence[int]], samples: int, level: int) -> tuple[int, int]:
    """The central `level` % rank interval, by mid-ranks (exact integer arithmetic).

    A rank's mid-cumulative share counts the samples below it plus half of its own. The
    interval runs from the first rank whose mid-cumulative share reaches (100 - level) / 2 %
    to the last one not beyond (100 + level) / 2 %: an endpoint rank is kept when most of
    its samples lie inside. Taking every rank the quantiles touch would make an interval
    of integer ranks hold well over its level (a 50 % interval about 58 %).
    """
    # Shares compared as integers: mid-cumulative share >= (100 - level) / 2 % reads
    # (2 × samples below + samples at this rank) × 100 >= (100 - level) × samples.
    low_bound, high_bound = (100 - level) * samples, (100 + level) * samples
    low = high = int(pairs[0][0])
    below = 0
    found_low = False
    for rank, count in pairs:
        middle = (2 * below + count) * 100
        if not found_low and middle >= low_bound:
            low, found_low = int(rank), True
        if middle <= high_bound:
            high = int(rank)
        below += count
    return low, max(low, high)


# --- lottery ----------------------------------------------------------------------------


def seed_commitment(seed: str) -> str:
    """What to publish before the draw: the SHA-256 of the seed, in hex."""
    return hashlib.sha256(seed.encode()).hexdigest()


def lottery_priority(seed: str, bid_id: BidId) -> str:
    """A bid's place in the draw: lower comes first. Reproducible with any SHA-256 tool."""
    return hashlib.sha256(f"{seed}:{bid_id}".encode()).hexdigest()


def draw_lottery(
    problem: Problem,
    evaluation: Evaluation,
    summary: BootstrapSummary,
    lottery: LotteryParams,
) -> LotteryOutcome:
    """`allot_lottery` for a prepared problem (bids by their input position)."""
    params = problem.params
    assert params.bootstrap is not None  # the parser requires it
    return allot_lottery(
        LotteryBids(
            ids=problem.bid_ids,
            ranks=evaluation.ranks,
            ranked_eligible=[int(bid) for bid in evaluation.order if evaluation.eligible[bid]],
            requested=problem.requested,
            minimum=problem.minimum,
            robustness=summary.per_bid,
        ),
        lottery,
        rule=params.rule,
        budget=params.budget,
        min_winners=params.min_winners,
        max_winners=params.max_winners,
        grey_zone=params.bootstrap.grey_zone,
    )


@dataclass(frozen=True)
class LotteryBids:
    """What the draw reads of the bids, indexed alike (by input position, or by rank
    position when a point estimate is completed: any numbering of the bids will do)."""

    ids: Sequence[BidId]
    ranks: Sequence[int] | IntArray  # 1-based rank of each bid
    ranked_eligible: list[int]  # the eligible bids, best first
    requested: IntArray
    minimum: IntArray
    robustness: Sequence[BidRobustness]


def allot_lottery(
    bids: LotteryBids,
    lottery: LotteryParams,
    *,
    rule: str,
    budget: int,
    min_winners: int,
    max_winners: int,
    grey_zone: float,
) -> LotteryOutcome:
    """Fund the clear winners, then draw lots among grey-zone bids within the envelope.

    Clear winners are eligible bids selected in at least (1 - grey_zone) of the resamples;
    they are funded first in rank order. Grey-zone bids then come in order of their
    priority (SHA-256 of seed:id) and are funded when they fit the remaining envelope and
    a winner slot is left. Costs follow the rule: the minimum under `partial` (then topped
    up in rank order), the request otherwise.
    """
    commitment = seed_commitment(lottery.seed)
    if lottery.commitment is not None and lottery.commitment.lower() != commitment:
        raise RankingInputError("lottery.commitment", "does not match the SHA-256 of the seed")
    costs = bids.minimum if rule == "partial" else bids.requested
    ranked = bids.ranked_eligible
    clear_line = 1 - grey_zone
    clear = [bid for bid in ranked if bids.robustness[bid].p_selected >= clear_line]
    pool = sorted(
        (bid for bid in ranked if bids.robustness[bid].grey_zone),
        key=lambda bid: lottery_priority(lottery.seed, bids.ids[bid]),
    )
    winners: list[int] = []
    remaining = budget
    for bid in clear + pool:
        if len(winners) < max_winners and costs[bid] <= remaining:
            winners.append(bid)
            remaining -= int(costs[bid])
    winners.sort(key=lambda bid: int(bids.ranks[bid]))
    amounts = (
        top_up(winners, bids.minimum, bids.requested, budget=budget)
        if rule == "partial"
        else [int(bids.requested[bid]) for bid in winners]
    )
    ids = bids.ids
    return LotteryOutcome(
        commitment=commitment,
        seed=lottery.seed,
        funded_without_draw=tuple(ids[bid] for bid in clear if bid in winners),
        pool=tuple(ids[bid] for bid in pool),
        winners=tuple(ids[bid] for bid in winners),
        granted={ids[bid]: amount for bid, amount in zip(winners, amounts, strict=True)},
        reached_min_winners=len(winners) >= min_winners,
    )
