"""Reopening notifies the juror; a changed resubmission sends an approved consensus back to
"to re-approve"; comments on a consensus notify the rapporteur."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from review.models import ConsensusReport, Criterion
from review.queries.progress import call_progress
from review.queries.reviews import evaluation_summary_for
from review.services.consensus import approve_consensus, comment_on_consensus
from review.services.reviews import ScoreInput, reopen_review, submit_review
from tests.review.jury_setup import administrator_with_totp
from tests.review.review_setup import panel, write_review

pytestmark = pytest.mark.django_db


def _approved_panel():
    p = panel(jurors=2)
    reviews = [write_review(a, Decimal(3)) for a in p.assignments]
    report = ConsensusReport.objects.create(
        bid=p.bid,
        rapporteur=p.jurors[0],
        status=ConsensusReport.Status.APPROVED,
        summary="Agreed",
    )
    return p, reviews, report


def _resubmit(p, review, value: Decimal):
    criteria = Criterion.objects.filter(call=p.call)
    review.refresh_from_db()
    return submit_review(
        assignment=review.assignment,
        by=review.assignment.juror.user,
        scores={c.pk: ScoreInput(value, "Revised view") for c in criteria},
        confidence=3,
        expected_version=review.version,
    )


def test_reopening_a_review_emails_the_juror_with_the_reason(django_capture_on_commit_callbacks):
    p, reviews, _report = _approved_panel()

    with django_capture_on_commit_callbacks(execute=True):
        reopen_review(review=reviews[1], by=administrator_with_totp(), reason="Check c2 again")

    [message] = mail.outbox
    assert message.to == [p.jurors[1].user.email]
    assert message.subject == (
        f"[IA-cluster portal] Your review of {p.bid.acronym} is reopened — {p.call.title_en}"
    )
    assert "Check c2 again" in message.body
    assert reverse("review:review_form", args=[p.bid.public_id]) in message.body


def test_a_refused_reopening_sends_nothing(django_capture_on_commit_callbacks):
    _p, reviews, _report = _approved_panel()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        reopen_review(review=reviews[1], by=administrator_with_totp(), reason=" ")

    assert mail.outbox == []


def test_resubmission_with_other_scores_sends_the_consensus_to_re_approve():
    p, reviews, report = _approved_panel()
    admin = administrator_with_totp()
    reopen_review(review=reviews[1], by=admin, reason="Reconsider")

    _resubmit(p, reviews[1], Decimal(4))

    report.refresh_from_db()
    assert report.status == ConsensusReport.Status.TO_REAPPROVE
    assert evaluation_summary_for(bid=p.bid) is None
    assert call_progress(call=p.call).to_reapprove == [(p.bid.acronym, p.bid.public_id)]


def test_resubmission_with_the_same_scores_keeps_the_approval():
    p, reviews, report = _approved_panel()
    reopen_review(review=reviews[1], by=administrator_with_totp(), reason="Typo in comment")

    _resubmit(p, reviews[1], Decimal("3.0"))

    report.refresh_from_db()
    assert report.status == ConsensusReport.Status.APPROVED


def test_a_report_to_re_approve_is_approved_again_by_an_administrator():
    p, reviews, report = _approved_panel()
    admin = administrator_with_totp()
    reopen_review(review=reviews[1], by=admin, reason="Reconsider")
    _resubmit(p, reviews[1], Decimal(4))

    approve_consensus(report=report, by=admin)

    report.refresh_from_db()
    assert report.status == ConsensusReport.Status.APPROVED
    assert evaluation_summary_for(bid=p.bid).summary == "Agreed"


def test_consensus_and_progress_pages_show_the_report_to_re_approve(client):
    p, _reviews, report = _approved_panel()
    report.status = ConsensusReport.Status.TO_REAPPROVE
    report.save()
    client.force_login(administrator_with_totp())

    consensus = client.get(reverse("review:consensus", args=[p.bid.public_id]))
    progress = client.get(reverse("review:call_progress", args=[p.call.slug]))
    approved = client.post(
        reverse("review:consensus_approve", args=[p.bid.public_id]), {"action": "approve"}
    )

    report.refresh_from_db()
    assert 'id="consensus-to-reapprove"' in consensus.content.decode()
    assert 'id="consensus-decision"' in consensus.content.decode()
    assert 'id="consensus-to-reapprove"' in progress.content.decode()
    assert approved.status_code == 302
    assert report.status == ConsensusReport.Status.APPROVED


def test_a_comment_emails_the_rapporteur(django_capture_on_commit_callbacks):
    p, _reviews, report = _approved_panel()
    report.status = ConsensusReport.Status.SUBMITTED
    report.save()

    with django_capture_on_commit_callbacks(execute=True):
        comment_on_consensus(report=report, author=p.jurors[1], text="The budget score is high")

    [message] = mail.outbox
    assert message.to == [p.jurors[0].user.email]
    assert "The budget score is high" in message.body
    assert p.jurors[1].display_name in message.body


def test_the_rapporteur_s_own_comment_sends_nothing(django_capture_on_commit_callbacks):
    p, _reviews, report = _approved_panel()
    report.status = ConsensusReport.Status.SUBMITTED
    report.save()

    with django_capture_on_commit_callbacks(execute=True):
        comment_on_consensus(report=report, author=p.jurors[0], text="Noted")

    assert mail.outbox == []
