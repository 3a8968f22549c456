"""Template filters over ``portal.formats``: ``{% load portal_formats %}``."""

from datetime import datetime
from decimal import Decimal

from django import template

from portal import formats
from portal.users import display_name

register = template.Library()


@register.filter
def euros(value: int | Decimal | float | None) -> str:
    return formats.format_euros(value)


@register.filter
def paris(value: datetime | None) -> str:
    return formats.format_paris_datetime(value)


@register.filter
def paris_seconds(value: datetime | None) -> str:
    return formats.format_paris_datetime(value, seconds=True)


@register.filter
def paris_date(value: datetime | None) -> str:
    return formats.format_paris_date(value)


@register.filter
def paris_time(value: datetime | None) -> str:
    return formats.format_paris_time(value, seconds=True)


@register.filter
def score(value: int | Decimal | float | None, places: int = 2) -> str:
    """``{{ value|score }}`` (two decimals) or ``{{ value|score:1 }}``; ``—`` for none."""
    return formats.format_score(value, places=int(places))


@register.filter
def percent(value: float | Decimal | None) -> str:
    """``{{ ratio|percent }}``: ``99,99 %`` / ``99.99%`` (see ``format_percent``)."""
    return formats.format_percent(value)


@register.filter
def percent_class(value: int | float | Decimal | None) -> str:
    """``class="progress-bar {{ value|percent_class }}"``: the ``pct-N`` class of
    ``static/css/portal.css`` that sets the width, N clamped to 0–100 (a strict CSP forbids
    ``style`` attributes)."""
    try:
        number = round(float(value or 0))
    except (TypeError, ValueError):
        number = 0
    return f"pct-{min(100, max(0, number))}"


@register.filter
def person(user) -> str:
    """``{{ member.user|person }}``: first and last name, or the e-mail address when blank."""
    return display_name(user) if user is not None else ""
