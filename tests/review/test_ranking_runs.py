"""Ranking runs end to end in eager Celery: creation, computation, chunks, redelivery, failure."""

import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from review.models import RankingChunk, RankingRun
from review.ranking import (
    ENGINE_VERSION,
    bootstrap_plan,
    compute_bootstrap_chunk,
    parse_params,
    seed_commitment,
    solve,
)
from review.services.ranking_runs import (
    RunSettings,
    compute_ranking_run,
    create_and_run_ranking,
    create_ranking_run,
    plan_cache_key,
    planned_chunks,
    point_cache_key,
    record_ranking_chunk,
    start_ranking_run,
)
from review.tasks import task_ranking_chunk, task_run_ranking
from tests.factories import AdministratorFactory, CallFactory, CriterionFactory
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db


def _run(setup, **settings) -> RankingRun:
    run = create_ranking_run(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings(**settings)
    )
    task_run_ranking.delay(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_create_ranking_run_freezes_the_input_and_its_hash():
    setup = scored_call()

    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(rule="partial", calibration="zscore", tiebreak=("crit1",)),
    )

    assert run.status == RankingRun.Status.PENDING
    assert run.engine_version == ENGINE_VERSION
    assert run.engine_input["rule"] == "partial"
    assert run.engine_input["tiebreak"] == ["crit1"]
    # The engine's fingerprint of the input, the `input_sha256` its result carries.
    assert run.input_hash == solve(parse_params(run.engine_input)).input_sha256
    assert run.parameters["bid_labels"][str(setup.bids[0].pk)] == "BID00"
    assert run.chunks_total == 0


def test_task_run_ranking_without_bootstrap_stores_the_engine_result():
    setup = scored_call()

    run = _run(setup, rule="optimal")

    assert run.status == RankingRun.Status.DONE
    assert run.progress == 100
    assert run.result_json == solve(parse_params(run.engine_input)).to_json()
    assert run.result == json.loads(run.result_json)
    assert run.finished_at is not None


def test_task_run_ranking_with_bootstrap_stores_one_chunk_per_slice():
    setup = scored_call(bids=8)

    run = _run(setup, rule="merit_order", bootstrap_samples=250, bootstrap_seed=7)

    assert run.status == RankingRun.Status.DONE
    assert (run.chunks_total, run.chunks_done) == (3, 3)
    assert sorted(run.chunks.values_list("index", flat=True)) == [0, 1, 2]
    assert run.result["bootstrap_samples"] == 250
    # Chunked on workers or all at once in the engine: the same bytes.
    assert run.result_json == solve(parse_params(run.engine_input)).to_json()


def test_same_inputs_and_seed_give_byte_identical_results():
    setup = scored_call(bids=8)

    first = _run(
        setup, rule="optimal", calibration="additive", bootstrap_samples=200, bootstrap_seed=3
    )
    second = _run(
        setup, rule="optimal", calibration="additive", bootstrap_samples=200, bootstrap_seed=3
    )

    assert first.pk != second.pk
    assert first.input_hash == second.input_hash
    assert first.result_json == second.result_json


def test_a_seed_left_blank_is_drawn_and_stored():
    setup = scored_call()

    run = _run(setup, bootstrap_samples=100)

    assert run.parameters["bootstrap_seed"] == run.engine_input["bootstrap"]["seed"]
    assert isinstance(run.parameters["bootstrap_seed"], int)


def test_running_the_task_twice_changes_nothing():
    setup = scored_call(bids=8)
    run = _run(setup, rule="partial", bootstrap_samples=300, bootstrap_seed=11)
    stored = (run.result_json, run.finished_at)

    task_run_ranking.delay(run_id=run.pk)
    task_ranking_chunk.delay(run_id=run.pk, index=1, start=100, count=100)
    run.refresh_from_db()

    assert (run.result_json, run.finished_at) == stored
    assert RankingChunk.objects.filter(run=run).count() == 3


