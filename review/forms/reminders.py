"""Forms of the reminders page: send a reminder now, e-mail the jury of a call."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import Call
from portal.forms import PortalForm
from review.models import JurorProfile, JuryMessage


class ReminderNowForm(PortalForm):
    juror = forms.ModelChoiceField(
        label=_("Juror"),
        queryset=JurorProfile.objects.none(),
        required=False,
        empty_label=_("Every juror with unfinished reviews"),
    )

    def __init__(self, *args, call: Call, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["juror"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = JurorProfile.objects.filter(calls=call).order_by("display_name")


class JuryMessageForm(PortalForm):
    audience = forms.ChoiceField(
        label=_("Recipients"),
        choices=JuryMessage.Audience.choices,
        initial=JuryMessage.Audience.UNFINISHED,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=JuryMessage._meta.get_field("subject").max_length
    )
    body = forms.CharField(
        label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
