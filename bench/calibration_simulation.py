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

from review.ranking import DisconnectedJuryError, parse_params
from review.ranking.problem import evaluate, prepare

N_BIDS, N_JURORS, JURORS_PER_BID, TOP_K = 60, 20, 4, 10
METHODS = ("none", "zscore", "additive")
SCENARIOS = {
    "fair jury (no leniency)": lambda rng: np.zeros(N_JURORS),
    "mild leniency, sd 0.3": lambda rng: rng.normal(0.0, 0.3, N_JURORS),
    "strong leniency, sd 0.8": lambda rng: rng.normal(0.0, 0.8, N_JURORS),
    "lenient/severe halves, ±0.8": lambda rng: rng.permutation(
        np.repeat([0.8, -0.8], N_JURORS // 2)
    ),
}


def simulated_input(rng: np.random.Generator, leniency: np.ndarray) -> tuple[dict, np.ndarray]:
    quality = rng.normal(2.8, 0.6, N_BIDS)
    scores = []
    for bid in range(N_BIDS):
        for juror in rng.choice(N_JURORS, JURORS_PER_BID, replace=False):
            raw = quality[bid] + leniency[juror] + rng.normal(0.0, 0.4)
            value = float(np.clip(np.round(raw * 2) / 2, 0.0, 5.0))
            scores.append({"bid": bid, "juror": int(juror), "criterion": "q", "value": value})
    data = {
        "budget": 10**9,
        "min_winners": 0,
        "max_winners": TOP_K,
        "criteria": [{"code": "q", "weight": 1.0}],
        "calibration": "none",
        "aggregate": "mean",
        "rule": "merit_order",
        "bids": [{"id": bid, "requested": 1} for bid in range(N_BIDS)],
        "scores": scores,
    }
    return data, quality


def top_k_found(data: dict, method: str, true_top: set[int]) -> float:
    problem = prepare(parse_params({**data, "calibration": method}))
    evaluation = evaluate(problem, problem.calibrated)
    found = {int(bid) for bid in evaluation.order[:TOP_K]}
    return len(found & true_top) / TOP_K


def run(trials: int) -> None:
    print(
        f"{N_BIDS} bids, {N_JURORS} jurors, {JURORS_PER_BID} jurors per bid, noise sd 0.4, "
        f"top {TOP_K}; {trials} trials per scenario"
    )
    print("share of the true top-k found (mean) | trials where all top-k found")
    for name, draw_leniency in SCENARIOS.items():
        rng = np.random.default_rng(2024)
        shares: dict[str, list[float]] = {method: [] for method in METHODS}
        skipped = 0
        for _ in range(trials):
            data, quality = simulated_input(rng, draw_leniency(rng))
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
