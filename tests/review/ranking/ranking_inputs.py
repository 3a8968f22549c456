"""Builders for engine inputs in the JSON contract's shape, with unsurprising defaults."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

CRITERIA = [
    {"code": "excellence", "weight": 1.0},
    {"code": "impact", "weight": 1.0},
]


def contract_input(
    bid_scores: Mapping[str, Sequence[float]],
    *,
    requested: Mapping[str, int] | None = None,
    minimum: Mapping[str, int] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Each bid gets one juror per listed value (jurors j0, j1... shared by all bids);
    every juror gives that value on every criterion. Each bid requests 10 by default."""
    criteria = overrides.pop("criteria", copy.deepcopy(CRITERIA))
    bids = []
    for bid_id in bid_scores:
        bid: dict[str, Any] = {"id": bid_id, "requested": (requested or {}).get(bid_id, 10)}
        if minimum and bid_id in minimum:
            bid["minimum"] = minimum[bid_id]
        bids.append(bid)
    scores = [
        {"bid": bid_id, "juror": f"j{juror}", "criterion": criterion["code"], "value": value}
        for bid_id, values in bid_scores.items()
        for juror, value in enumerate(values)
        for criterion in criteria
    ]
    data: dict[str, Any] = {
        "budget": 30,
        "min_winners": 1,
        "max_winners": 3,
        "criteria": criteria,
        "calibration": "none",
        "aggregate": "mean",
        "rule": "merit_order",
        "bids": bids,
        "scores": scores,
    }
    data.update(overrides)
    return data
