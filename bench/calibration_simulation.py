"""Does calibration recover the truly best bids? Simulated juries with known answers.

Run: .venv/bin/python bench/calibration_simulation.py [--trials N]
Each trial draws bid qualities, juror leniencies and noise, assigns each bid to a few
random jurors (so jurors share bids), scores on a 0–5 half-point scale, ranks with each
calibration method through the engine, and compares the top k with the true top k.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import simulated_juries  # bench/ is on sys.path when run as a script
from simulated_juries import Leniency, simulated_input

from review.ranking import DisconnectedJuryError, parse_params
from review.ranking.problem import evaluate, prepare

N_BIDS, N_JURORS, JURORS_PER_BID, TOP_K, NOISE, SPREAD = 60, 20, 4, 10, 0.4, 0.8
METHODS = ("none", "zscore", "additive")
SCENARIOS: dict[str, Leniency] = {
    "fair jury (no leniency)": simulated_juries.SCENARIOS["fair jury (no leniency)"],
    "mild leniency, sd 0.3": lambda rng, n, spread: rng.normal(0.0, 0.3, n),
    "strong leniency, sd 0.8": simulated_juries.SCENARIOS["strong leniency, sd spread"],
    "lenient/severe halves, ±0.8": simulated_juries.SCENARIOS["lenient/severe halves, ±spread"],
}


def top_k_found(data: dict, method: str, true_top: set[int]) -> float:
    problem = prepare(parse_params({**data, "calibration": method}))
    evaluation = evaluate(problem, problem.calibrated)
    found = {int(bid) for bid in evaluation.order[:TOP_K]}
    return len(found & true_top) / TOP_K


def run(trials: int) -> None:
    print(
        f"{N_BIDS} bids, {N_JURORS} jurors, {JURORS_PER_BID} jurors per bid, noise sd {NOISE}, "
        f"top {TOP_K}; {trials} trials per scenario"
    )
    print("share of the true top-k found (mean) | trials where all top-k found")
    for name, draw_leniency in SCENARIOS.items():
        rng = np.random.default_rng(2024)
        shares: dict[str, list[float]] = {method: [] for method in METHODS}
        skipped = 0
        for _ in range(trials):
            data, quality = simulated_input(
                rng,
                draw_leniency(rng, N_JURORS, SPREAD),
                n_bids=N_BIDS,
                jurors_per_bid=JURORS_PER_BID,
                noise=NOISE,
                top_k=TOP_K,
            )
            true_top = {int(bid) for bid in np.argsort(-quality)[:TOP_K]}
            try:
                results = {method: top_k_found(data, method, true_top) for method in METHODS}
            except DisconnectedJuryError:
                skipped += 1
                continue
            for method, share in results.items():
                shares[method].append(share)
        cells = "  ".join(
            f"{method} {statistics.mean(values):6.1%} | {sum(v == 1 for v in values):3d}"
            for method, values in shares.items()
        )
        note = f" ({skipped} disconnected juries skipped)" if skipped else ""
        print(f"{name:<30} {cells}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=200)
    run(parser.parse_args().trials)


if __name__ == "__main__":
    main()
