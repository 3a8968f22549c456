from datetime import UTC

import pytest
from django.core.management import call_command
from django.urls import reverse

from applications.models import Bid, BidVersion, Call
from review.models import (
    Assignment,
    Conflict,
    ConsensusReport,
    Decision,
    DecisionLetter,
    Publication,
    RankingRun,
    RedressRequest,
    Review,
)

pytestmark = pytest.mark.django_db


def test_load_demo_creates_calls_in_every_state_and_a_jury_at_work():
    call_command("load_demo")

    assert set(Call.objects.values_list("status", flat=True)) == {
        "open",
        "under_review",
        "published",
    }
    assert set(Bid.objects.values_list("status", flat=True)) == {"draft", "submitted", "withdrawn"}
    assert (
        BidVersion.objects.exclude(receipt_pdf="").count()
        == Bid.objects.exclude(status="draft").count()
    )
    assert Conflict.objects.filter(status=Conflict.Status.CONFIRMED).exists()
    assert Assignment.objects.filter(bid__call__slug="ia-cluster-wave-1").count() == 33
    assert set(Review.objects.values_list("status", flat=True)) == {"draft", "submitted"}
    assert (
        ConsensusReport.objects.filter(
            status=ConsensusReport.Status.APPROVED, bid__call__slug="ia-cluster-wave-1"
        ).count()
        == 1
    )
    runs = RankingRun.objects.filter(call__slug="ia-cluster-wave-1")
    assert [run.status for run in runs] == ["done", "done"]
    assert all(5 <= len(run.result["winners"]) <= 10 for run in runs)


def test_load_demo_has_a_published_wave_with_a_deviation_a_reserve_list_letters_and_an_appeal():
    call_command("load_demo")

    wave0 = Call.objects.get(slug="ia-cluster-wave-0")
    decision = Decision.objects.get(call=wave0)
    lines = list(decision.lines.all())
    assert wave0.status == Call.Status.PUBLISHED
    assert decision.status == Decision.Status.APPROVED
    assert decision.approved_by != decision.prepared_by
    assert [line.reason != "" for line in lines].count(True) == 1
    assert any(line.outcome == "reserve" for line in lines)
    funded = [line for line in lines if line.outcome == "funded"]
    assert wave0.min_winners <= len(funded) <= wave0.max_winners
    assert sum(line.amount_awarded for line in funded) <= wave0.envelope
    letters = DecisionLetter.objects.filter(call=wave0)
    assert letters.count() == len(lines)
    assert set(letters.values_list("status", flat=True)) == {"sent"}
    assert RedressRequest.objects.filter(bid__call=wave0).count() == 1


def test_load_demo_twice_changes_nothing():
    call_command("load_demo")
    bids = Bid.objects.count()

    call_command("load_demo")

    assert Bid.objects.count() == bids


def test_load_demo_seeds_the_open_call_page(client):
    call_command("load_demo")

    call = Call.objects.get(slug="ia-cluster-demo")
    response = client.get(reverse("calls:page", args=[call.slug]))
    (document,) = response.context["page"].documents
    download = client.get(reverse("calls:document", args=[call.slug, document.pk]))

    assert call.rules_en.startswith("Bids are led by one French university")
    assert call.rules_fr.startswith("Les projets sont portés")
    assert call.contact_email == "ia-cluster@demo.ia-cluster.fr"
    assert len(response.context["page"].faqs) == 3
    assert len(response.context["page"].grid) == call.criteria.count() > 0
    assert download["Content-Disposition"] == 'attachment; filename="Budget template.xlsx"'


def test_load_demo_dates_the_past_in_order():
    """Versions of the closed calls before their closing (the snapshot and receipt agree),
    reviews after the submissions and, in the decided wave, before the review deadline;
    consensus after the reviews, the decision after the consensus, publication after that."""
    call_command("load_demo")

    for call in Call.objects.exclude(status="open"):
        versions = BidVersion.objects.filter(bid__call=call)
        assert versions.exists()
        latest_submission = max(v.submitted_at for v in versions)
        assert all(call.opens_at <= v.submitted_at < call.closes_at for v in versions)
        assert all(
            v.snapshot["submitted_at"] == v.submitted_at.astimezone(UTC).isoformat()
            for v in versions
        )
        reviews = Review.objects.filter(assignment__bid__call=call, submitted_at__isnull=False)
        assert reviews.exists()
        assert min(r.submitted_at for r in reviews) > max(call.closes_at, latest_submission)
        consensus = ConsensusReport.objects.filter(bid__call=call, approved_at__isnull=False)
        assert min(c.approved_at for c in consensus) > max(r.submitted_at for r in reviews)

    wave0 = Call.objects.get(slug="ia-cluster-wave-0")
    reviews = Review.objects.filter(assignment__bid__call=wave0)
    last_review = max(r.submitted_at for r in reviews)
    assert last_review < wave0.review_deadline
    last_consensus = max(c.approved_at for c in ConsensusReport.objects.filter(bid__call=wave0))
    decision = Decision.objects.get(call=wave0, status="approved")
    assert last_consensus < decision.prepared_at < decision.approved_at
    publication = Publication.objects.get(call=wave0)
    assert decision.approved_at < publication.published_at
    assert all(
        letter.sent_at > publication.published_at
        for letter in DecisionLetter.objects.filter(call=wave0)
    )
    assert RedressRequest.objects.get(bid__call=wave0).filed_at > publication.published_at
