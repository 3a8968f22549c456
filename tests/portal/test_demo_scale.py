import pytest
from django.core.management import call_command

from applications.models import Bid, BidVersion, Call
from applications.services.submission import snapshot_sha256
from review.models import Assignment, CriterionScore, RankingRun, Review

pytestmark = pytest.mark.django_db


def test_load_demo_size_seeds_a_call_of_that_size_with_a_connected_jury():
    call_command("load_demo", "--size", "40", "--with-run")

    call = Call.objects.get(slug="scale-40")
    assert Bid.objects.filter(call=call, status=Bid.Status.SUBMITTED).count() == 40
    assert call.jurors.count() == 8
    assert Assignment.objects.filter(bid__call=call).count() == 200
    assert Review.objects.filter(assignment__bid__call=call, status="submitted").count() == 200
    assert CriterionScore.objects.filter(review__assignment__bid__call=call).count() == 1000
    run = RankingRun.objects.get(call=call)
    assert run.status == RankingRun.Status.DONE
    assert len(run.result["bids"]) == 40


def test_load_demo_size_leaves_the_normal_demo_alone_and_runs_once(capsys):
    call_command("load_demo", "--size", "10")
    call_command("load_demo", "--size", "10")
    call_command("load_demo", "--size", "15")

    assert list(Call.objects.order_by("slug").values_list("slug", flat=True)) == [
        "scale-10",
        "scale-15",
    ]
    assert "The call scale-10 is already loaded." in capsys.readouterr().out
    # The second size reuses the first one's institutions and jurors.
    assert Bid.objects.values("lead_institution").distinct().count() == 15


def test_seeded_versions_carry_their_true_fingerprint():
    call_command("load_demo", "--size", "12")

    versions = BidVersion.objects.filter(bid__call__slug="scale-12")
    assert versions.count() == 12
    assert {v.sha256 for v in versions} == {snapshot_sha256(v.snapshot) for v in versions}
