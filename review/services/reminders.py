"""Reminders to jurors with unfinished reviews: three days before the deadline, and on the day.

Run periodically (Celery beat, hourly). Each e-mail sent is recorded as a ``ReminderEmail``,
unique per juror, call and kind, so running again (or twice at once) never sends it twice.

Windows, in Europe/Paris time, for a call whose review deadline is ``D``:
- ``days_before_3``: from ``D − 3 days`` until the start of D's calendar day;
- ``deadline_day``: from the start of D's calendar day until ``D``.
A juror's review is unfinished when it is missing or still a draft (conflicted assignments
do not count).
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from applications.models import Call
from portal.formats import paris_localtime
from portal.mail import absolute_url, send_templated_mail
from review.models import Assignment, JurorProfile, ReminderEmail, Review

logger = logging.getLogger(__name__)

DAYS_BEFORE = 3
KIND_DAYS_BEFORE = f"days_before_{DAYS_BEFORE}"
KIND_DEADLINE_DAY = "deadline_day"


def reminder_kind(*, deadline: datetime, now: datetime) -> str | None:
    """Which reminder is due at ``now`` for a deadline, if any."""
    if now >= deadline:
        return None
    start_of_day = paris_localtime(deadline).replace(hour=0, minute=0, second=0, microsecond=0)
    if now >= start_of_day:
        return KIND_DEADLINE_DAY
    if now >= deadline - timedelta(days=DAYS_BEFORE):
        return KIND_DAYS_BEFORE
    return None


def _unfinished_by_juror(call: Call) -> dict[int, list[Assignment]]:
    rows = (
        Assignment.objects.active()
        .filter(bid__call=call)
        .filter(Q(review__isnull=True) | Q(review__status=Review.Status.DRAFT))
        .select_related("bid")
        .order_by("bid__acronym")
    )
    result: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in rows:
        result[assignment.juror_id].append(assignment)
    return result


def send_review_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminders due now; return how many e-mails were queued."""
    now = now or timezone.now()
    window_start = now
    window_end = now + timedelta(days=DAYS_BEFORE)
    # A decided call's evaluation is frozen: nobody is asked to review any more.
    calls = (
        Call.objects.evaluation_open()
        .filter(review_deadline__gt=window_start, review_deadline__lte=window_end)
        .order_by("review_deadline")
    )
    sent = 0
    for call in calls:
        assert call.review_deadline is not None  # filtered above
        kind = reminder_kind(deadline=call.review_deadline, now=now)
        if kind is None:
            continue
        unfinished = _unfinished_by_juror(call)
        already = set(
            ReminderEmail.objects.filter(call=call, kind=kind).values_list("juror_id", flat=True)
        )
        jurors = JurorProfile.objects.filter(pk__in=set(unfinished) - already).select_related(
            "user"
        )
        for juror in jurors:
            if _send_one(call=call, juror=juror, kind=kind, assignments=unfinished[juror.pk]):
                sent += 1
    return sent


def _send_one(*, call: Call, juror: JurorProfile, kind: str, assignments: list[Assignment]) -> bool:
    """Record, and queue the e-mail on commit, in one transaction: if the record exists (a
    concurrent run), nothing is queued. A mail-server outage is retried by the mail task."""
    try:
        with transaction.atomic():
            ReminderEmail.objects.create(
                juror=juror, call=call, kind=kind, unfinished_reviews=len(assignments)
            )
            send_templated_mail(
                template="review/reviews/reminder",
                to=juror.user.email,
                context={
                    "call": {"title": call.title_en, "review_deadline": call.review_deadline},
                    "name": juror.display_name,
                    "assignments": [
                        {"acronym": a.bid.acronym, "title": a.bid.title} for a in assignments
                    ],
                    "deadline_day": kind == KIND_DEADLINE_DAY,
                    "dashboard_url": absolute_url(reverse("review:juror_dashboard")),
                },
                language="en",  # the jury works in English
            )
    except IntegrityError:
        return False
    logger.info("reminder %s for call %s queued for juror %s", kind, call.pk, juror.pk)
    return True
