"""Loaded by test workers (``celery worker --include tests.worker_slowdown``): with
``PORTAL_TEST_SLOW_SECONDS`` set, the long step of a ranking chunk, an export and an
assignment proposal sleeps first, so that a test can kill the worker in the middle of it.
Never imported by the portal itself."""

import os
import time

from celery.signals import worker_process_init


def _slow(function, seconds: float):
    def slowed(*args, **kwargs):
        time.sleep(seconds)
        return function(*args, **kwargs)

    return slowed


@worker_process_init.connect
def _slow_down(**_kwargs) -> None:
    seconds = float(os.environ.get("PORTAL_TEST_SLOW_SECONDS") or 0)
    if not seconds:
        return
    from review.services import assignments, exports, ranking_runs

    ranking_runs.compute_bootstrap_chunk = _slow(ranking_runs.compute_bootstrap_chunk, seconds)
    exports.write_export = _slow(exports.write_export, seconds)
    assignments.assign_jurors = _slow(assignments.assign_jurors, seconds)
