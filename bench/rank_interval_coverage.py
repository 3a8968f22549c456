"""Are the bootstrap's rank intervals honest? Coverage on simulated juries with a known truth.

Run: .venv/bin/python bench/rank_interval_coverage.py [--juries N] [--samples B] ...
Each simulated jury (bench/simulated_juries.py) is ranked by the engine with the chosen
calibration and a bootstrap of B samples; the coverage of a level is the share of
(jury, bid) pairs whose true rank (by true quality) lies in the bid's interval. An honest
50 % interval covers about 50 %, a 90 % interval about 90 %. Also printed: how well
P(selected) predicts being in the true top k (Brier score; share truly in the top k among
clear winners, grey-zone bids and clear losers). In brackets, the share of the bootstrap's
own samples inside each interval (ranks are integers, so it is not exactly the level).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulated_juries import SCENARIOS, simulated_input, true_ranks

from review.ranking import (
    DisconnectedJuryError,
    chunk_ranks,
    compute_bootstrap_chunk,
    parse_params,
    solve,
)


def jury_figures(arguments: argparse.Namespace, rng: np.random.Generator, scenario: str) -> dict:
    """Coverage and P(selected) figures of one simulated jury (raises on a disconnected one)."""
    leniency = SCENARIOS[scenario](rng, arguments.jurors, arguments.spread)
    data, quality = simulated_input(
        rng,
        leniency,
        n_bids=arguments.bids,
        jurors_per_bid=arguments.jurors_per_bid,
        noise=arguments.noise,
        top_k=arguments.top_k,
    )
    data["calibration"] = arguments.calibration
    data["bootstrap"] = {"samples": arguments.samples, "seed": int(rng.integers(2**32))}
    params = parse_params(data)
    chunk = compute_bootstrap_chunk(params, start=0, count=arguments.samples)
    result = solve(params, bootstrap_chunks=[chunk])
    ranks = chunk_ranks(chunk)  # samples × bids
    columns = {params.bids[index].id: ranks[:, index] for index in range(len(params.bids))}
    truth = true_ranks(quality)
    covered = {50: 0, 90: 0}
    mass = {50: 0.0, 90: 0.0}
    p_selected, in_top = [], []
    for outcome in result.bids:
        rank = int(truth[outcome.id])
        robustness = outcome.robustness
        assert robustness is not None
        for level, (low, high) in (
            (50, robustness.rank_interval_50),
            (90, robustness.rank_interval_90),
        ):
            covered[level] += low <= rank <= high
            column = columns[outcome.id]
            mass[level] += int(((low <= column) & (column <= high)).sum()) / arguments.samples
        p_selected.append(robustness.p_selected)
        in_top.append(rank <= arguments.top_k)
    return {
        "cover50": covered[50] / len(result.bids),
        "cover90": covered[90] / len(result.bids),
        "mass50": mass[50] / len(result.bids),
        "mass90": mass[90] / len(result.bids),
        "p": np.array(p_selected),
        "top": np.array(in_top),
    }


def run(arguments: argparse.Namespace) -> None:
    print(
        f"{arguments.bids} bids, {arguments.jurors} jurors, {arguments.jurors_per_bid} per bid, "
        f"noise sd {arguments.noise}, leniency spread {arguments.spread}, top {arguments.top_k}, "
        f"calibration {arguments.calibration}; {arguments.juries} juries x "
        f"{arguments.samples} bootstrap samples per scenario"
    )
    print(
        "coverage of the 50 % / 90 % rank intervals (± standard error over juries) "
        "[share of the bootstrap's own samples inside them] | "
        "P(selected): Brier, share truly in top k among p>=.95 / grey zone / p<=.05"
    )
    for scenario in arguments.scenario or SCENARIOS:
        rng = np.random.default_rng(arguments.seed)
        figures, skipped, started = [], 0, time.perf_counter()
        while len(figures) < arguments.juries:
            try:
                figures.append(jury_figures(arguments, rng, scenario))
            except DisconnectedJuryError:
                skipped += 1
        elapsed = time.perf_counter() - started
        p = np.concatenate([f["p"] for f in figures])
        top = np.concatenate([f["top"] for f in figures])
        grey = (p > 0.05) & (p < 0.95)
        cells = [_coverage(figures, "cover50"), _coverage(figures, "cover90")]
        masses = [
            f"{statistics.mean(f[key] for f in figures):5.1%}" for key in ("mass50", "mass90")
        ]
        calibration = [
            f"{np.mean((p - top) ** 2):.3f}",
            _share(top[p >= 0.95]),
            _share(top[grey]),
            _share(top[p <= 0.05]),
        ]
        note = f", {skipped} disconnected skipped" if skipped else ""
        print(
            f"{scenario:<32} {' / '.join(cells)} [{' / '.join(masses)}] | "
            f"{' '.join(calibration)} ({elapsed:.0f} s{note})"
        )
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def _coverage(figures: list[dict], key: str) -> str:
    values = [f[key] for f in figures]
    error = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return f"{statistics.mean(values):5.1%} ±{error:4.1%}"


def _share(flags: np.ndarray) -> str:
    return f"{flags.mean():5.1%} (n={flags.size})" if flags.size else "   - (n=0)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bids", type=int, default=60)
    parser.add_argument("--jurors", type=int, default=20)
    parser.add_argument("--jurors-per-bid", type=int, default=4)
    parser.add_argument("--juries", type=int, default=100, help="simulated juries per scenario")
    parser.add_argument("--samples", type=int, default=400, help="bootstrap samples per jury")
    parser.add_argument("--spread", type=float, default=0.8, help="leniency spread")
    parser.add_argument("--noise", type=float, default=0.4, help="sd of a reading's noise")
    parser.add_argument("--top-k", type=int, default=10, help="winners (merit order)")
    parser.add_argument("--calibration", choices=("none", "zscore", "additive"), default="additive")
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS))
    parser.add_argument("--seed", type=int, default=2024)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
