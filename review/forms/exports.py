"""The exports page's request form: which file, in which language, jurors named or not."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm
from review.models import CallExport


class ExportRequestForm(PortalForm):
    # The ranking workbook is asked for on its run's page.
    kind = forms.ChoiceField(
        label=_("File"),
        choices=[
            (value, label)
            for value, label in CallExport.Kind.choices
            if value != CallExport.Kind.RANKING
        ],
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=CallExport.Language.choices, initial="en"
    )
    pseudonymise = forms.BooleanField(
        label=_("Show jurors as pseudonyms (Juror 1, Juror 2…)"), required=False
    )
