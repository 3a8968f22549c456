"""Ranking runs on a real Celery worker (2 processes) on Redis, not eager: chunks shared by
the worker processes, and redelivered messages that must not duplicate anything."""

import contextlib
import time

import pytest
from amqp.exceptions import ChannelError

from review.models import RankingChunk, RankingRun
from review.ranking import parse_params, solve
from review.services.ranking_runs import RunSettings, create_ranking_run, planned_chunks
from review.tasks import task_ranking_chunk, task_run_ranking
from tests.factories import AdministratorFactory
from tests.review.ranking_run_setup import scored_call

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_until_over(run: RankingRun, *, timeout: float = 60) -> RankingRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (RankingRun.Status.DONE, RankingRun.Status.FAILED):
            return run
        time.sleep(0.2)
    pytest.fail(f"run still {run.status} after {timeout} s ({run.chunks_done} chunks)")


def _wait_until_idle(app, *, timeout: float = 30) -> None:
    """Until every queue is empty and no worker process holds a message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = 0
        with app.connection_for_read() as connection:
            for queue in app.amqp.queues:  # the ranking's tasks go to their own queue
                # Redis drops the key of an empty queue: ChannelError means none waiting.
                with contextlib.suppress(ChannelError):
                    waiting += connection.default_channel.queue_declare(
                        queue, passive=True
                    ).message_count
        inspect = app.control.inspect(timeout=0.5)
        busy = [
            task
            for replies in (inspect.active() or {}, inspect.reserved() or {})
            for tasks in replies.values()
            for task in tasks
        ]
        if waiting == 0 and not busy:
            return
        time.sleep(0.2)
    pytest.fail("the worker did not finish its messages")


def _bootstrap_run(samples: int) -> RankingRun:
    setup = scored_call(bids=10, jurors=5, per_bid=3)
    return create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(
            rule="optimal", calibration="additive", bootstrap_samples=samples, bootstrap_seed=17
        ),
    )


def test_a_bootstrap_run_is_shared_by_the_worker_processes(celery_worker_process):
    run = _bootstrap_run(500)

    task_run_ranking.delay(run_id=run.pk)
    run = _wait_until_over(run)

    assert run.status == RankingRun.Status.DONE, run.error
    assert (run.chunks_total, run.chunks_done, run.progress) == (5, 5, 100)
    assert sorted(RankingChunk.objects.filter(run=run).values_list("index", flat=True)) == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert run.result_json == solve(parse_params(run.engine_input)).to_json()


def test_redelivered_messages_store_each_chunk_once_and_one_result(celery_worker_process):
    run = _bootstrap_run(400)

    # The same messages twice, as a broker redelivers them after a lost acknowledgement.
    task_run_ranking.apply_async(kwargs={"run_id": run.pk})
    task_run_ranking.apply_async(kwargs={"run_id": run.pk})
    for chunk in planned_chunks(run):
        for _ in range(2):
            task_ranking_chunk.apply_async(
                kwargs={
                    "run_id": run.pk,
                    "index": chunk.index,
                    "start": chunk.start,
                    "count": chunk.count,
                }
            )
    run = _wait_until_over(run)
    stored = (run.result_json, run.finished_at)
    _wait_until_idle(celery_worker_process)
    run.refresh_from_db()

    assert run.status == RankingRun.Status.DONE, run.error
    assert list(
        RankingChunk.objects.filter(run=run).order_by("index").values_list("index", flat=True)
    ) == [0, 1, 2, 3]
    assert (run.result_json, run.finished_at) == stored
    assert run.result_json == solve(parse_params(run.engine_input)).to_json()
