"""From "decided" on, the evaluation is read-only for everyone: every write is refused on the
server with a 403 and a message, the forms are not shown, reminders stop; withdrawing the
unpublished decision reopens it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.models import Call
from portal.editing import EvaluationFrozen
from review.forms.conflicts import DECLARABLE_KINDS
from review.models import (
    Assignment,
    AssignmentProposal,
    Conflict,
    ConflictDeclaration,
    ConsensusReport,
    CriterionScore,
    RankingRun,
    Review,
)
from review.services import decisions
from review.services.ranking_runs import RunSettings, create_and_run_ranking, create_ranking_run
from review.services.reminders import send_review_reminders
from review.services.reviews import ScoreInput, save_review_draft
from tests.factories import ConflictFactory, JurorProfileFactory, enable_totp
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import scored_call
from tests.review.review_setup import review_post

pytestmark = pytest.mark.django_db

KIND = DECLARABLE_KINDS[0][0]


@pytest.fixture
def decided():
    """A call decided through an approved decision, with a submitted and a draft review."""
    setup = scored_call(bids=4, envelope=130_000_000, min_winners=1, max_winners=3)
    preparer, approver = administrator_with_totp(), administrator_with_totp()
    run = create_and_run_ranking(call=setup.call, by=preparer, settings=RunSettings())
    decision = decisions.prepare_decision(call=setup.call, run=run, by=preparer)
    decisions.approve_decision(decision=decision, by=approver)
    setup.call.refresh_from_db()
    assert setup.call.status == Call.Status.DECIDED
    draft = setup.assignments[0]
    Review.objects.filter(assignment=draft).update(status=Review.Status.DRAFT, submitted_at=None)
    for juror in setup.jurors:
        enable_totp(juror.user)
    setup.preparer, setup.approver, setup.decision, setup.run = preparer, approver, decision, run
    return setup


def _scores_of(assignment) -> list[Decimal]:
    return list(
        CriterionScore.objects.filter(review__assignment=assignment)
        .order_by("criterion__order")
        .values_list("value", flat=True)
    )


def test_a_jurors_score_edit_is_refused_with_a_message(client, decided):
    assignment = decided.assignments[0]
    ConflictDeclaration.objects.create(
        juror=assignment.juror, bid=assignment.bid, has_conflict=False
    )
    before = _scores_of(assignment)
    client.force_login(assignment.juror.user)
    url = reverse("review:review_form", args=[assignment.bid.public_id])

    page = client.get(url)
    response = client.post(url, review_post(decided.call, {0: "5", 1: "5", 2: "5"}))

    assert page.status_code == 200
    assert b"read-only" in page.content
    assert b'id="review-form"' not in page.content
    assert response.status_code == 403
    assert b"read-only" in response.content
    assert _scores_of(assignment) == before


RUN_FORM = {
    "basis": "jurors",
    "rule": "optimal",
    "overflow": "skip",
    "calibration": "none",
    "aggregate": "mean",
    "bootstrap_samples": "0",
}


def test_a_new_run_is_refused(client, decided):
    client.force_login(decided.approver)
    url = reverse("review:ranking_runs", args=[decided.call.slug])
    runs = RankingRun.objects.count()

    page = client.get(url)
    response = client.post(url, RUN_FORM)

    assert b"evaluation-frozen" in page.content
    assert response.status_code == 403
    assert RankingRun.objects.count() == runs
    with pytest.raises(EvaluationFrozen):
        create_ranking_run(call=decided.call, by=decided.approver, settings=RunSettings())


def test_every_write_of_the_evaluation_is_refused_with_403(client, decided):
    bid = decided.bids[1]
    assignment = decided.assignments[3]
    review = Review.objects.filter(status=Review.Status.SUBMITTED).first()
    conflict = ConflictFactory(bid=bid, juror=JurorProfileFactory())
    proposal = AssignmentProposal.objects.create(call=decided.call, status="ready", result={})
    other = JurorProfileFactory()
    other.calls.add(decided.call)
    slug = decided.call.slug
    client.force_login(decided.approver)
    admin_posts = [
        (reverse("review:assignment_add", args=[slug]), {"bid": bid.pk, "juror": other.pk}),
        (reverse("review:assignment_remove", args=[assignment.pk]), {}),
        (reverse("review:assignment_rapporteur", args=[assignment.pk]), {}),
        (
            reverse("review:proposal_create", args=[slug]),
            {"jurors_per_bid": 2, "min_load": 0, "max_load": 5},
        ),
        (reverse("review:proposal_save", args=[proposal.pk]), {}),
        (reverse("review:conflict_detect", args=[slug]), {}),
        (reverse("review:conflict_decide", args=[conflict.pk]), {"action": "confirm"}),
        (reverse("review:reopen_review", args=[review.pk]), {"reason": "Typo."}),
        (
            reverse("applications:programme_bid_screen", args=[slug, bid.public_id]),
            {"eligible": "no", "reason": "Late."},
        ),
        (
            reverse("review:panel_minutes", args=[slug, bid.public_id]),
            {f"minutes-{bid.pk}-text": "x", f"minutes-{bid.pk}-version": "0"},
        ),
    ]
    assignments = Assignment.objects.count()
    conflicts = list(Conflict.objects.values_list("pk", "status"))

    statuses = [client.post(url, data).status_code for url, data in admin_posts]

    assert statuses == [403] * len(admin_posts)
    assert Assignment.objects.count() == assignments
    assert list(Conflict.objects.values_list("pk", "status")) == conflicts
    review.refresh_from_db()
    assert review.status == Review.Status.SUBMITTED
    assert not AssignmentProposal.objects.filter(status="saved").exists()


def test_a_juror_cannot_declare_after_the_decision(client, decided):
    assignment = decided.assignments[5]
    client.force_login(assignment.juror.user)
    response = client.post(
        reverse("review:declare_conflict", args=[assignment.bid.public_id]),
        {"position": "yes", "kind": KIND, "reason": "Late find."},
    )
    assert response.status_code == 403
    assert not ConflictDeclaration.objects.filter(has_conflict=True).exists()


def test_consensus_writes_are_refused(client, decided):
    bid = decided.bids[0]
    rapporteur = Assignment.objects.filter(bid=bid).first()
    Assignment.objects.filter(pk=rapporteur.pk).update(is_rapporteur=True)
    report = ConsensusReport.objects.create(
        bid=bid, rapporteur=rapporteur.juror, status=ConsensusReport.Status.SUBMITTED
    )
    client.force_login(decided.approver)

    page = client.get(reverse("review:consensus", args=[bid.public_id]))
    approve = client.post(reverse("review:consensus_approve", args=[bid.public_id]))

    assert b"evaluation-frozen" in page.content
    assert approve.status_code == 403
    report.refresh_from_db()
    assert report.status == ConsensusReport.Status.SUBMITTED


def test_services_refuse_a_draft_save(decided):
    assignment = decided.assignments[0]
    with pytest.raises(EvaluationFrozen):
        save_review_draft(
            assignment=assignment,
            by=assignment.juror.user,
            scores={c.pk: ScoreInput(Decimal(5), "x") for c in decided.criteria},
            overall_comment="",
            confidence=None,
            expected_version=0,
        )


def test_reminders_stop_once_decided(decided, django_capture_on_commit_callbacks):
    Call.objects.filter(pk=decided.call.pk).update(
        review_deadline=timezone.now() + timedelta(hours=20)
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_review_reminders()
    assert sent == 0
    assert mail.outbox == []


def test_withdrawing_the_decision_reopens_the_evaluation(client, decided):
    decisions.withdraw_decision(
        decision=decided.decision, reason="A conflict found late.", by=decided.approver
    )
    client.force_login(decided.approver)
    response = client.post(reverse("review:ranking_runs", args=[decided.call.slug]), RUN_FORM)
    assert response.status_code == 302
    assert RankingRun.objects.count() == 2