def test_a_redelivered_chunk_is_stored_once_and_the_run_finishes_once():
    setup = scored_call(bids=8)
    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(bootstrap_samples=200, bootstrap_seed=5),
    )
    RankingRun.objects.filter(pk=run.pk).update(status=RankingRun.Status.RUNNING)
    run.refresh_from_db()

    record_ranking_chunk(run=run, index=0, start=0, count=100)
    record_ranking_chunk(run=run, index=0, start=0, count=100)
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.progress) == (RankingRun.Status.RUNNING, 1, 50)

    record_ranking_chunk(run=run, index=1, start=100, count=100)
    record_ranking_chunk(run=run, index=1, start=100, count=100)
    run.refresh_from_db()

    assert run.status == RankingRun.Status.DONE
    assert RankingChunk.objects.filter(run=run).count() == 2
    assert run.result_json == solve(parse_params(run.engine_input)).to_json()


def test_a_chunk_outside_the_plan_is_ignored():
    setup = scored_call()
    run = create_ranking_run(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings(bootstrap_samples=100)
    )
    RankingRun.objects.filter(pk=run.pk).update(status=RankingRun.Status.RUNNING)
    run.refresh_from_db()

    record_ranking_chunk(run=run, index=0, start=0, count=50)

    assert RankingChunk.objects.filter(run=run).count() == 0


def test_task_run_ranking_for_a_deleted_run_does_nothing():
    task_run_ranking.delay(run_id=987654)

    assert RankingRun.objects.count() == 0


def test_a_disconnected_jury_with_additive_calibration_fails_with_the_reason():
    setup = scored_call(bids=4, jurors=4, per_bid=2, groups=2)

    run = _run(setup, calibration="additive", bootstrap_samples=100)

    assert run.status == RankingRun.Status.FAILED
    assert "groups that share no bid" in run.error
    assert run.error.startswith("The ranking engine refused to compute: calibration:")
    assert run.result is None
    assert RankingChunk.objects.filter(run=run).count() == 0


def test_lottery_commitment_is_stored_and_the_seed_matches_it():
    setup = scored_call(bids=8)

    run = _run(setup, bootstrap_samples=200, bootstrap_seed=1, lottery=True)

    commitment = run.parameters["lottery_commitment"]
    assert run.status == RankingRun.Status.DONE
    assert run.result["lottery"]["commitment"] == commitment
    assert seed_commitment(run.result["lottery"]["seed"]) == commitment


def test_create_ranking_run_refuses_an_unknown_tiebreak_code():
    setup = scored_call()

    with pytest.raises(ValidationError) as caught:
        create_ranking_run(
            call=setup.call,
            by=AdministratorFactory(),
            settings=RunSettings(tiebreak=("crit0", "nope")),
        )

    assert list(caught.value.message_dict) == ["tiebreak"]


def test_create_ranking_run_refuses_a_lottery_without_bootstrap():
    setup = scored_call()

    with pytest.raises(ValidationError) as caught:
        create_ranking_run(
            call=setup.call, by=AdministratorFactory(), settings=RunSettings(lottery=True)
        )

    assert list(caught.value.message_dict) == ["lottery"]


def test_create_ranking_run_refuses_a_call_without_bids():
    call = CallFactory()
    CriterionFactory(call=call)

    with pytest.raises(ValidationError) as caught:
        create_ranking_run(call=call, by=AdministratorFactory(), settings=RunSettings())

    assert caught.value.messages == ["The call has no submitted and eligible bid to rank."]


def test_create_and_run_ranking_computes_without_a_broker():
    setup = scored_call()

    run = create_and_run_ranking(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(bootstrap_samples=150, bootstrap_seed=2),
    )

    assert run.status == RankingRun.Status.DONE
    assert compute_ranking_run(run=run).result_json == run.result_json


