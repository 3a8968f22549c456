"""Reminders and messages to jurors.

Scheduled reminders (``review.reminder_schedule``): three days before the review deadline,
and on the day, to jurors with unfinished reviews (``review.queries.reminders``). Run
periodically (Celery beat, hourly). Each e-mail sent is recorded as a ``ReminderEmail``,
unique per juror, call and kind, so running again (or twice at once) never sends it twice.

An administrator may also send a reminder now (:func:`send_reminder_now`, kind ``manual``,
any number of times) and e-mail the jury of a call (:func:`message_jurors`, recorded as a
``JuryMessage``). Both refuse once the call is decided (``Call.check_evaluation_open``), and
raise ``ValidationError`` when nobody would receive anything.
"""

import logging
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Call
from portal.mail import absolute_url, send_templated_mail
from review.models import Assignment, JurorProfile, JuryMessage, ReminderEmail
from review.queries.reminders import jurors_to_message, unfinished_by_juror
from review.reminder_schedule import (
    DAYS_BEFORE,
    KIND_DAYS_BEFORE,
    KIND_DEADLINE_DAY,
    KIND_MANUAL,
    reminder_kind,
)

__all__ = [
    "DAYS_BEFORE",
    "KIND_DAYS_BEFORE",
    "KIND_DEADLINE_DAY",
    "KIND_MANUAL",
    "message_jurors",
    "reminder_kind",
    "send_reminder_now",
    "send_review_reminders",
]

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = JuryMessage._meta.get_field("subject").max_length


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
        unfinished = unfinished_by_juror(call=call)
        already = set(
            ReminderEmail.objects.filter(call=call, kind=kind).values_list("juror_id", flat=True)
        )
        for juror_id in sorted(set(unfinished) - already):
            assignments = unfinished[juror_id]
            if _send_one(call=call, juror=assignments[0].juror, kind=kind, assignments=assignments):
                sent += 1
    return sent


def _send_one(
    *,
    call: Call,
    juror: JurorProfile,
    kind: str,
    assignments: list[Assignment],
    by: User | None = None,
) -> bool:
    """Record, and queue the e-mail on commit, in one transaction: if the record exists (a
    concurrent run), nothing is queued. A mail-server outage is retried by the mail task."""
    try:
        with transaction.atomic():
            ReminderEmail.objects.create(
                juror=juror,
                call=call,
                kind=kind,
                unfinished_reviews=len(assignments),
                sent_by=by,
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
                    "manual": kind == KIND_MANUAL,
                    "dashboard_url": absolute_url(reverse("review:juror_dashboard")),
                },
                language="en",  # the jury works in English
            )
    except IntegrityError:
        return False
    logger.info("reminder %s for call %s queued for juror %s", kind, call.pk, juror.pk)
    return True


def send_reminder_now(*, call: Call, by: User, juror: JurorProfile | None = None) -> int:
    """Remind ``juror`` (or every juror with unfinished reviews) of their unfinished reviews
    now, whatever the schedule; return how many e-mails were queued (after commit).

    The scheduled reminders still go: a reminder sent now is recorded as ``manual``.
    """
    call.check_evaluation_open()
    if call.review_deadline is None:
        raise ValidationError(_("Set the call's review deadline first: the reminder states it."))
    unfinished = unfinished_by_juror(call=call)
    if juror is not None:
        if juror.pk not in unfinished:
            raise ValidationError(
                _("%(juror)s has no unfinished review on this call.")
                % {"juror": juror.display_name}
            )
        unfinished = {juror.pk: unfinished[juror.pk]}
    if not unfinished:
        raise ValidationError(_("No juror of this call has an unfinished review."))
    with transaction.atomic():
        for assignments in unfinished.values():
            _send_one(
                call=call,
                juror=assignments[0].juror,
                kind=KIND_MANUAL,
                assignments=assignments,
                by=by,
            )
    logger.info("User %s sent %s reminders now on call %s", by.pk, len(unfinished), call.pk)
    return len(unfinished)


def message_jurors(*, call: Call, audience: str, subject: str, body: str, by: User) -> JuryMessage:
    """E-mail ``subject`` and ``body`` to every juror of the call (``audience`` "all") or to
    those with unfinished reviews ("unfinished"), one e-mail each (after commit), and record
    the message."""
    call.check_evaluation_open()
    subject = " ".join(subject.split())
    body = body.replace("\r\n", "\n").strip()
    errors = {}
    if audience not in JuryMessage.Audience.values:
        errors["audience"] = _("Choose who receives the message.")
    if not subject:
        errors["subject"] = _("Write a subject.")
    elif SUBJECT_MAX_LENGTH and len(subject) > SUBJECT_MAX_LENGTH:
        errors["subject"] = _("Keep the subject under %(count)s characters.") % {
            "count": SUBJECT_MAX_LENGTH
        }
    if not body:
        errors["body"] = _("Write the message.")
    if errors:
        raise ValidationError(errors)
    jurors = jurors_to_message(
        call=call, unfinished_only=audience == JuryMessage.Audience.UNFINISHED
    )
    if not jurors:
        raise ValidationError(
            _("No juror of this call has an unfinished review: nobody would receive it.")
            if audience == JuryMessage.Audience.UNFINISHED
            else _("This call has no juror yet: nobody would receive it.")
        )
    with transaction.atomic():
        message = JuryMessage.objects.create(
            call=call,
            audience=audience,
            subject=subject,
            body=body,
            sent_by=by,
            recipients=len(jurors),
        )
        dashboard_url = absolute_url(reverse("review:juror_dashboard"))
        for juror in jurors:
            send_templated_mail(
                template="review/reminders/message",
                to=juror.user.email,
                context={
                    "subject": subject,
                    "body": body,
                    "name": juror.display_name,
                    "call": {"title_en": call.title_en},
                    "dashboard_url": dashboard_url,
                },
                language="en",  # the jury works in English
            )
    logger.info("User %s e-mailed %s jurors of call %s (%s)", by.pk, len(jurors), call.pk, audience)
    return message
