"""Template helpers for the bid pages (money and times are ``portal_formats`` filters)."""

from datetime import timedelta

from django import template
from django.utils import timezone

from applications.models import Call

register = template.Library()

COUNTDOWN_WINDOW = timedelta(days=7)


@register.filter
def countdown_seconds(call: Call) -> int | None:
    """Seconds left for the countdown script, or None when the page shows no countdown.

    A countdown ticks in the last seven days of a call that accepts submissions
    (``Call.is_accepting_submissions``); the script is given the seconds left on the server's
    clock (``Call.seconds_left``), so it neither reads the visitor's clock nor restates the rule.
    """
    now = timezone.now()
    if not call.is_accepting_submissions(at=now):
        return None
    left = call.seconds_left(at=now)
    return left if left <= COUNTDOWN_WINDOW.total_seconds() else None
