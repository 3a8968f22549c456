"""The bootstrap's shared work done once (`bootstrap_plan`), compact chunks, and the fast
paths that must give the very same bytes as the definitions they replace."""

import base64
import gc
import io
import json
import zlib
from dataclasses import asdict, replace

import numpy as np
import pytest
from golden_inputs import jury_input
from hypothesis import given, settings
from hypothesis import strategies as st

from review.ranking import (
    BootstrapPlan,
    PointEstimate,
    RankingInputError,
    aggregate,
    bootstrap_plan,
    chunk_ranks,
    complete_result,
    compute_bootstrap_chunk,
    eligible_bids,
    parse_params,
    plan_chunks,
    prepare_run,
    solve,
)
from review.ranking.model import Score
from review.ranking.problem import canonical_json
from review.ranking.robustness import rank_interval, rank_intervals


def _asdict_json(params) -> str:
    """The fingerprint's text as engine 1.2.0 first wrote it."""
    return json.dumps(asdict(params), sort_keys=True, separators=(",", ":"))


def _small(**overrides):
    return jury_input(bids=40, pool=11, criteria=3, **overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"string_ids": True, "bootstrap": {"samples": 20, "seed": 3}},
        {
            "bootstrap": {"samples": 20, "seed": 3, "grey_zone": 0.1},
            "lottery": {"seed": "s" * 20, "commitment": "ab" * 32},
            "tiebreak": ["c2"],
            "overall_threshold": 2.5,
            "regularisation": 0.25,
        },
    ],
)
def test_canonical_json_is_the_asdict_json(overrides):
    params = parse_params(_small(**overrides))

    assert canonical_json(params) == _asdict_json(params)


def test_canonical_json_is_the_asdict_json_for_awkward_values():
    params = parse_params(_small(string_ids=True))
    odd = (
        Score(bid=params.bids[0].id, juror='qu"ote\\ é', criterion="c0", value=-0.0),
        Score(bid=params.bids[1].id, juror="日本", criterion="c1", value=3),  # type: ignore[arg-type]
        Score(bid=params.bids[2].id, juror="x", criterion="c2", value=float("nan")),
        Score(bid=params.bids[3].id, juror="y", criterion="c0", value=1e-17),
    )

    awkward = replace(params, scores=params.scores + odd)

    assert canonical_json(awkward) == _asdict_json(awkward)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda bids: st.lists(
            st.lists(st.integers(1, bids), min_size=bids, max_size=bids),
            min_size=1,
            max_size=30,
        )
    ),
    st.sampled_from([0, 1, 25, 50, 89, 90, 99, 100]),
)
def test_rank_intervals_are_those_of_rank_interval(samples, level):
    ranks = np.sort(np.array(samples, dtype=np.int32), axis=0)

    low, high = rank_intervals(ranks, level)

    for bid in range(ranks.shape[1]):
        values, counts = np.unique(ranks[:, bid], return_counts=True)
        pairs = [[int(v), int(c)] for v, c in zip(values, counts, strict=True)]
        assert (int(low[bid]), int(high[bid])) == rank_interval(pairs, ranks.shape[0], level)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(
                st.sampled_from([1.0, 1.5, 2.0, float("nan"), 0.0, -0.0]), min_size=n, max_size=n
            ),
            st.lists(
                st.lists(st.sampled_from([1.0, 2.0, float("nan")]), min_size=2, max_size=2),
                min_size=n,
                max_size=n,
            ),
            st.permutations(list(range(n))),
        )
    ),
    st.sampled_from([[0, 1], [1], [], [1, 0]]),
)
def test_rank_order_is_the_lexicographic_order(columns, tiebreak):
    scores, criterion_scores, id_rank = (np.array(column) for column in columns)
    chain = np.array(tiebreak, dtype=np.int64)
    keys = [id_rank] + [aggregate._descending(criterion_scores[:, c]) for c in chain[::-1]]
    keys.append(aggregate._descending(scores))

    order = aggregate.rank_order(scores, criterion_scores, chain, id_rank)

    assert order.tolist() == np.lexsort(keys).tolist()


def _bootstrap_params():
    return parse_params(_small(bootstrap={"samples": 90, "seed": 21}))


def test_a_plan_loaded_from_its_bytes_computes_the_same_chunks():
    params = _bootstrap_params()
    plan = bootstrap_plan(params)

    loaded = BootstrapPlan.from_bytes(plan.to_bytes())

    assert compute_bootstrap_chunk(loaded, start=30, count=25) == compute_bootstrap_chunk(
        params, start=30, count=25
    )


def test_chunks_from_a_loaded_plan_give_the_result_of_one_process():
    params = _bootstrap_params()
    loaded = BootstrapPlan.from_bytes(bootstrap_plan(params).to_bytes())
    chunks = [
        compute_bootstrap_chunk(loaded, start=start, count=count)
        for start, count in plan_chunks(90, 40)
    ]

    assert solve(params, bootstrap_chunks=chunks).to_json() == solve(params).to_json()


def test_a_plan_of_another_engine_version_is_refused():
    plan = bootstrap_plan(_bootstrap_params())
    archive = dict(np.load(io.BytesIO(plan.to_bytes())))
    header = json.loads(archive["header"].tobytes())
    archive["header"] = np.frombuffer(
        json.dumps({**header, "engine_version": "1.1.0"}).encode(), dtype=np.uint8
    )
    buffer = io.BytesIO()
    np.savez(buffer, **archive)

    with pytest.raises(RankingInputError, match="prepared by engine 1.1.0"):
        BootstrapPlan.from_bytes(buffer.getvalue())


