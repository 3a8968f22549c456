"""The procedural appeal (filed by a bid's coordinator) and its answer (administrators)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm


class RedressForm(PortalForm):
    text = forms.CharField(
        label=_("Your procedural appeal"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
        help_text=_(
            "Say which step of the procedure you contest and why. An appeal may contest the "
            "procedure followed, not the jury's scientific judgement."
        ),
    )


class RedressAnswerForm(PortalForm):
    answer = forms.CharField(
        label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000
    )
