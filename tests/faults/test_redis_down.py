"""Redis stops (cache and broker): pages still serve, sign-in still counts failures, work
that needs a worker is refused with a 503 and nothing left pending, e-mails wait in the
database and are queued once Redis is back. A real redis-server, stopped mid-test."""

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from applications.models import BidVersion
from applications.services.submission import RECEIPT_STALLED_AFTER, undelivered_receipts
from applications.tasks import task_requeue_undelivered_receipts
from portal.celery import app
from portal.settings import cache_settings
from review.models import AssignmentProposal, CallExport, RankingRun
from tests.applications.bidkit import complete_bid, make_cast
from tests.celery_worker import broker, free_port, start_redis, stop
from tests.factories import PASSWORD, UserFactory
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import scored_call

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

UNAVAILABLE = "The task queue is unavailable at the moment"


@pytest.fixture
def redis(settings, tmp_path):
    """A redis-server of this test's own, as cache (with cached sessions) and broker."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = {"process": start_redis(port, tmp_path)}
    settings.CACHES = cache_settings(url)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

    def restart() -> None:
        server["process"] = start_redis(port, tmp_path)

    with broker(app, settings, url):
        yield {"url": url, "stop": lambda: stop(server["process"]), "restart": restart}
    if server["process"].poll() is None:
        stop(server["process"])
    caches.close_all()


QUEUES = ("celery", "ranking", "assignment", "exports", "mail")


def _queued_messages(url: str) -> int:
    """Messages waiting in Redis, over every queue the portal routes work to."""
    with Connection(url) as connection:
        client = connection.default_channel.client
        return sum(client.llen(queue) for queue in QUEUES)


def test_pages_serve_and_broker_work_is_refused_cleanly_while_redis_is_down(client, redis):
    setup = scored_call(bids=6, envelope=130_000_000, min_winners=2, max_winners=4)
    administrator = administrator_with_totp()
    client.force_login(administrator)
    runs_url = reverse("review:ranking_runs", args=[setup.call.slug])
    assert client.get(runs_url).status_code == 200  # the session is now cached in Redis

    redis["stop"]()

    assert client.get(runs_url).status_code == 200
    assert client.get(reverse("home"), follow=True).status_code == 200
    ranking = client.post(
        runs_url,
        {
            "basis": "jurors",
            "rule": "optimal",
            "overflow": "skip",
            "calibration": "none",
            "aggregate": "mean",
            "bootstrap_samples": "0",
        },
    )
    export = client.post(
        reverse("review:call_exports", args=[setup.call.slug]),
        {"kind": "scores", "language": "en"},
    )
    proposal = client.post(
        reverse("review:proposal_create", args=[setup.call.slug]),
        {"jurors_per_bid": 2, "min_load": 1, "max_load": 6},
    )

    for response in (ranking, export, proposal):
        assert response.status_code == 503
        assert UNAVAILABLE in response.content.decode()
    # Nothing waits for a worker that will never hear of it: each row says why it failed.
    for model in (RankingRun, CallExport, AssignmentProposal):
        assert list(model.objects.values_list("status", flat=True)) == ["failed"]
        assert UNAVAILABLE in model.objects.get().error


def test_sign_in_is_still_throttled_while_redis_is_down(client, redis):
    UserFactory(username="target@univ-fictive.fr")
    redis["stop"]()

    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": "target@univ-fictive.fr", "password": "wrong"}
        )
        assert response.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": "target@univ-fictive.fr", "password": PASSWORD}
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_submission_while_redis_is_down_succeeds_and_its_mail_is_queued_once_it_is_back(
    client, redis
):
    cast = make_cast(complete_bid())
    client.force_login(cast.coordinator)
    redis["stop"]()

    response = client.post(reverse("applications:bid_submit", args=[cast.bid.public_id]))

    assert response.status_code == 302
    version = BidVersion.objects.get(bid=cast.bid)
    # The receipt and its e-mails are the delivery task's; its message could not be queued.
    assert version.receipt_mailed_at is None
    assert undelivered_receipts() == []  # not overdue yet: its task may still be on its way

    redis["restart"]()
    BidVersion.objects.filter(pk=version.pk).update(
        submitted_at=timezone.now() - 2 * RECEIPT_STALLED_AFTER
    )
    task_requeue_undelivered_receipts()  # the beat sweep, run here by hand

    assert _queued_messages(redis["url"]) == 1
    assert (
        client.get(reverse("applications:bid_detail", args=[cast.bid.public_id])).status_code == 200
    )
    # The receipt downloads meanwhile: built on demand from the frozen snapshot.
    receipt = client.get(reverse("applications:bid_receipt", args=[cast.bid.public_id, 1]))
    assert receipt.status_code == 200
