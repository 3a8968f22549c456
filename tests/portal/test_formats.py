"""portal.formats: euros and Paris times, in both languages."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from portal.formats import (
    format_euros,
    format_paris_date,
    format_paris_datetime,
    format_paris_time,
    format_percent,
    format_utc_datetime,
)

NBSP = "\u00a0"
SUMMER = datetime(2026, 6, 30, 21, 59, 30, tzinfo=UTC)  # 23:59:30 CEST in Paris
WINTER = datetime(2026, 1, 15, 22, 59, tzinfo=UTC)  # 23:59 CET in Paris


@pytest.mark.parametrize(
    ("amount", "french", "english"),
    [
        (40_000_000, f"40{NBSP}000{NBSP}000{NBSP}€", "€40,000,000"),
        (0, f"0{NBSP}€", "€0"),
        (999, f"999{NBSP}€", "€999"),
        (10**12, f"1{NBSP}000{NBSP}000{NBSP}000{NBSP}000{NBSP}€", "€1,000,000,000,000"),
        (Decimal("1500000"), f"1{NBSP}500{NBSP}000{NBSP}€", "€1,500,000"),
        (Decimal("1499.50"), f"1{NBSP}500{NBSP}€", "€1,500"),
        (-2500, f"-2{NBSP}500{NBSP}€", "-€2,500"),
    ],
)
def test_format_euros_in_french_and_english(amount, french, english):
    assert (format_euros(amount, language="fr"), format_euros(amount, language="en")) == (
        french,
        english,
    )


@pytest.mark.parametrize("amount", [None, ""])
def test_format_euros_of_no_amount_is_empty(amount):
    assert format_euros(amount) == ""


def test_format_euros_follows_the_active_language():
    with translation.override("fr"):
        assert format_euros(12_500_000) == f"12{NBSP}500{NBSP}000{NBSP}€"


def test_format_paris_datetime_names_the_zone_in_summer_and_winter():
    assert (format_paris_datetime(SUMMER), format_paris_datetime(WINTER)) == (
        "30 June 2026, 23:59 CEST (Europe/Paris)",
        "15 January 2026, 23:59 CET (Europe/Paris)",
    )


def test_format_paris_datetime_in_french_with_seconds():
    assert format_paris_datetime(SUMMER, seconds=True, language="fr") == (
        "30 juin 2026, 23:59:30 CEST (Europe/Paris)"
    )


def test_format_paris_datetime_of_none_is_empty():
    assert (format_paris_datetime(None), format_paris_date(None), format_paris_time(None)) == (
        "",
        "",
        "",
    )


def test_format_paris_date_is_the_paris_calendar_day():
    late_evening_utc = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # 1 July in Paris

    assert format_paris_date(late_evening_utc, language="fr") == "1 juillet 2026"


def test_format_paris_time_and_utc_datetime():
    assert (
        format_paris_time(SUMMER),
        format_paris_time(SUMMER, seconds=True),
        format_utc_datetime(SUMMER),
    ) == ("23:59", "23:59:30", "2026-06-30 21:59:30 UTC")


def test_template_filters_use_the_same_functions():
    template = Template(
        "{% load portal_formats %}{{ amount|euros }} · {{ at|paris }} · {{ at|paris_seconds }}"
        " · {{ at|paris_date }} · {{ at|paris_time }}"
    )

    with translation.override("fr"):
        text = template.render(Context({"amount": 40_000_000, "at": SUMMER}))

    assert text == (
        f"40{NBSP}000{NBSP}000{NBSP}€ · 30 juin 2026, 23:59 CEST (Europe/Paris)"
        " · 30 juin 2026, 23:59:30 CEST (Europe/Paris) · 30 juin 2026 · 23:59:30"
    )


@pytest.mark.parametrize(
    ("ratio", "language", "expected"),
    [
        (0.99996, "en", "99.99%"),
        (0.99996, "fr", "99,99\u00a0%"),
        (1.0, "en", "100.00%"),
        (0.5, "fr", "50,00\u00a0%"),
        (None, "en", "—"),
    ],
)
def test_format_percent_rounds_down_and_follows_the_language(ratio, language, expected):
    assert format_percent(ratio, language=language) == expected


def test_format_bytes_is_exact_and_grouped_by_language():
    from portal.formats import format_bytes

    assert format_bytes(7460, language="en") == "7,460 bytes"
    assert format_bytes(1, language="en") == "1 byte"
    assert format_bytes(2_516_582, language="fr").startswith("2\u00a0516\u00a0582 ")
