"""Simulated juries with a known truth, shared by the calibration and coverage benchmarks.

A jury: bid qualities ~ N(mean, sd), one leniency per juror (drawn by a scenario), each bid
read by a few distinct random jurors (so jurors share bids), each reading
`quality + leniency + N(0, noise)` rounded to a half point and clipped to 0–5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Leniency = Callable[[np.random.Generator, int, float], np.ndarray]

# Each scenario draws the jurors' leniencies from (rng, number of jurors, spread).
SCENARIOS: dict[str, Leniency] = {
    "fair jury (no leniency)": lambda rng, n, spread: np.zeros(n),
    "strong leniency, sd spread": lambda rng, n, spread: rng.normal(0.0, spread, n),
    "lenient/severe halves, ±spread": lambda rng, n, spread: rng.permutation(
        np.repeat([spread, -spread], [n - n // 2, n // 2])
    ),
}


def simulated_input(
    rng: np.random.Generator,
    leniency: np.ndarray,
    *,
    n_bids: int,
    jurors_per_bid: int,
    noise: float,
    top_k: int,
    quality_mean: float = 2.8,
    quality_sd: float = 0.6,
) -> tuple[dict[str, Any], np.ndarray]:
    """An engine input (one criterion `q`, merit order, top_k winners) and the true qualities."""
    quality = rng.normal(quality_mean, quality_sd, n_bids)
    scores = []
    for bid in range(n_bids):
        for juror in rng.choice(leniency.size, jurors_per_bid, replace=False):
            raw = quality[bid] + leniency[juror] + rng.normal(0.0, noise)
            value = float(np.clip(np.round(raw * 2) / 2, 0.0, 5.0))
            scores.append({"bid": bid, "juror": int(juror), "criterion": "q", "value": value})
    data = {
        "budget": 10**9,
        "min_winners": 0,
        "max_winners": top_k,
        "criteria": [{"code": "q", "weight": 1.0}],
        "calibration": "none",
        "aggregate": "mean",
        "rule": "merit_order",
        "bids": [{"id": bid, "requested": 1} for bid in range(n_bids)],
        "scores": scores,
    }
    return data, quality


def true_ranks(quality: np.ndarray) -> np.ndarray:
    """1-based rank of each bid by true quality (best first)."""
    ranks = np.empty(quality.size, dtype=np.int64)
    ranks[np.argsort(-quality, kind="stable")] = np.arange(1, quality.size + 1)
    return ranks
