"""Template helpers for the bid pages (money and times are ``portal_formats`` filters)."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

register = template.Library()

COUNTDOWN_WINDOW = timedelta(days=7)


@register.filter
def countdown_due(value: datetime | None) -> bool:
    """True in the last seven days before ``value`` (pages then show a ticking countdown)."""
    if value is None:
        return False
    now = timezone.now()
    return now < value <= now + COUNTDOWN_WINDOW
