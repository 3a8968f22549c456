"""Writing a juror's review: draft, submit (locks it), reopen (administrators, with a reason).

Reopening e-mails the juror (the reason and a link). A reopened review submitted again with
scores other than those it had when reopened sends the bid's approved consensus report to
"to re-approve" (``ConsensusReport.Status.TO_REAPPROVE``), in the same transaction.

Callers check the permission (``jury.review_bid`` / ``jury.administer``) first; these
functions enforce the review's own rules: the call's scale and step per criterion, complete
scores and comments on submission, no edit after submission or after the review deadline,
and a version check so that two browser tabs never overwrite each other silently.

Error contract: :class:`ValidationError` keyed ``score_<criterion id>``,
``comment_<criterion id>``, ``confidence`` (the review form uses the same names) for input
the juror can fix; ``portal.editing.Locked`` (submitted) or ``DeadlinePassed`` (the review
deadline), both ``ClosedForEdits``, when the review cannot be edited at all;
``portal.editing.StaleEdit`` when the review changed since the form was loaded.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import rules
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import transitions
from portal.editing import DeadlinePassed, Locked, StaleEdit, swap_instance_version
from portal.formats import format_paris_datetime
from portal.mail import absolute_url, send_templated_mail
from review import scoring
from review.models import (
    Assignment,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    CriterionScore,
    Review,
    ReviewReopening,
)
from review.services import audit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreInput:
    value: Decimal | None
    comment: str = ""


def scale_error(value: Decimal, *, scale: scoring.Scale) -> str | None:
    """A message the juror can act on when ``value`` is not an admissible score, else ``None``."""
    if value < scale.minimum or value > scale.maximum:
        return _("%(value)s is outside the scale: choose a score from %(min)s to %(max)s.") % {
            "value": value,
            "min": scale.minimum.normalize(),
            "max": scale.maximum.normalize(),
        }
    if not scoring.is_on_scale(value, scale=scale):
        return _("%(value)s is not on the scale: scores go by steps of %(step)s.") % {
            "value": value,
            "step": scale.step.normalize(),
        }
    return None


def score_errors(
    *,
    criteria: list[Criterion],
    scores: Mapping[int, ScoreInput],
    complete: bool,
    missing_score: str,
    missing_comment: str,
) -> dict[str, list[str]]:
    """Form errors of a set of scores (an individual review or a consensus report).

    Every given score must be on its criterion's scale; with ``complete``, every criterion
    needs a score and a comment (``missing_*`` take ``%(criterion)s``).
    """
    errors: dict[str, list[str]] = {}
    for criterion in criteria:
        entry = scores.get(criterion.pk) or ScoreInput(None, "")
        if entry.value is not None:
            scale = scoring.Scale(criterion.scale_min, criterion.scale_max, criterion.scale_step)
            message = scale_error(entry.value, scale=scale)
            if message:
                errors.setdefault(f"score_{criterion.pk}", []).append(message)
        if complete and entry.value is None:
            errors.setdefault(f"score_{criterion.pk}", []).append(
                missing_score % {"criterion": criterion.name}
            )
        if complete and not entry.comment.strip():
            errors.setdefault(f"comment_{criterion.pk}", []).append(
                missing_comment % {"criterion": criterion.name}
            )
    return errors


def write_score_rows(
    *,
    model: type[CriterionScore] | type[ConsensusScore],
    owner: dict[str, Any],
    criteria: list[Criterion],
    scores: Mapping[int, ScoreInput],
) -> None:
    """Store one row per criterion (individual or consensus scores), writing only changed ones.

    Call inside the transaction that saved ``owner`` (``{"review": …}`` or ``{"report": …}``).
    """
    existing = {row.criterion_id: row for row in model.objects.filter(**owner)}
    for criterion in criteria:
        entry = scores.get(criterion.pk) or ScoreInput(None, "")
        row = existing.get(criterion.pk) or model(criterion=criterion, **owner)
        if row.pk is not None and row.value == entry.value and row.comment == entry.comment:
            continue
        row.value = entry.value
        row.comment = entry.comment
        row.save()


def review_total(
    *, criteria: Iterable[Criterion], values: Mapping[int, Decimal | None]
) -> Decimal | None:
    """The ``Review.weighted_total`` of scores ``values`` (criterion id → score) on the grid
    ``criteria``: ``review.scoring.weighted_total``, rounded as the column stores it."""
    weights = {criterion.pk: criterion.weight for criterion in criteria}
    return Review.stored_total(scoring.weighted_total(values, weights))


def store_weighted_totals(*, reviews: QuerySet[Review]) -> int:
    """Write ``weighted_total`` of ``reviews`` from their stored scores (three queries and
    the updates, whatever the number); returns how many changed.

    For rows written without ``_write_review`` (the scale demo, fixtures); the services
    store the total with the scores they write.
    """
    rows = list(
        reviews.select_related("assignment__bid").only(
            "pk", "weighted_total", "assignment__bid__call_id"
        )
    )
    grids: dict[int, list[Criterion]] = defaultdict(list)
    for criterion in Criterion.objects.filter(
        call_id__in={review.assignment.bid.call_id for review in rows}
    ):
        grids[criterion.call_id].append(criterion)
    values: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for review_id, criterion_id, value in CriterionScore.objects.filter(
        review_id__in=[review.pk for review in rows]
    ).values_list("review_id", "criterion_id", "value"):
        values[review_id][criterion_id] = value
    changed = []
    for review in rows:
        total = review_total(
            criteria=grids[review.assignment.bid.call_id], values=values[review.pk]
        )
        if total != review.weighted_total:
            review.weighted_total = total
            changed.append(review)
    Review.objects.bulk_update(changed, ["weighted_total"], batch_size=1000)
    return len(changed)


def check_review_editable(*, assignment: Assignment, review: Review | None) -> None:
    """Raise ``ClosedForEdits`` when the juror may no longer edit this review (or
    ``EvaluationFrozen`` once the call is decided)."""
    assignment.bid.call.check_evaluation_open()
    if review is not None and review.status == Review.Status.SUBMITTED:
        raise Locked(
            _(
                "This review was submitted on %(when)s and is locked. Only an administrator "
                "can reopen it."
            )
            % {"when": format_paris_datetime(review.submitted_at) if review.submitted_at else "—"}
        )
    deadline = assignment.bid.call.review_deadline
    if deadline is not None and timezone.now() >= deadline:
        raise DeadlinePassed(
            _("The review deadline passed on %(when)s: reviews can no longer be changed.")
            % {"when": format_paris_datetime(deadline)}
        )


def _write_review(
    *,
    assignment: Assignment,
    by: User,
    scores: Mapping[int, ScoreInput],
    overall_comment: str,
    confidence: int | None,
    expected_version: int,
    submit: bool,
) -> Review:
    criteria = list(Criterion.objects.filter(call_id=assignment.bid.call_id))
    errors = score_errors(
        criteria=criteria,
        scores=scores,
        complete=submit,
        missing_score=_("Give a score for “%(criterion)s” before submitting."),
        missing_comment=_("A comment on “%(criterion)s” is required before submitting."),
    )
    if submit and confidence is None:
        errors["confidence"] = [_("State your confidence before submitting.")]
    if confidence is not None and confidence not in Review.Confidence.values:
        errors["confidence"] = [_("Choose a confidence level from the list.")]
    if submit and not criteria:
        errors["__all__"] = [_("The call has no evaluation criteria yet: it cannot be scored.")]

    with transaction.atomic():
        # Lock the assignment row: two saves of the same review are serialised.
        assignment = (
            Assignment.objects.select_for_update().select_related("bid__call").get(pk=assignment.pk)
        )
        review = Review.objects.filter(assignment=assignment).first()
        check_review_editable(assignment=assignment, review=review)
        if not swap_instance_version(review, expected=expected_version):
            raise StaleEdit(
                _(
                    "This review was saved elsewhere (another tab or window) since you opened "
                    "it. Your input is kept below: copy what you need, then reload the page."
                )
            )
        if errors:
            raise ValidationError(errors)

        review = review or Review(assignment=assignment)
        review.version = expected_version + 1
        review.overall_comment = overall_comment
        review.confidence = confidence
        # The version of the bid the juror is reading now is the one scored.
        review.bid_version = assignment.bid.versions.order_by("-number").first()
        if submit and review.bid_version is None:
            raise ValidationError(
                _("The bid has no submitted version to score yet: it cannot be reviewed.")
            )
        if submit:
            transitions.check_transition(review, Review.Status.SUBMITTED)
            review.status = Review.Status.SUBMITTED
            review.submitted_at = timezone.now()
        # The total of the scores written below (the grid is frozen: only they change it).
        review.weighted_total = review_total(
            criteria=criteria,
            values={c.pk: (scores.get(c.pk) or ScoreInput(None, "")).value for c in criteria},
        )
        review.full_clean(exclude=["bid_version"] if review.bid_version is None else None)
        review.save()

        write_score_rows(
            model=CriterionScore, owner={"review": review}, criteria=criteria, scores=scores
        )
        if submit:
            _flag_consensus_if_rescored(review=review, criteria=criteria, scores=scores)
            audit.record_review_submitted(review=review, by=by)
    logger.info(
        "review %s of assignment %s %s by user %s (version %s)",
        review.pk,
        assignment.pk,
        "submitted" if submit else "saved as draft",
        getattr(by, "pk", None),
        review.version,
    )
    return review


def _score_texts(values: Mapping[int, Decimal | None]) -> dict[str, str | None]:
    """Scores as JSON: {criterion id: "3.5" or None}, normalised so that 3.50 equals 3.5."""
    return {
        str(key): None if value is None else format(Decimal(value).normalize(), "f")
        for key, value in values.items()
    }


def _flag_consensus_if_rescored(
    *, review: Review, criteria: list[Criterion], scores: Mapping[int, ScoreInput]
) -> None:
    """A reopened review submitted again with other scores than before its reopening sends
    the bid's approved consensus report to "to re-approve": an approval is never left
    standing on scores that changed under it.

    Precondition: inside the submission's transaction, the assignment row locked.
    """
    reopening = ReviewReopening.objects.filter(review=review).order_by("-reopened_at").first()
    if reopening is None:
        return
    entries = {c.pk: (scores.get(c.pk) or ScoreInput(None, "")).value for c in criteria}
    if _score_texts(entries) == reopening.submitted_scores:
        return
    report = (
        ConsensusReport.objects.select_for_update()
        .filter(bid_id=review.assignment.bid_id, status=ConsensusReport.Status.APPROVED)
        .first()
    )
    if report is None:
        return
    transitions.check_transition(report, ConsensusReport.Status.TO_REAPPROVE)
    report.status = ConsensusReport.Status.TO_REAPPROVE
    report.version += 1
    report.save(update_fields=["status", "version", "updated_at"])
    logger.info("consensus %s to re-approve: review %s changed its scores", report.pk, review.pk)


def save_review_draft(
    *,
    assignment: Assignment,
    by: User,
    scores: Mapping[int, ScoreInput],
    overall_comment: str = "",
    confidence: int | None = None,
    expected_version: int,
) -> Review:
    """Save whatever the juror has typed; blanks allowed, scores off the scale are not."""
    return _write_review(
        assignment=assignment,
        by=by,
        scores=scores,
        overall_comment=overall_comment,
        confidence=confidence,
        expected_version=expected_version,
        submit=False,
    )


def submit_review(
    *,
    assignment: Assignment,
    by: User,
    scores: Mapping[int, ScoreInput],
    overall_comment: str = "",
    confidence: int | None = None,
    expected_version: int,
) -> Review:
    """Save and lock the review: every criterion scored and commented, confidence stated."""
    return _write_review(
        assignment=assignment,
        by=by,
        scores=scores,
        overall_comment=overall_comment,
        confidence=confidence,
        expected_version=expected_version,
        submit=True,
    )


def reopen_review(*, review: Review, by: User, reason: str) -> ReviewReopening:
    """An administrator unlocks a submitted review for its juror; the reason is recorded.

    The review deadline still applies: reopening after it does not let the juror edit.
    """
    review.assignment.bid.call.check_evaluation_open()
    if not rules.has_perm("jury.administer", by):
        raise PermissionDenied(_("Only an administrator can reopen a review."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for reopening this review.")})
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        transitions.check_transition(
            review,
            Review.Status.DRAFT,
            refused=_("Only a submitted review can be reopened; this one is still a draft."),
        )
        review.status = Review.Status.DRAFT
        review.submitted_at = None
        review.version += 1
        review.full_clean()
        review.save()
        submitted = dict(
            CriterionScore.objects.filter(review=review).values_list("criterion_id", "value")
        )
        reopening = ReviewReopening(
            review=review,
            reason=reason,
            reopened_by=by,
            submitted_scores=_score_texts(submitted),
        )
        reopening.full_clean()
        reopening.save()
        audit.record_review_reopened(reopening=reopening, by=by)
        _mail_reopened(review=review, reason=reason)
    logger.info("review %s reopened by user %s: %s", review.pk, by.pk, reason)
    return reopening


def _mail_reopened(*, review: Review, reason: str) -> None:
    """Tell the juror their review is open again, and why (sent when the reopening commits)."""
    assignment = Assignment.objects.select_related("juror__user", "bid__call").get(
        pk=review.assignment_id
    )
    bid = assignment.bid
    send_templated_mail(
        template="review/reviews/reopened",
        to=assignment.juror.user.email,
        context={
            "name": assignment.juror.display_name,
            "acronym": bid.acronym,
            "title": bid.title,
            "call_title": bid.call.title_en,
            "reason": reason,
            "review_deadline": bid.call.review_deadline,
            "review_url": absolute_url(reverse("review:review_form", args=[bid.public_id])),
        },
        language="en",  # the jury works in English
    )
