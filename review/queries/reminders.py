"""Reads for reminding jurors: who has unfinished reviews, and the administrators' reminders
page (reminders sent, reminders due, messages sent to the jury).

A juror's review is unfinished when it is missing or still a draft, on an active assignment
(``Assignment.objects.active()``: a conflict removes the bid from their list).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from applications.models import Call
from review.models import Assignment, JurorProfile, JuryMessage, ReminderEmail, Review
from review.reminder_schedule import kind_label, next_reminder


def unfinished_by_juror(*, call: Call) -> dict[int, list[Assignment]]:
    """Juror id → their active assignments of the call whose review is not submitted, by
    acronym, with ``bid`` and ``juror`` loaded (one query)."""
    rows = (
        Assignment.objects.active()
        .filter(bid__call=call)
        .filter(Q(review__isnull=True) | Q(review__status=Review.Status.DRAFT))
        .select_related("bid", "juror__user")
        .order_by("bid__acronym")
    )
    result: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in rows:
        result[assignment.juror_id].append(assignment)
    return result


def jurors_to_message(*, call: Call, unfinished_only: bool) -> list[JurorProfile]:
    """The jurors of the call (or only those with unfinished reviews), by name, with their
    user (one or two queries)."""
    jurors = JurorProfile.objects.filter(calls=call).select_related("user")
    if unfinished_only:
        jurors = jurors.filter(pk__in=list(unfinished_by_juror(call=call)))
    return list(jurors.order_by("display_name", "pk"))


@dataclass
class DueReminder:
    juror: JurorProfile
    unfinished: int
    kind: str | None  # None: no scheduled reminder left (or the evaluation is frozen)
    at: datetime | None

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind) if self.kind else ""


@dataclass
class RemindersPage:
    sent: list[ReminderEmail]
    due: list[DueReminder]
    messages: list[JuryMessage]


def reminders_page(*, call: Call, now: datetime | None = None) -> RemindersPage:
    """Everything the reminders page shows, in three queries whatever the size of the jury.

    ``due`` has a row per juror with unfinished reviews: the next scheduled reminder and
    the moment from which the hourly run sends it (none once the call is decided, or
    without a review deadline).
    """
    now = now or timezone.now()
    sent = list(
        ReminderEmail.objects.filter(call=call)
        .select_related("juror", "sent_by")
        .order_by("-sent_at", "-pk")
    )
    sent_kinds: dict[int, set[str]] = defaultdict(set)
    for reminder in sent:
        sent_kinds[reminder.juror_id].add(reminder.kind)
    due = []
    for assignments in unfinished_by_juror(call=call).values():
        juror = assignments[0].juror
        upcoming = (
            next_reminder(deadline=call.review_deadline, now=now, sent=sent_kinds[juror.pk])
            if call.review_deadline is not None and not call.evaluation_frozen
            else None
        )
        due.append(
            DueReminder(
                juror=juror,
                unfinished=len(assignments),
                kind=upcoming[0] if upcoming else None,
                at=upcoming[1] if upcoming else None,
            )
        )
    due.sort(key=lambda row: (row.juror.display_name, row.juror.pk))
    messages = list(JuryMessage.objects.filter(call=call).select_related("sent_by"))
    return RemindersPage(sent=sent, due=due, messages=messages)
