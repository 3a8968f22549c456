from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import Bid, Call
from portal.forms import PortalForm
from review.models import JurorProfile


class JurorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class BidChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.acronym} — {obj.title}"


class ManualAssignmentForm(PortalForm):
    bid = BidChoiceField(label=_("Bid"), queryset=None)
    juror = JurorChoiceField(label=_("Juror"), queryset=None)

    def __init__(self, *args, call: Call, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bid_field = self.fields["bid"]
        juror_field = self.fields["juror"]
        assert isinstance(bid_field, forms.ModelChoiceField)
        assert isinstance(juror_field, forms.ModelChoiceField)
        bid_field.queryset = Bid.objects.assessable().filter(call=call).order_by("acronym")
        juror_field.queryset = JurorProfile.objects.filter(calls=call)


class AutoAssignmentForm(PortalForm):
    jurors_per_bid = forms.IntegerField(label=_("Jurors per bid (k)"), min_value=1, max_value=20)
    min_load = forms.IntegerField(label=_("Minimum bids per juror"), min_value=0, max_value=500)
    max_load = forms.IntegerField(label=_("Maximum bids per juror"), min_value=1, max_value=500)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        low, high = cleaned.get("min_load"), cleaned.get("max_load")
        if low is not None and high is not None and low > high:
            self.add_error("min_load", _("The minimum load is above the maximum load."))
        return cleaned
