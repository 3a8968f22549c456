from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import Institution, Invitation, Membership
from portal.forms import PortalForm, PortalModelForm


class InstitutionForm(PortalModelForm):
    """Registration of an institution. Identifier checks (UAI/SIREN) run in ``Model.clean``."""

    class Meta:
        model = Institution
        fields = ["name", "kind", "city", "identifier_type", "identifier", "email_domain"]
        help_texts = {
            "identifier": _("UAI: 7 digits and a letter (0751717J). SIREN: 9 digits."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Register the institution")))


class InvitationForm(PortalModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = Membership.Role.EDITOR
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class MemberRoleForm(PortalForm):
    role = forms.ChoiceField(label=_("role"), choices=Membership.Role.choices)


class InstitutionLanguageForm(PortalModelForm):
    """The language of the institution's decision letters (set by a coordinator)."""

    class Meta:
        model = Institution
        fields = ["language"]