def _started_bootstrap_run(samples: int = 200) -> tuple[RankingRun, dict]:
    setup = scored_call(bids=8)
    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(calibration="additive", bootstrap_samples=samples, bootstrap_seed=9),
    )
    assert start_ranking_run(run=run) == planned_chunks(run)
    return run, run.engine_input


def test_the_first_step_shares_the_bootstrap_plan_under_the_input_fingerprint():
    run, engine_input = _started_bootstrap_run()

    shared = cache.get(plan_cache_key(run.input_hash))

    assert shared == bootstrap_plan(parse_params(engine_input)).to_bytes()


def test_a_chunk_reads_the_shared_plan_not_the_run_input():
    run, engine_input = _started_bootstrap_run()
    RankingRun.objects.filter(pk=run.pk).update(engine_input=None)  # not read by a chunk
    worker_run = RankingRun.objects.without_bulk().get(pk=run.pk)

    record_ranking_chunk(run=worker_run, index=1, start=100, count=100)

    stored = RankingChunk.objects.get(run=run, index=1).result
    assert stored == compute_bootstrap_chunk(parse_params(engine_input), start=100, count=100)


def test_a_chunk_whose_plan_the_cache_lost_prepares_it_again():
    run, engine_input = _started_bootstrap_run()
    cache.delete(plan_cache_key(run.input_hash))

    record_ranking_chunk(run=run, index=0, start=0, count=100)
    record_ranking_chunk(run=run, index=1, start=100, count=100)
    run.refresh_from_db()

    assert cache.get(plan_cache_key(run.input_hash)) is not None
    assert run.status == RankingRun.Status.DONE
    assert run.result_json == solve(parse_params(engine_input)).to_json()


def test_a_shared_plan_of_another_input_is_not_used():
    run, engine_input = _started_bootstrap_run()
    other, _ = _started_bootstrap_run(samples=300)
    cache.set(plan_cache_key(run.input_hash), cache.get(plan_cache_key(other.input_hash)))

    record_ranking_chunk(run=run, index=0, start=0, count=100)

    stored = RankingChunk.objects.get(run=run, index=0).result
    assert stored["fingerprint"] == run.input_hash
    assert stored == compute_bootstrap_chunk(parse_params(engine_input), start=0, count=100)


def test_creation_shares_the_plan_and_the_point_estimate_so_no_step_reads_the_input():
    setup = scored_call(bids=8)
    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(calibration="additive", bootstrap_samples=200, bootstrap_seed=9),
    )
    engine_input = run.engine_input
    assert cache.get(plan_cache_key(run.input_hash)) is not None
    assert cache.get(point_cache_key(run.input_hash)) is not None
    RankingRun.objects.filter(pk=run.pk).update(engine_input=None)  # read by no step

    task_run_ranking.delay(run_id=run.pk)
    run.refresh_from_db()

    assert run.status == RankingRun.Status.DONE
    assert run.result_json == solve(parse_params(engine_input)).to_json()


def test_a_merge_whose_point_estimate_the_cache_lost_prepares_it_again():
    run, engine_input = _started_bootstrap_run()
    cache.delete(point_cache_key(run.input_hash))

    record_ranking_chunk(run=run, index=0, start=0, count=100)
    record_ranking_chunk(run=run, index=1, start=100, count=100)
    run.refresh_from_db()

    assert cache.get(point_cache_key(run.input_hash)) is not None
    assert run.status == RankingRun.Status.DONE
    assert run.result_json == solve(parse_params(engine_input)).to_json()


def test_a_first_step_whose_cache_lost_everything_prepares_the_input_again():
    setup = scored_call(bids=8)
    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(bootstrap_samples=200, bootstrap_seed=9),
    )
    cache.delete_many([plan_cache_key(run.input_hash), point_cache_key(run.input_hash)])

    task_run_ranking.delay(run_id=run.pk)
    run.refresh_from_db()

    assert run.status == RankingRun.Status.DONE
    assert run.result_json == solve(parse_params(run.engine_input)).to_json()
