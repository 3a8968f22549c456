"""Time the ranking engine and compare greedy merit order with the optimal portfolio.

Run: .venv/bin/python bench/ranking_speed.py [--repeats N]
Instances are random: requests of 20–75 M€ against a 360 M€ envelope, 5–10 winners
(the IA-cluster call's figures), scores uniform on a 0–15 scale. Times are medians (and
maxima) over --repeats instances; "with ranking sort" adds the engine's lexsort.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from review.ranking import aggregate, parse_params, selection
from review.ranking.problem import evaluate, prepare
from review.ranking.robustness import run_bootstrap

BUDGET = 360_000_000
MIN_WINNERS, MAX_WINNERS = 5, 10


KINDS = {
    "independent": "continuous scores, independent requests",
    "half_points": "half-point scores (many exact ties)",
    "correlated": "better bids request more",
}


def random_bids(n: int, seed: int, *, kind: str = "independent"):
    """Scores (input order) and requested amounts of n random bids."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 15, n)
    if kind == "half_points":
        scores = np.round(scores * 2) / 2
    scores = np.round(scores, aggregate.DECIMALS)
    costs = rng.integers(20_000_000, 75_000_001, n).astype(np.int64)
    if kind == "correlated":  # the hardest case for discarding dominated bids
        costs = 20_000_000 + scores / 15 * 40_000_000 + rng.integers(0, 15_000_001, n)
        costs = costs.astype(np.int64)
    return scores, costs


def time_ms(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def select_optimal(scores: np.ndarray, costs: np.ndarray, order: np.ndarray) -> object:
    units = aggregate.score_units(scores[order])
    eligible = np.ones(scores.size, dtype=bool)
    return selection.optimal(
        costs[order],
        units,
        eligible,
        budget=BUDGET,
        min_winners=MIN_WINNERS,
        max_winners=MAX_WINNERS,
    )


def rank_and_select(scores: np.ndarray, costs: np.ndarray) -> object:
    """The engine's own ranking (lexsort: score, a tie-break criterion, id), then select."""
    ids = np.arange(scores.size, dtype=np.int64)
    order = aggregate.rank_order(scores, scores[:, None], np.array([0], dtype=np.int64), ids)
    return select_optimal(scores, costs, order)


def bench_optimal(n: int, repeats: int, *, kind: str) -> None:
    select_times, full_times = [], []
    for seed in range(repeats):
        scores, costs = random_bids(n, seed, kind=kind)
        order = np.argsort(-scores, kind="stable")
        select_times.append(time_ms(partial(select_optimal, scores, costs, order), 3)[0])
        full_times.append(time_ms(partial(rank_and_select, scores, costs), 3)[0])
    print(
        f"optimal, {n:>7,} bids, {KINDS[kind]:<40}: selection {statistics.median(select_times):6.2f} ms "
        f"(max {max(select_times):6.2f}); with ranking sort "
        f"{statistics.median(full_times):6.2f} ms (max {max(full_times):6.2f})"
    )


def bench_greedy_fraction(n: int, instances: int) -> None:
    fractions = []
    for seed in range(instances):
        scores, costs = random_bids(n, 10_000 + seed)
        order = np.argsort(-scores, kind="stable")
        units = aggregate.score_units(scores[order])
        eligible = np.ones(n, dtype=bool)
        greedy = selection.merit_order(
            costs[order],
            eligible,
            budget=BUDGET,
            min_winners=0,
            max_winners=MAX_WINNERS,
            overflow="skip",
        )
        best = selection.optimal(
            costs[order],
            units,
            eligible,
            budget=BUDGET,
            min_winners=0,
            max_winners=MAX_WINNERS,
        )
        best_total = int(units[list(best.positions)].sum())
        if best_total > 0:
            fractions.append(int(units[list(greedy.positions)].sum()) / best_total)
    print(
        f"greedy merit order / optimal total score, {n:>4} bids, {instances} instances: "
        f"mean {statistics.mean(fractions):.1%}, min {min(fractions):.1%}, "
        f"optimal strictly better in {sum(f < 1 for f in fractions) / len(fractions):.0%}"
    )


def jury_input(n_bids: int, jurors_per_bid: int, n_jurors: int, rule: str, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    criteria = [{"code": f"c{index}", "weight": 1.0, "threshold": 1.0} for index in range(5)]
    quality = rng.normal(3.0, 0.7, n_bids)
    leniency = rng.normal(0.0, 0.5, n_jurors)
    scores = []
    for bid in range(n_bids):
        for juror in rng.choice(n_jurors, jurors_per_bid, replace=False):
            for criterion in criteria:
                value = quality[bid] + leniency[juror] + rng.normal(0.0, 0.5)
                scores.append(
                    {
                        "bid": f"B{bid:03d}",
                        "juror": f"J{juror:02d}",
                        "criterion": criterion["code"],
                        "value": float(np.clip(np.round(value * 2) / 2, 0.0, 5.0)),
                    }
                )
    bids = []
    for bid in range(n_bids):
        requested = int(rng.integers(20, 76)) * 1_000_000
        bids.append({"id": f"B{bid:03d}", "requested": requested, "minimum": requested // 2})
    return {
        "budget": BUDGET,
        "min_winners": MIN_WINNERS,
        "max_winners": MAX_WINNERS,
        "criteria": criteria,
        "calibration": "additive",
        "aggregate": "mean",
        "rule": rule,
        "bids": bids,
        "scores": scores,
        "bootstrap": {"samples": 1000, "seed": 1},
    }


def bench_bootstrap() -> None:
    for rule in ("optimal", "merit_order", "partial"):
        params = parse_params(jury_input(200, 5, 40, rule, seed=3))
        start = time.perf_counter()
        problem = prepare(params)
        evaluate(problem, problem.calibrated)
        prepared_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        run_bootstrap(problem)
        bootstrap_s = time.perf_counter() - start
        print(
            f"bootstrap 1,000 re-selections, 200 bids × 5 jurors × 5 criteria, {rule:<11}: "
            f"{bootstrap_s:.2f} s (parse+additive calibration+evaluate {prepared_ms:.0f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    arguments = parser.parse_args()
    for n in (10_000, 100_000):
        for kind in KINDS:
            bench_optimal(n, arguments.repeats, kind=kind)
    for n in (12, 50, 200):
        bench_greedy_fraction(n, 500)
    bench_bootstrap()


if __name__ == "__main__":
    main()
