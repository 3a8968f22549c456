from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm
from review.models import Conflict

# Kinds a person can declare (a shared e-mail domain is only for the automatic checks).
DECLARABLE_KINDS = [
    (kind.value, kind.label) for kind in Conflict.Kind if kind != Conflict.Kind.EMAIL_DOMAIN
]


class ConflictDeclarationForm(PortalForm):
    NO, YES = "no", "yes"
    position = forms.ChoiceField(
        label=_("Your declaration"),
        choices=[
            (NO, _("I have no conflict of interest with this bid")),
            (YES, _("I have a conflict of interest with this bid")),
        ],
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=_("Type of conflict"), choices=[("", "---------"), *DECLARABLE_KINDS], required=False
    )
    reason = forms.CharField(
        label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("position") == self.YES:
            if not cleaned.get("kind"):
                self.add_error("kind", _("Choose the type of conflict."))
            if not (cleaned.get("reason") or "").strip():
                self.add_error("reason", _("Explain the conflict in a few words."))
        return cleaned

    @property
    def has_conflict(self) -> bool:
        return self.cleaned_data["position"] == self.YES


class InstitutionConflictForm(PortalForm):
    email = forms.EmailField(
        label=_("E-mail address of the person"),
        help_text=_("We do not tell you whether this person is a juror."),
    )
    reason = forms.CharField(
        label=_("Why this person should not assess your bid"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class ConflictDecisionForm(PortalForm):
    action = forms.ChoiceField(
        choices=[
            ("confirm", _("Confirm")),
            ("dismiss", _("Dismiss")),
            ("pin", _("Pin")),
            ("unpin", _("Unpin")),
        ]
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        help_text=_("Required to dismiss a conflict or to pin a decision."),
    )


class ConflictFilterForm(PortalForm):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Conflict.Status.choices], required=False
    )
