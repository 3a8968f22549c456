"""Reminders to coordinators before a call's deadline, for bids not (fully) submitted.

Run hourly by Celery beat (``applications.tasks.task_send_deadline_reminders``). The
thresholds are ``settings.DEADLINE_REMINDER_DAYS`` (days before ``Call.closes_at``; default
3 and 1). A bid is reminded when its call accepts submissions and:

- it was never submitted (``draft``: reason ``not_submitted``), or
- it is submitted but its working copy differs from its latest version (reason ``changes``,
  ``submission.has_unsubmitted_changes``): the jury would read the older text.

Withdrawn bids are not reminded. At each run the one threshold due for a bid is the smallest
whose moment has come (:func:`due_threshold`): a portal that was down across two thresholds
sends one reminder, the most urgent, not two at once. Each reminder sent is a
``DeadlineReminder`` row, unique per bid and threshold, written in the transaction that
queues the e-mails: running again, or twice at once, never sends it twice. Every coordinator
of the lead institution receives it, in the institution's language.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from applications import queries
from applications.models import Bid, DeadlineReminder, Membership
from applications.services.submission import has_unsubmitted_changes
from portal.mail import absolute_url, send_templated_mail

logger = logging.getLogger(__name__)


def reminder_days() -> list[int]:
    """The thresholds in days, largest first, each once (``DEADLINE_REMINDER_DAYS``)."""
    return sorted({int(d) for d in settings.DEADLINE_REMINDER_DAYS if int(d) > 0}, reverse=True)


def due_threshold(*, closes_at: datetime, now: datetime, days: Iterable[int]) -> int | None:
    """The smallest threshold ``d`` with ``closes_at - d days <= now < closes_at``, or None."""
    if now >= closes_at:
        return None
    due = [d for d in days if closes_at - timedelta(days=d) <= now]
    return min(due) if due else None


def reminder_reason(*, bid: Bid) -> str | None:
    """Why ``bid`` needs a reminder (a ``DeadlineReminder.Reason``), or None."""
    if bid.status == Bid.Status.DRAFT:
        return DeadlineReminder.Reason.NOT_SUBMITTED
    if bid.status == Bid.Status.SUBMITTED and has_unsubmitted_changes(
        bid=bid, version=bid.latest_version
    ):
        return DeadlineReminder.Reason.CHANGES
    return None


def send_deadline_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminders due at ``now``; return how many bids were reminded."""
    now = now or timezone.now()
    days = reminder_days()
    if not days:
        return 0
    bids = list(queries.bids_near_their_deadline(now=now, horizon=timedelta(days=days[0])))
    sent_before = queries.reminded_thresholds(bids=bids)
    reminded = 0
    for bid in bids:
        threshold = due_threshold(closes_at=bid.call.closes_at, now=now, days=days)
        if threshold is None or (bid.pk, threshold) in sent_before:
            continue
        reason = reminder_reason(bid=bid)
        if reason is not None and _remind(bid=bid, days_before=threshold, reason=reason):
            reminded += 1
    return reminded


def _remind(*, bid: Bid, days_before: int, reason: str) -> bool:
    """Record the reminder and queue its e-mails in one transaction; False if a concurrent
    run recorded it first (then nothing is queued)."""
    emails = queries.member_emails(
        institution_id=bid.lead_institution_id, roles=[Membership.Role.COORDINATOR]
    )
    language = bid.lead_institution.language
    with translation.override(language):
        call_title = bid.call.title
    context = {
        "bid": {"acronym": bid.acronym, "title": bid.title},
        "call": {"title": call_title, "closes_at": bid.call.closes_at},
        "reason": reason,
        "days_before": days_before,
        "url": absolute_url(reverse("applications:bid_detail", args=[bid.public_id])),
    }
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(
                bid=bid, days_before=days_before, reason=reason, recipients=len(emails)
            )
            for email in emails:
                send_templated_mail(
                    template="applications/bids/deadline_reminder",
                    to=email,
                    context=context,
                    language=language,
                )
    except IntegrityError:
        return False
    logger.info(
        "Bid %s: deadline reminder (%s days, %s) to %s coordinators",
        bid.pk,
        days_before,
        reason,
        len(emails),
    )
    return True
