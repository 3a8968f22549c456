"""The jury's panel meeting: adjusting an approved consensus score, keeping the minutes.

- The panel may change an approved consensus score, on the criterion's scale, with a
  written reason. The adjustment is a new row beside the consensus (which never changes);
  the latest adjustment of a criterion is the panel's score, and a ranking run on the
  consensus basis uses it.
- The minutes of each bid are one text, saved with a version check so that two
  administrators never overwrite each other silently.

Callers check ``jury.administer`` first.
"""

import logging
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applications.models import Bid
from portal.editing import StaleEdit
from review import scoring
from review.models import ConsensusReport, ConsensusScore, Criterion, PanelAdjustment, PanelNote
from review.services import audit
from review.services.reviews import scale_error

logger = logging.getLogger(__name__)


def adjust_consensus_score(
    *, report: ConsensusReport, criterion: Criterion, value: Decimal, reason: str, by: User
) -> PanelAdjustment:
    """Record the panel's score for one criterion of an approved consensus report."""
    report.bid.call.check_evaluation_open()
    errors: dict[str, str] = {}
    if criterion.call_id != report.bid.call_id:
        errors["criterion"] = _("This criterion is not in the call's grid.")
    else:
        scale = scoring.Scale(criterion.scale_min, criterion.scale_max, criterion.scale_step)
        problem = scale_error(value, scale=scale)
        if problem:
            errors["value"] = problem
    if not reason.strip():
        errors["reason"] = _("Give the panel's reason for changing the consensus score.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = ConsensusReport.objects.select_for_update().get(pk=report.pk)
        if locked.status != ConsensusReport.Status.APPROVED:
            raise ValidationError(_("Only an approved consensus report can be adjusted."))
        previous = (
            PanelAdjustment.objects.filter(report=locked, criterion=criterion)
            .order_by("-adjusted_at", "-pk")
            .first()
        )
        original: Decimal | None
        if previous is not None:
            original = previous.value
        else:
            score = ConsensusScore.objects.filter(report=locked, criterion=criterion).first()
            original = score.value if score else None
        if original == value:
            raise ValidationError({"value": _("This is already the consensus score.")})
        adjustment = PanelAdjustment.objects.create(
            report=locked,
            criterion=criterion,
            original_value=original,
            value=value,
            reason=reason.strip(),
            adjusted_by=by,
        )
        audit.record_consensus_adjusted(adjustment=adjustment, by=by)
    logger.info(
        "Panel adjusted %s of bid %s from %s to %s (user %s)",
        criterion.code,
        report.bid_id,
        original,
        value,
        by.pk,
    )
    return adjustment


def save_minutes(*, bid: Bid, text: str, expected_version: int, by: User) -> PanelNote:
    """Save the minutes on ``bid`` if nobody saved since ``expected_version`` (0: none yet)."""
    bid.call.check_evaluation_open()
    with transaction.atomic():
        note, _created = PanelNote.objects.select_for_update().get_or_create(bid=bid)
        if note.version != expected_version:
            raise StaleEdit(
                _(
                    "Someone else saved these minutes after you opened the page: your text "
                    "is kept below, beside theirs."
                ),
                saved_at=note.updated_at,
                version=note.version,
            )
        note.text = text
        note.version += 1
        note.updated_by = by
        note.save()
    return note
