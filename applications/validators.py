"""Validators of French official identifiers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # the official 23-letter alphabet (no I, O, Q)


def uai_checksum_letter(digits7: str) -> str:
    """The UAI (ex-RNE) key: 7 characters (digits, or 2A/2B for Corsica) then one letter."""
    number = (
        int(digits7.replace("2A", "19").replace("2B", "18"))
        if digits7[:2]
        in {
            "2A",
            "2B",
        }
        else int(digits7)
    )
    return _UAI_LETTERS[number % 23]


def validate_uai(value: str) -> None:
    value = value.strip().upper()
    if not re.fullmatch(r"[0-9]{7}[A-Z]|2[AB][0-9]{5}[A-Z]", value):
        raise ValidationError(
            _("A UAI has 7 digits followed by a letter, for example 0751717J."), code="uai_format"
        )
    if uai_checksum_letter(value[:7]) != value[7]:
        raise ValidationError(_("This UAI's control letter is wrong."), code="uai_checksum")


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_siren(value: str) -> None:
    value = value.replace(" ", "")
    if not re.fullmatch(r"[0-9]{9}", value):
        raise ValidationError(_("A SIREN has exactly 9 digits."), code="siren_format")
    if not luhn_is_valid(value):
        raise ValidationError(_("This SIREN fails its checksum (Luhn)."), code="siren_checksum")


# Characters no text the user types may carry: NUL and the other C0 controls except tab,
# newline and carriage return (PostgreSQL refuses NUL in text; the rest are invisible and
# break exports), DEL, and lone UTF-16 surrogates (U+D800–U+DFFF), which JSON can spell
# (``"\ud800"``) but no encoder can write (``UnicodeEncodeError`` on save).
_FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def validate_clean_text(value: str) -> None:
    """Refuse control characters and lone surrogates in any text the user types.

    Values that are not text (a ``CharField`` subclass that cleans to a number) pass.
    """
    if not isinstance(value, str):
        return
    match = _FORBIDDEN_TEXT.search(value)
    if match is None:
        return
    position = match.start() + 1
    raise ValidationError(
        _(
            "This text contains an invisible control character (U+%(code)s, at character "
            "%(position)s), often left by a copy-paste: delete it and try again."
        )
        % {"code": f"{ord(match.group()):04X}", "position": f"{position:,}"},
        code="control_character",
    )
