"""Money and times, formatted once for every output: pages, e-mails, exports and the receipt PDF.

Services, views, exports and the receipt call these functions; templates reach them through
the ``portal_formats`` filters (``|euros``, ``|paris``, ``|paris_seconds``, ``|paris_date``,
``|paris_time``). Nothing else formats money or Paris time.

- **Euros** are whole euros (the models store integers; a ``Decimal`` or ``float`` is rounded
  half up to the euro), grouped by thousands the way Django's localisation groups numbers in
  the language: French ``40 000 000 €`` (no-break spaces, U+00A0, between the groups and
  before the sign; the PDFs' embedded DejaVu font has that character), English
  ``€40,000,000``. Spreadsheet exports keep raw integers: these functions are for text.
- **Sizes** of files are exact byte counts, grouped the same way, with the unit in words:
  French ``7 460 octets``, English ``7,460 bytes``. Exact rather than rounded to kB or MB: a
  receipt states what was received, and the count matches what any file manager shows.
- **Times** are stored in UTC and shown in Europe/Paris (the ``TIME_ZONE`` setting) with the
  zone named, month names in the language, through ``django.utils.formats``:
  ``30 June 2026, 23:59 CEST (Europe/Paris)``. A bare clock time (``23:59``) is only for a
  message whose text names the zone itself.

``language`` (a code such as ``"fr"``) formats for someone other than the current request,
e.g. an e-mail rendered by a worker; ``None`` means the active language.
"""

from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils import formats, timezone, translation
from django.utils.translation import ngettext

PARIS = ZoneInfo("Europe/Paris")
_DATETIME = "j F Y, H:i"
_DATE = "j F Y"


def _in(language: str | None) -> AbstractContextManager[object]:
    return nullcontext() if language is None else translation.override(language)


def format_euros(amount: int | Decimal | float | None, *, language: str | None = None) -> str:
    """``40 000 000 €`` in French, ``€40,000,000`` in English; ``""`` for no amount."""
    if amount is None or amount == "":
        return ""
    whole = int(Decimal(str(amount)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sign = "-" if whole < 0 else ""
    digits = format_amount(abs(whole), language=language)
    with _in(language):
        french = (translation.get_language() or "").startswith("fr")
    return f"{sign}{digits}\u00a0€" if french else f"{sign}€{digits}"


def format_bytes(size: int, *, language: str | None = None) -> str:
    """``7 460 octets`` in French, ``7,460 bytes`` in English (exact, grouped)."""
    with _in(language):
        digits = formats.number_format(size, 0, use_l10n=True, force_grouping=True)
        return ngettext("%(size)s byte", "%(size)s bytes", size) % {"size": digits}


def format_amount(amount: int | None, *, language: str | None = None) -> str:
    """``2 500 000`` in French, ``2,500,000`` in English: whole euros grouped, without the sign
    (what an input cell shows; ``applications.forms.bids.EuroAmountField`` reads it back)."""
    if amount is None:
        return ""
    with _in(language):
        return formats.number_format(int(amount), 0, use_l10n=True, force_grouping=True)


def euro_script_formats(*, language: str | None = None) -> dict[str, str]:
    """What a script needs to show euros as :func:`format_euros` does, without a second copy
    of the rule: the thousands separator and the template of an amount (``0`` stands for the
    grouped digits). Rendered as data attributes, e.g. by the budget page."""
    return {
        "thousands": format_amount(1000, language=language)[1:-3],
        "template": format_euros(0, language=language),
    }


def format_score(
    value: int | Decimal | float | None, *, places: int = 2, language: str | None = None
) -> str:
    """A score with ``places`` decimals: ``3,25`` in French, ``3.25`` in English; ``—`` when
    there is none. Cheap on purpose: list pages show thousands of scores."""
    if value is None or value == "":
        return "—"
    text = f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}"
    with _in(language):
        french = (translation.get_language() or "").startswith("fr")
    return text.replace(".", ",") if french else text


def format_percent(ratio: float | Decimal | None, *, language: str | None = None) -> str:
    """A ratio as a percentage, two decimals, rounded down so that "100 %" is only said of
    a full match: ``99,99 %`` in French (no-break space), ``99.99%`` in English."""
    if ratio is None:
        return "—"
    hundredths = (Decimal(str(ratio)) * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    with _in(language):
        french = (translation.get_language() or "").startswith("fr")
    return f"{str(hundredths).replace('.', ',')}\u00a0%" if french else f"{hundredths}%"


def paris_localtime(value: datetime) -> datetime:
    """``value`` (aware, any zone) as a Europe/Paris wall-clock time."""
    return timezone.localtime(value, PARIS)


def format_paris_datetime(
    value: datetime | None, *, seconds: bool = False, language: str | None = None
) -> str:
    """``30 June 2026, 23:59 CEST (Europe/Paris)`` (``23:59:59`` with ``seconds``)."""
    if value is None:
        return ""
    pattern = f"{_DATETIME}:s T" if seconds else f"{_DATETIME} T"
    with _in(language):
        return f"{formats.date_format(paris_localtime(value), pattern)} (Europe/Paris)"


def format_paris_date(value: datetime | None, *, language: str | None = None) -> str:
    """``30 June 2026``: the Paris calendar day of ``value``."""
    if value is None:
        return ""
    with _in(language):
        return formats.date_format(paris_localtime(value), _DATE)


def format_paris_time(value: datetime | None, *, seconds: bool = False) -> str:
    """``23:59`` (``23:59:59``) in Europe/Paris, for text that names the zone itself."""
    if value is None:
        return ""
    return formats.time_format(paris_localtime(value), "H:i:s" if seconds else "H:i")


def format_utc_datetime(value: datetime) -> str:
    """``2026-06-30 21:59:59 UTC``: the receipt states the instant in UTC as well."""
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
