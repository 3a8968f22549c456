"""Golden outputs: the engine's fingerprint and result bytes for seeded inputs of a realistic
shape, recorded with engine 1.2.0 before the bootstrap was restructured (compact chunks, the
per-chunk work done once). A change that alters a single byte of a result fails here, and
must then come with a new ``ENGINE_VERSION`` and new golden values."""

import hashlib

import pytest
from golden_inputs import jury_input

from review.ranking import (
    ENGINE_VERSION,
    BootstrapPlan,
    PointEstimate,
    complete_result,
    compute_bootstrap_chunk,
    parse_params,
    plan_chunks,
    prepare_run,
    result_json,
    solve,
)
from review.ranking.problem import fingerprint

LOTTERY_SEED = "published-after-the-draw-0123456789"

CASES = {
    "additive-optimal": dict(bids=150, pool=23, bootstrap={"samples": 300, "seed": 11}),
    "zscore-median-partial-lottery": dict(
        bids=90,
        pool=17,
        calibration="zscore",
        aggregate="median",
        rule="partial",
        bootstrap={"samples": 200, "seed": 5, "grey_zone": 0.1},
        lottery={"seed": LOTTERY_SEED},
    ),
    "raw-merit-stop-tiebreak": dict(
        bids=120,
        pool=19,
        calibration="none",
        rule="merit_order",
        overflow="stop",
        tiebreak=["c3", "c1"],
        overall_threshold=2.5,
        bootstrap={"samples": 150, "seed": 3},
    ),
    "additive-string-ids-no-bootstrap": dict(bids=80, pool=13, string_ids=True, regularisation=0.5),
}

# (input fingerprint, SHA-256 of the result's canonical JSON), engine 1.2.0.
GOLDEN = {
    "additive-optimal": (
        "ff77cb5f8cc14d51f50739f6dab1218767cfc0b9a2311bc6e909a15a87d62b63",
        "ddc4406e38d9d0f85b94391aa98754ee9282bf4be343032d9f7e9ae39ea86c45",
    ),
    "zscore-median-partial-lottery": (
        "2a24dd7bbc35312c8f255870c4b78065d416d1bf8771bd81c8180f9ad4f3310e",
        "093c5d980a8c928a5326d5a8765faf77664b76f95d8116222a29220aedb5fe10",
    ),
    "raw-merit-stop-tiebreak": (
        "a6b74210f11bcc7537a3e5188f5da845d1bcb8c6e5d84e881cf3223229f3fea1",
        "95d331c3f604e0b93dd9c6f41dd41fa2aecadb7f8dde2fe2f06fb5d630afd551",
    ),
    "additive-string-ids-no-bootstrap": (
        "6c29a0b81ae24c9ce97708e25b17a1279cef325c60ccae5ed715eff356260ce4",
        "1824e766b7029970e0ccaa5ebc4fddc4b470a2f1c1c4147e389115091d98da37",
    ),
}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_golden_values_are_those_of_this_engine_version():
    assert ENGINE_VERSION == "1.2.0"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_fingerprint_is_unchanged(name):
    assert fingerprint(parse_params(jury_input(**CASES[name]))) == GOLDEN[name][0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_result_is_unchanged_to_the_byte(name):
    params = parse_params(jury_input(**CASES[name]))

    result = solve(params)

    assert result.input_sha256 == GOLDEN[name][0]
    assert _sha256(result.to_json()) == GOLDEN[name][1]


@pytest.mark.parametrize("name", [name for name in sorted(CASES) if "bootstrap" in CASES[name]])
def test_the_result_from_chunks_is_unchanged_to_the_byte(name):
    params = parse_params(jury_input(**CASES[name]))
    assert params.bootstrap is not None
    chunks = [
        compute_bootstrap_chunk(params, start=start, count=count)
        for start, count in plan_chunks(params.bootstrap.samples, 64)
    ]

    result = solve(params, bootstrap_chunks=chunks[::-1])

    assert _sha256(result.to_json()) == GOLDEN[name][1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_completed_point_estimate_is_unchanged_to_the_byte(name):
    params = parse_params(jury_input(**CASES[name]))
    preparation = prepare_run(params)
    point = PointEstimate.from_bytes(preparation.point.to_bytes())
    chunks = None
    if params.bootstrap is not None:
        assert preparation.plan is not None
        plan = BootstrapPlan.from_bytes(preparation.plan.to_bytes())
        chunks = [
            compute_bootstrap_chunk(plan, start=start, count=count)
            for start, count in plan_chunks(params.bootstrap.samples, 64)
        ][::-1]

    text = result_json(complete_result(point, bootstrap_chunks=chunks))

    assert _sha256(text) == GOLDEN[name][1]
