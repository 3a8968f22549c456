"""Seeded engine inputs of a realistic shape (jurors shared by many bids, half points), for
the golden tests that pin the engine's output bytes across refactorings."""

from __future__ import annotations

import random
from typing import Any


def jury_input(
    *,
    bids: int,
    pool: int,
    per_bid: int = 5,
    criteria: int = 4,
    seed: int = 7,
    string_ids: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """``bids`` bids, each scored by ``per_bid`` jurors of a ``pool`` (bid i: jurors i, i+7,
    i+14… modulo the pool, so the jury is connected), on ``criteria`` criteria in half points
    (a few quarter points), with jurors' leniencies and noise."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    leniency = [rng.gauss(0, 0.5) for _ in range(pool)]
    quality = [rng.uniform(1.5, 4.5) for _ in range(bids)]

    def bid_id(index: int) -> int | str:
        return f"B{index:04d}" if string_ids else index + 1

    def juror_id(index: int) -> int | str:
        return f"j{index:03d}" if string_ids else 1000 + index

    scores = []
    for bid in range(bids):
        for juror in sorted({(bid + offset * 7) % pool for offset in range(per_bid)}):
            for criterion in range(criteria):
                raw = min(5.0, max(0.0, quality[bid] + leniency[juror] + rng.gauss(0, 0.4)))
                value: float = round(raw * 2) / 2 if rng.random() > 0.05 else round(raw * 4) / 4
                scores.append(
                    {
                        "bid": bid_id(bid),
                        "juror": juror_id(juror),
                        "criterion": f"c{criterion}",
                        "value": int(value) if value.is_integer() else value,
                    }
                )
    data: dict[str, Any] = {
        "budget": 400_000_000,
        "min_winners": 3,
        "max_winners": 12,
        "criteria": [
            {"code": f"c{index}", "weight": 0.25 if index % 2 else 0.125, "threshold": 2}
            for index in range(criteria)
        ],
        "calibration": "additive",
        "aggregate": "mean",
        "rule": "optimal",
        "bids": [
            {
                "id": bid_id(index),
                "requested": rng.randrange(20, 80) * 1_000_000,
                "minimum": 15_000_000,
            }
            for index in range(bids)
        ],
        "scores": scores,
    }
    data.update(overrides)
    return data
