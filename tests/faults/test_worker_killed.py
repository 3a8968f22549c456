"""A Celery worker killed (SIGKILL, the whole process group) in the middle of a ranking run,
an assignment proposal and an export: a second worker, started afterwards, completes the
work exactly once (acks late, the broker's visibility timeout, idempotent steps).

The first worker's long steps sleep (tests/worker_slowdown.py) so that the kill lands
mid-task; the visibility timeout is cut to a few seconds for the test."""

import os
import signal
import time
from pathlib import Path

import pytest

from portal.celery import app
from review.models import AssignmentProposal, AuditEvent, CallExport, RankingChunk, RankingRun
from review.ranking import parse_params, solve
from review.services.assignments import request_assignment_proposal
from review.services.exports import file_sha256, request_export
from review.services.ranking_runs import RunSettings, create_ranking_run
from review.tasks import task_build_export, task_compute_assignment, task_run_ranking
from tests.celery_worker import broker, start_worker, stop_worker, worker_env
from tests.factories import AdministratorFactory
from tests.review.ranking_run_setup import scored_call

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 4  # seconds; production: 1800 (settings)
SLOW_SECONDS = "3"


@pytest.fixture
def workers(redis_url, settings, tmp_path):
    """``first()`` starts the slowed worker, ``kill(process)`` SIGKILLs its process group,
    ``second()`` starts the worker that comes back."""
    started = []

    def start(name: str, **extra: str):
        env = worker_env(
            broker_url=redis_url,
            media_root=settings.MEDIA_ROOT,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
            **extra,
        )
        process = start_worker(
            app,
            env=env,
            log=tmp_path / f"{name}.log",
            hostname=f"{name}-{os.getpid()}",
            args=("--include=tests.worker_slowdown",),
        )
        started.append(process)
        return process

    def kill(process) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        # The message the dead worker held becomes visible again after the timeout; the next
        # worker restores it when it starts.
        time.sleep(VISIBILITY_TIMEOUT + 1)

    with broker(app, settings, redis_url):
        yield {
            "first": lambda: start("doomed", PORTAL_TEST_SLOW_SECONDS=SLOW_SECONDS),
            "second": lambda: start("rescuer"),
            "kill": kill,
        }
        for process in started:
            stop_worker(process)


def _wait(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_a_ranking_run_killed_mid_bootstrap_completes_once(workers):
    setup = scored_call(bids=10, jurors=5, per_bid=3)
    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(
            rule="optimal", calibration="additive", bootstrap_samples=600, bootstrap_seed=17
        ),
    )
    doomed = workers["first"]()
    task_run_ranking.delay(run_id=run.pk)
    _wait(
        lambda: RankingRun.objects.get(pk=run.pk).status == RankingRun.Status.RUNNING,
        timeout=60,
        what="the run to start",
    )

    workers["kill"](doomed)
    interrupted = RankingRun.objects.get(pk=run.pk)
    assert interrupted.status == RankingRun.Status.RUNNING
    assert interrupted.chunks_done < interrupted.chunks_total
    workers["second"]()
    _wait(
        lambda: RankingRun.objects.get(pk=run.pk).status != RankingRun.Status.RUNNING,
        timeout=120,
        what="the run to finish",
    )

    run.refresh_from_db()
    assert run.status == RankingRun.Status.DONE, run.error
    assert sorted(RankingChunk.objects.filter(run=run).values_list("index", flat=True)) == list(
        range(6)
    )
    assert run.result_json == solve(parse_params(run.engine_input)).to_json()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.RUN_COMPLETED).count() == 1


def test_an_export_killed_mid_build_completes_once(workers, settings):
    setup = scored_call(bids=4, jurors=4, per_bid=2)
    export = request_export(
        call=setup.call, kind="scores", language="en", pseudonymise=True, by=AdministratorFactory()
    )
    doomed = workers["first"]()
    task_build_export.delay(export_id=export.pk)
    _wait(
        lambda: CallExport.objects.get(pk=export.pk).status == CallExport.Status.RUNNING,
        timeout=60,
        what="the export to start",
    )

    workers["kill"](doomed)
    assert CallExport.objects.get(pk=export.pk).status == CallExport.Status.RUNNING
    workers["second"]()
    _wait(
        lambda: CallExport.objects.get(pk=export.pk).status != CallExport.Status.RUNNING,
        timeout=120,
        what="the export to finish",
    )

    export.refresh_from_db()
    stored = list((Path(settings.MEDIA_ROOT) / "exports").rglob("*.xlsx"))
    assert export.status == CallExport.Status.DONE, export.error
    assert [path.name for path in stored] == [Path(export.file.name).name]
    assert file_sha256(stored[0]) == export.sha256


def test_an_assignment_proposal_killed_mid_solve_completes_once(workers):
    setup = scored_call(bids=4, jurors=4, per_bid=0)
    proposal = request_assignment_proposal(
        call=setup.call, jurors_per_bid=2, min_load=1, max_load=3, by=AdministratorFactory()
    )
    doomed = workers["first"]()
    task_compute_assignment.delay(proposal_id=proposal.pk)
    _wait(
        lambda: (
            AssignmentProposal.objects.get(pk=proposal.pk).status
            == AssignmentProposal.Status.RUNNING
        ),
        timeout=60,
        what="the proposal to start",
    )

    workers["kill"](doomed)
    assert AssignmentProposal.objects.get(pk=proposal.pk).status == "running"
    workers["second"]()
    _wait(
        lambda: (
            AssignmentProposal.objects.get(pk=proposal.pk).status
            != AssignmentProposal.Status.RUNNING
        ),
        timeout=120,
        what="the proposal to be computed",
    )

    proposal.refresh_from_db()
    assert proposal.status == AssignmentProposal.Status.READY, proposal.error
    assert len(proposal.result["pairs"]) == 8
