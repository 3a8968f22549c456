"""Template helpers for the bid pages: Paris times with the zone named, euro amounts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from applications.models import Call

register = template.Library()

PARIS = ZoneInfo("Europe/Paris")
COUNTDOWN_WINDOW = timedelta(days=7)


def format_paris(value: datetime | None) -> str:
    """``30 June 2026, 23:59 CEST (Europe/Paris)``: the zone is always named."""
    if value is None:
        return ""
    local = timezone.localtime(value, PARIS)
    return f"{date_format(local, 'j F Y, H:i T')} (Europe/Paris)"


def format_paris_time(value: datetime) -> str:
    """``23:59`` in Europe/Paris (the autosave status line)."""
    return timezone.localtime(value, PARIS).strftime("%H:%M")


@register.filter
def paris(value: datetime | None) -> str:
    return format_paris(value)


@register.filter
def paris_seconds(value: datetime | None) -> str:
    """Like ``paris`` with seconds, for receipts and submission times."""
    if value is None:
        return ""
    local = timezone.localtime(value, PARIS)
    return f"{date_format(local, 'j F Y, H:i:s T')} (Europe/Paris)"


@register.filter
def euros(value: int | None) -> str:
    """``12 500 000 €`` with narrow no-break spaces, from an integer number of euros."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}".replace(",", "\u202f") + "\u00a0€"


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
