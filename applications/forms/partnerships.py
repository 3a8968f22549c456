"""Forms of the consortium page: asking an institution to be a partner, and listing a
partner that is not on the portal. They parse input; ``services.partnerships`` writes."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from applications.models import ExternalPartner, Institution
from portal.forms import PortalForm


class PartnershipRequestForm(PortalForm):
    prefix = "partner"
    institution = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.none(),
        help_text=_(
            "Its coordinators are e-mailed and accept or decline; until they accept, its "
            "members see only the request, never the bid's content."
        ),
    )

    def __init__(self, *args, institutions: QuerySet[Institution], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]  # the stubs type fields as Field


class ExternalPartnerForm(PortalForm):
    prefix = "external"
    name = forms.CharField(label=_("Name"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=100)
    kind = forms.ChoiceField(label=_("Type"), choices=ExternalPartner.Kind.choices)