def test_a_plan_needs_bootstrap_settings():
    with pytest.raises(RankingInputError, match="no bootstrap settings"):
        bootstrap_plan(parse_params(_small()))


def test_a_chunk_holds_its_ranks_compactly():
    params = _bootstrap_params()

    chunk = compute_bootstrap_chunk(params, start=0, count=30)
    ranks = chunk_ranks(chunk)

    assert ranks.shape == (30, len(params.bids))
    assert sorted(ranks[0].tolist()) == list(range(1, len(params.bids) + 1))
    raw = zlib.decompress(base64.b64decode(chunk["ranks"]))
    assert len(raw) == 30 * len(params.bids) * 2  # two bytes per rank below 65,536 bids


def test_chunks_in_the_histogram_format_of_before_still_merge():
    params = _bootstrap_params()
    chunks = [
        compute_bootstrap_chunk(params, start=start, count=count)
        for start, count in plan_chunks(90, 40)
    ]
    legacy = []
    for chunk in chunks:
        ranks = chunk_ranks(chunk)
        histograms = []
        for bid in range(ranks.shape[1]):
            values, counts = np.unique(ranks[:, bid], return_counts=True)
            histograms.append([[int(v), int(c)] for v, c in zip(values, counts, strict=True)])
        old = {key: value for key, value in chunk.items() if key != "ranks"}
        legacy.append({**old, "rank_counts": histograms})

    mixed = [legacy[0], chunks[1], legacy[2]]

    assert solve(params, bootstrap_chunks=mixed).to_json() == solve(params).to_json()


def test_a_chunk_whose_ranks_do_not_match_its_size_is_refused():
    params = _bootstrap_params()
    chunk = compute_bootstrap_chunk(params, start=0, count=90)

    with pytest.raises(RankingInputError, match="do not match its size"):
        solve(params, bootstrap_chunks=[{**chunk, "count": 89}, {**chunk, "start": 89, "count": 1}])


@pytest.mark.parametrize("calibration", ["none", "additive"])
def test_eligible_bids_are_the_eligible_bids_of_solve_in_rank_order(calibration):
    params = parse_params(_small(calibration=calibration, overall_threshold=2.9))

    assert eligible_bids(params) == [bid.id for bid in solve(params).bids if bid.eligible]


@settings(max_examples=120, deadline=None)
@given(
    st.integers(1, 50),
    st.integers(0, 12),
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
)
def test_slot_sum_gives_the_bits_of_numpy_sum(bids, slots, criteria, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(bids, slots, criteria)) * 10 ** rng.uniform(-3, 3, (bids, slots, 1))
    values[rng.random(values.shape) < 0.3] = 0.0

    total = aggregate.slot_sum(values)

    assert total.tobytes() == values.sum(axis=1).tobytes()


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 30),
    st.integers(1, 6),
    st.integers(1, 4),
    st.sampled_from(["mean", "median"]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_scores_of_a_cube_with_its_layout_are_those_of_the_nan_cube(
    bids, slots, criteria, method, half_points, seed
):
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 5, size=(bids, slots, criteria))
    if half_points:  # the exact path
        values = np.round(values * 2) / 2
    present = rng.random(values.shape) < 0.7
    weights = rng.choice([0.5, 1.0, 2.0], size=criteria)
    nan_cube = np.where(present, values, np.nan)
    zero_cube = np.where(present, values, 0.0)

    plain = aggregate.score_bids(nan_cube, method, weights)
    laid_out = aggregate.score_bids(zero_cube, method, weights, layout=aggregate.Layout.of(present))

    assert laid_out.exact == plain.exact
    for name in ("criterion_scores", "scores", "units"):
        assert getattr(laid_out, name).tobytes() == getattr(plain, name).tobytes()


def test_a_known_fingerprint_gives_the_same_result_and_plan():
    params = parse_params(_small(bootstrap={"samples": 30, "seed": 3}))
    fingerprint = solve(params).input_sha256

    plan = bootstrap_plan(params, known_fingerprint=fingerprint)
    chunks = [compute_bootstrap_chunk(plan, start=s, count=c) for s, c in plan_chunks(30, 10)]

    assert plan.to_bytes() == bootstrap_plan(params).to_bytes()
    assert (
        solve(params, bootstrap_chunks=chunks, known_fingerprint=fingerprint).to_json()
        == solve(params).to_json()
    )


@pytest.mark.parametrize("enabled", [True, False])
def test_parse_leaves_the_garbage_collector_as_it_found_it(enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        parse_params(_small())
        with pytest.raises(RankingInputError):
            parse_params(_small(budget=-1))

        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_point_estimate_from_another_engine_version_is_refused():
    point = prepare_run(parse_params(_small())).point
    document = json.loads(zlib.decompress(point.to_bytes()))
    document["engine_version"] = "0.9.0"

    with pytest.raises(RankingInputError, match="engine 0.9.0"):
        PointEstimate.from_bytes(zlib.compress(json.dumps(document).encode()))


def test_a_completed_point_estimate_without_its_chunks_is_refused():
    point = prepare_run(parse_params(_small(bootstrap={"samples": 20, "seed": 3}))).point

    with pytest.raises(RankingInputError, match="chunks are missing"):
        complete_result(point)
