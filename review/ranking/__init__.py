"""Pure ranking engine: numbers in, numbers out. No Django, no Celery, no project imports.

Typical use (the Django side builds the same dict as the JSON contract in docs/ranking.md):

    params = parse_params(data)              # raises RankingInputError naming the field
    result = solve(params)                   # raises RankingError (e.g. disconnected jury)
    result.to_json()                         # canonical, byte-identical for equal input

Distributed bootstrap: `plan = bootstrap_plan(params)` once (shipped to the workers as
`plan.to_bytes()`, loaded with `BootstrapPlan.from_bytes`), then
`compute_bootstrap_chunk(plan, start=..., count=...)` for each `plan_chunks(samples,
chunk_size)` entry, then `solve(params, bootstrap_chunks=chunks)`. Or, so that the merge does
not solve again: `preparation = prepare_run(params)` once (its `plan`, and its `point`
estimate, shipped as `to_bytes()` too), then
`result_json(complete_result(point, bootstrap_chunks=chunks))`: the same bytes.
"""

from review.ranking.engine import (
    ENGINE_VERSION,
    BidOutcome,
    PointEstimate,
    Result,
    RunPreparation,
    bootstrap_plan,
    calibrated_values,
    complete_result,
    compute_bootstrap_chunk,
    eligible_bids,
    prepare_run,
    result_json,
    solve,
)
from review.ranking.errors import DisconnectedJuryError, RankingError, RankingInputError
from review.ranking.model import Params, parse_params
from review.ranking.robustness import (
    BootstrapPlan,
    chunk_ranks,
    lottery_priority,
    merge_chunks,
    plan_chunks,
    seed_commitment,
)

__all__ = [
    "ENGINE_VERSION",
    "BidOutcome",
    "BootstrapPlan",
    "DisconnectedJuryError",
    "Params",
    "PointEstimate",
    "RankingError",
    "RankingInputError",
    "Result",
    "RunPreparation",
    "bootstrap_plan",
    "calibrated_values",
    "chunk_ranks",
    "complete_result",
    "compute_bootstrap_chunk",
    "eligible_bids",
    "lottery_priority",
    "merge_chunks",
    "parse_params",
    "plan_chunks",
    "prepare_run",
    "result_json",
    "seed_commitment",
    "solve",
]
