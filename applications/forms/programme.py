from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import Bid, Call
from applications.queries import BID_LIST_FILTERS
from portal.forms import PortalForm


class TransitionForm(PortalForm):
    to_status = forms.ChoiceField(choices=Call.Status.choices)


class BidFilterForm(PortalForm):
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[("", _("All"))] + Bid.Status.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    eligibility = forms.ChoiceField(
        label=_("eligibility"),
        required=False,
        choices=[("", _("All"))] + Bid.Eligibility.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    text = forms.CharField(
        label=_("acronym or title contains"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )
    sort = forms.ChoiceField(
        label=_("sort by"),
        required=False,
        choices=[
            ("acronym", _("Acronym")),
            ("-requested", _("Requested amount, largest first")),
            ("requested", _("Requested amount, smallest first")),
            ("-submitted", _("Latest version, newest first")),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The filters other apps register (the jury's conflict state), after the built-in ones.
        for name, bid_filter in BID_LIST_FILTERS.items():
            self.fields[name] = forms.ChoiceField(
                label=bid_filter.label,
                required=False,
                choices=[("", _("All")), *bid_filter.choices],
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def extra_filters(self) -> dict[str, str]:
        """The registered filters' chosen codes (call after ``is_valid()``)."""
        return {name: self.cleaned_data.get(name, "") for name in BID_LIST_FILTERS}


class ScreeningForm(PortalForm):
    eligible = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Eligible")), ("no", _("Ineligible"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when the bid is ineligible; the institution reads it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Record the decision")))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("eligible") is False and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason why the bid is ineligible."))
        return cleaned
