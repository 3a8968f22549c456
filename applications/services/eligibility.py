"""Eligibility screening by programme administrators, after the call has closed.

A decision may be changed (by an administrator) while the call is closed or under review;
each decision records who took it and when, and django-auditlog keeps the history.
"""

import logging

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Bid, Call

logger = logging.getLogger(__name__)

SCREENING_STATUSES = frozenset({Call.Status.CLOSED, Call.Status.UNDER_REVIEW})


def check_screening_open(*, call: Call, at=None) -> None:
    """Raise ``ValidationError`` unless bids of ``call`` may be screened now."""
    call.check_evaluation_open()
    if call.status not in SCREENING_STATUSES or not call.deadline_passed(at=at):
        raise ValidationError(
            _(
                "Eligibility is screened after the call has closed, while it is closed or under "
                "review (this call is “%(status)s”)."
            )
            % {"status": call.get_status_display()}
        )


def screen_bid(*, bid: Bid, eligible: bool, reason: str, by: User) -> Bid:
    """Record the eligibility decision on a submitted bid.

    A reason is required when the bid is ineligible (the institution reads it); it is
    optional otherwise.
    """
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise ValidationError({"reason": _("Give the reason why the bid is ineligible.")})
    with transaction.atomic():
        locked = Bid.objects.select_for_update().select_related("call").get(pk=bid.pk)
        check_screening_open(call=locked.call)
        if locked.status != Bid.Status.SUBMITTED:
            raise ValidationError(
                _("Only submitted bids are screened; this bid is “%(status)s”.")
                % {"status": locked.get_status_display()}
            )
        locked.eligibility = Bid.Eligibility.ELIGIBLE if eligible else Bid.Eligibility.INELIGIBLE
        locked.eligibility_reason = reason
        locked.eligibility_decided_at = timezone.now()
        locked.eligibility_decided_by = by
        locked.save(
            update_fields=[
                "eligibility",
                "eligibility_reason",
                "eligibility_decided_at",
                "eligibility_decided_by",
            ]
        )
    logger.info(
        "Bid %s screened %s by user %s", locked.pk, locked.eligibility, getattr(by, "pk", None)
    )
    return locked
