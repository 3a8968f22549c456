import pytest
from django.core.management import call_command

from applications.models import Bid, BidVersion, Call
from review.models import Assignment, Conflict, ConsensusReport, RankingRun, Review

pytestmark = pytest.mark.django_db


def test_load_demo_creates_calls_in_every_state_and_a_jury_at_work():
    call_command("load_demo")

    assert set(Call.objects.values_list("status", flat=True)) == {"open", "under_review"}
    assert set(Bid.objects.values_list("status", flat=True)) == {"draft", "submitted", "withdrawn"}
    assert (
        BidVersion.objects.exclude(receipt_pdf="").count()
        == Bid.objects.exclude(status="draft").count()
    )
    assert Conflict.objects.filter(status=Conflict.Status.CONFIRMED).exists()
    assert Assignment.objects.count() == 33
    assert set(Review.objects.values_list("status", flat=True)) == {"draft", "submitted"}
    assert ConsensusReport.objects.filter(status=ConsensusReport.Status.APPROVED).count() == 1
    runs = RankingRun.objects.all()
    assert [run.status for run in runs] == ["done", "done"]
    assert all(5 <= len(run.result["winners"]) <= 10 for run in runs)


def test_load_demo_twice_changes_nothing():
    call_command("load_demo")
    bids = Bid.objects.count()

    call_command("load_demo")

    assert Bid.objects.count() == bids
