"""The consensus report of a bid: drafted by its rapporteur, commented, approved.

Workflow: once every active juror of the bid has submitted their review, the rapporteur
(``Assignment.is_rapporteur``) drafts a consensus score and comment per criterion and a
summary, then submits it for approval; the bid's other active jurors may comment meanwhile
(each comment e-mails the rapporteur); an administrator approves it, or returns it with a
reason (a draft again: the rapporteur revises and resubmits). An approved report whose
bid has a reopened review submitted again with other scores is "to re-approve"
(``review.services.reviews``): it is no evaluation summary until approved again. Consensus scores are ``ConsensusScore`` rows, never written
into the jurors' ``CriterionScore`` rows (and vice versa). The approved report is the
evaluation summary sent to the institution (``review.queries.reviews.evaluation_summary_for``).

Callers check the permissions (the rapporteur's active assignment, ``jury.review_bid``,
``jury.administer``); these functions enforce the workflow's states
(``ConsensusReport.TRANSITIONS``): ``portal.editing.Locked`` once the report is submitted
or approved, ``portal.editing.StaleEdit`` when it changed since the form was loaded.
"""

import logging
from collections.abc import Mapping

import rules
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Bid
from portal import transitions
from portal.editing import Locked, StaleEdit, swap_instance_version
from portal.mail import absolute_url, send_templated_mail
from review.models import (
    Assignment,
    ConsensusComment,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    JurorProfile,
)
from review.queries.reviews import all_reviews_submitted
from review.services import audit
from review.services.reviews import ScoreInput, score_errors, write_score_rows

logger = logging.getLogger(__name__)


def check_consensus_can_start(*, bid: Bid) -> None:
    if not all_reviews_submitted(bid=bid):
        raise ValidationError(
            _(
                "The consensus report can be drafted once every juror of the bid has "
                "submitted their review."
            )
        )


def save_consensus(
    *,
    bid: Bid,
    rapporteur: Assignment,
    by: User,
    scores: Mapping[int, ScoreInput],
    summary: str,
    expected_version: int,
    submit: bool = False,
) -> ConsensusReport:
    """Create or update the bid's consensus draft; with ``submit``, send it for approval.

    ``rapporteur`` is the caller's active, rapporteur assignment on ``bid``.
    """
    bid.call.check_evaluation_open()
    if not rapporteur.is_rapporteur or rapporteur.bid_id != bid.pk:
        raise PermissionDenied(_("Only the bid's rapporteur drafts its consensus report."))
    check_consensus_can_start(bid=bid)
    criteria = list(Criterion.objects.filter(call_id=bid.call_id))
    errors = score_errors(
        criteria=criteria,
        scores=scores,
        complete=submit,
        missing_score=_("Give the consensus score for “%(criterion)s”."),
        missing_comment=_("Write the consensus comment on “%(criterion)s”."),
    )
    if submit and not summary.strip():
        errors["summary"] = [_("Write the evaluation summary before submitting.")]

    with transaction.atomic():
        Bid.objects.select_for_update().filter(pk=bid.pk).first()  # serialise writers
        report = ConsensusReport.objects.filter(bid=bid).first()
        if report is not None and not report.is_editable:
            raise Locked(
                _("The consensus report is %(status)s and can no longer be edited.")
                % {"status": report.get_status_display().lower()}
            )
        if not swap_instance_version(report, expected=expected_version):
            raise StaleEdit(
                _(
                    "The consensus report was saved elsewhere since you opened it. Your input "
                    "is kept below: copy what you need, then reload the page."
                )
            )
        if errors:
            raise ValidationError(errors)
        report = report or ConsensusReport(bid=bid)
        report.version = expected_version + 1
        report.rapporteur = rapporteur.juror
        report.summary = summary
        if submit:
            transitions.check_transition(report, ConsensusReport.Status.SUBMITTED)
            report.status = ConsensusReport.Status.SUBMITTED
        report.full_clean()
        report.save()
        write_score_rows(
            model=ConsensusScore, owner={"report": report}, criteria=criteria, scores=scores
        )
    logger.info(
        "consensus of bid %s %s by user %s", bid.pk, "submitted" if submit else "saved", by.pk
    )
    return report


def comment_on_consensus(
    *, report: ConsensusReport, author: JurorProfile, text: str
) -> ConsensusComment:
    """A juror of the bid comments on the consensus draft (until it is approved)."""
    report.bid.call.check_evaluation_open()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment first.")})
    if not report.accepts_comments:
        raise Locked(_("The consensus report is approved: comments are closed."))
    with transaction.atomic():
        comment = ConsensusComment(report=report, author=author, text=text)
        comment.full_clean()
        comment.save()
        _mail_comment_to_rapporteur(comment=comment)
    return comment


def _mail_comment_to_rapporteur(*, comment: ConsensusComment) -> None:
    """The rapporteur learns of each comment by another juror (sent on commit)."""
    report = ConsensusReport.objects.select_related("rapporteur__user", "bid__call").get(
        pk=comment.report_id
    )
    if report.rapporteur_id == comment.author_id:
        return
    send_templated_mail(
        template="review/consensus/comment",
        to=report.rapporteur.user.email,
        context={
            "name": report.rapporteur.display_name,
            "author": comment.author.display_name,
            "acronym": report.bid.acronym,
            "call_title": report.bid.call.title_en,
            "text": comment.text,
            "consensus_url": absolute_url(reverse("review:consensus", args=[report.bid.public_id])),
        },
        language="en",  # the jury works in English
    )


def approve_consensus(*, report: ConsensusReport, by: User) -> ConsensusReport:
    """An administrator approves a submitted report: it becomes the evaluation summary."""
    report.bid.call.check_evaluation_open()
    if not rules.has_perm("jury.administer", by):
        raise PermissionDenied(_("Only an administrator can approve a consensus report."))
    with transaction.atomic():
        report = ConsensusReport.objects.select_for_update().get(pk=report.pk)
        transitions.check_transition(
            report,
            ConsensusReport.Status.APPROVED,
            refused=_(
                "Only a report submitted by the rapporteur (or to re-approve) can be approved; "
                "this one is %(status)s."
            )
            % {"status": report.get_status_display().lower()},
        )
        report.status = ConsensusReport.Status.APPROVED
        report.approved_by = by
        report.approved_at = timezone.now()
        report.version += 1
        report.full_clean()
        report.save()
        audit.record_consensus_approved(report=report, by=by)
    logger.info("consensus of bid %s approved by user %s", report.bid_id, by.pk)
    return report


def return_consensus(*, report: ConsensusReport, by: User, reason: str) -> ConsensusReport:
    """An administrator sends a submitted report back to the rapporteur as a draft, saying
    why (shown to the rapporteur, who revises and submits again)."""
    report.bid.call.check_evaluation_open()
    if not rules.has_perm("jury.administer", by):
        raise PermissionDenied(_("Only an administrator can return a consensus report."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Tell the rapporteur why the report is returned: what to revise.")}
        )
    with transaction.atomic():
        report = ConsensusReport.objects.select_for_update().get(pk=report.pk)
        transitions.check_transition(
            report,
            ConsensusReport.Status.DRAFT,
            refused=_(
                "Only a submitted report (or one to re-approve) can be returned to the rapporteur."
            ),
        )
        report.status = ConsensusReport.Status.DRAFT
        report.return_reason = reason
        report.returned_by = by
        report.returned_at = timezone.now()
        report.version += 1
        report.full_clean()
        report.save()
    logger.info("consensus of bid %s returned to draft by user %s", report.bid_id, by.pk)
    return report
