"""Forms of the panel meeting page: the minutes of a bid, an adjusted consensus score."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm
from review.queries.criteria import CriterionInfo


class MinutesForm(PortalForm):
    text = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class AdjustmentForm(PortalForm):
    criterion = forms.TypedChoiceField(label=_("Criterion"), coerce=int, choices=())
    value = forms.DecimalField(label=_("Panel score"), max_digits=4, decimal_places=1)
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, criteria: list[CriterionInfo], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["criterion"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(criterion.pk, criterion.name) for criterion in criteria]
