import pytest

pytestmark = pytest.mark.worker


def test_worker_on_redis_answers_ping(celery_worker_process):
    replies = celery_worker_process.control.ping(timeout=2)

    assert len(replies) == 1
