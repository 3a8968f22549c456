import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ReceiptVerifyForm(PortalForm):
    """A receipt PDF to check, or the SHA-256 of a version (one of the two)."""

    receipt = forms.FileField(
        label=_("Receipt (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    sha256 = forms.CharField(
        label=_("Or the SHA-256 of the version"),
        required=False,
        max_length=200,
        help_text=_("64 hexadecimal characters, as printed on the receipt."),
    )

    def clean_receipt(self):
        upload = self.cleaned_data.get("receipt")
        limit = settings.PORTAL_RECEIPT_VERIFY_MAX_BYTES
        if upload is not None and upload.size > limit:
            raise ValidationError(
                _(
                    "This file is larger than %(limit)s: a receipt is much smaller. Drop the PDF the portal sent you."
                )
                % {"limit": filesizeformat(limit)},
                code="too_big",
            )
        return upload

    def clean_sha256(self) -> str:
        value = "".join(self.cleaned_data.get("sha256", "").split()).lower()
        if value and not _SHA256.fullmatch(value):
            raise ValidationError(
                _("A SHA-256 is 64 hexadecimal characters (0–9, a–f); check what you copied."),
                code="invalid",
            )
        return value

    def clean(self):
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("receipt") and not cleaned.get("sha256"):
            raise ValidationError(
                _("Drop a receipt PDF or enter the SHA-256 of a version."), code="empty"
            )
        return cleaned
