"""When the reminders to jurors go: the one schedule, read by the hourly run
(``review.services.reminders``) and by the administrators' reminders page
(``review.queries.reminders``). No database.

Windows, in Europe/Paris time, for a call whose review deadline is ``D``:
- ``days_before_3``: from ``D − 3 days`` until the start of D's calendar day;
- ``deadline_day``: from the start of D's calendar day until ``D``.
Each is sent once per juror and call, at the first hourly run inside its window.
"""

from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from portal.formats import paris_localtime

DAYS_BEFORE = 3
KIND_DAYS_BEFORE = f"days_before_{DAYS_BEFORE}"
KIND_DEADLINE_DAY = "deadline_day"
KIND_MANUAL = "manual"  # sent now by an administrator; outside the schedule


def reminder_windows(*, deadline: datetime) -> list[tuple[str, datetime, datetime]]:
    """(kind, start, end) of each scheduled reminder, in order; ``end`` excluded."""
    start_of_day = paris_localtime(deadline).replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        (KIND_DAYS_BEFORE, deadline - timedelta(days=DAYS_BEFORE), start_of_day),
        (KIND_DEADLINE_DAY, start_of_day, deadline),
    ]


def reminder_kind(*, deadline: datetime, now: datetime) -> str | None:
    """Which reminder is due at ``now`` for a deadline, if any."""
    for kind, start, end in reminder_windows(deadline=deadline):
        if start <= now < end:
            return kind
    return None


def next_reminder(
    *, deadline: datetime, now: datetime, sent: set[str]
) -> tuple[str, datetime] | None:
    """The next scheduled reminder not ``sent`` yet, and the moment from which it goes
    (``now`` when its window is open), or None when none is left."""
    for kind, start, end in reminder_windows(deadline=deadline):
        if kind in sent or now >= end or start >= end:
            continue
        return kind, max(start, now)
    return None


def kind_label(kind: str) -> str:
    """A reminder's kind in the reader's language (unknown kinds as stored)."""
    if kind == KIND_DAYS_BEFORE:
        return _("%(days)s days before the deadline") % {"days": DAYS_BEFORE}
    if kind == KIND_DEADLINE_DAY:
        return _("on the deadline day")
    if kind == KIND_MANUAL:
        return _("sent by an administrator")
    return kind
