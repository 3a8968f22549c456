from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import Call, Institution
from portal.forms import PortalForm, PortalModelForm
from review.models import JurorProfile
from review.services.jurors import AffiliationData


class JurorProfileAdminForm(PortalForm):
    """What an administrator sets for a juror (the e-mail is only asked at invitation)."""

    display_name = forms.CharField(label=_("Name"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=100)
    expertise = forms.CharField(
        label=_("Expertise statement"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        max_length=500,
        required=False,
        help_text=_("Comma-separated, e.g. machine learning, robotics, AI ethics."),
    )
    languages = forms.CharField(
        label=_("Languages"), max_length=200, required=False, help_text=_("e.g. English, French")
    )
    calls = forms.ModelMultipleChoiceField(
        label=_("Calls"),
        queryset=Call.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The calls whose jury this person sits on."),
    )
    listed_publicly = forms.BooleanField(
        label=_("Listed on the public results page"),
        required=False,
        help_text=_(
            "Only with the juror's agreement: name, country and current affiliation appear "
            "in the jury's composition once the call's results are published."
        ),
    )


class JurorInviteForm(JurorProfileAdminForm):
    email = forms.EmailField(label=_("E-mail"))
    field_order = [
        "email",
        "display_name",
        "country",
        "expertise",
        "keywords",
        "languages",
        "calls",
        "listed_publicly",
    ]


class AffiliationForm(PortalForm):
    institution = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.all(),
        required=False,
        help_text=_(
            "Link the institution when it is registered on the portal: conflicts are detected from it."
        ),
    )
    organisation_name = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        required=False,
        help_text=_("Name of the organisation if it is not a registered institution."),
    )
    start_year = forms.IntegerField(
        label=_("From (year)"), min_value=1900, max_value=2100, required=False
    )
    end_year = forms.IntegerField(
        label=_("Until (year)"),
        min_value=1900,
        max_value=2100,
        required=False,
        help_text=_("Leave empty for a current affiliation."),
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("institution") and not (cleaned.get("organisation_name") or "").strip():
            raise forms.ValidationError(_("Choose an institution or type the organisation's name."))
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        if start is not None and end is not None and end < start:
            self.add_error("end_year", _("The affiliation cannot end before it starts."))
        return cleaned


class BaseAffiliationFormSet(forms.BaseFormSet):
    def affiliations(self) -> list[AffiliationData]:
        """The filled-in rows (call after ``is_valid()``), deleted rows left out."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or (self.can_delete and data.get("DELETE")):
                continue
            rows.append(
                AffiliationData(
                    institution=data.get("institution"),
                    organisation_name=data.get("organisation_name") or "",
                    start_year=data.get("start_year"),
                    end_year=data.get("end_year"),
                )
            )
        return rows


AffiliationFormSet: type[BaseAffiliationFormSet] = forms.formset_factory(  # type: ignore[assignment] # formset_factory returns the subclass given as ``formset``
    AffiliationForm, formset=BaseAffiliationFormSet, extra=2, can_delete=True
)


def affiliation_initial(juror: JurorProfile) -> list[dict]:
    return [
        {
            "institution": affiliation.institution,
            "organisation_name": affiliation.organisation_name,
            "start_year": affiliation.start_year,
            "end_year": affiliation.end_year,
        }
        for affiliation in juror.affiliations.select_related("institution")
    ]


class JurorOwnProfileForm(PortalModelForm):
    """What jurors edit themselves; affiliations are set by the administrators."""

    class Meta:
        model = JurorProfile
        fields = ["expertise", "keywords", "languages", "listed_publicly"]
        widgets = {"expertise": forms.Textarea(attrs={"rows": 6})}
        labels = {"listed_publicly": _("List me on the public results page")}
        help_texts = {
            "listed_publicly": _(
                "Your name, country and current affiliation appear in the jury's composition "
                "once the results of your calls are published. Your scores never do."
            )
        }


class JurorImportForm(PortalForm):
    """The table of jurors to import into a call (read and checked by the service)."""

    call = forms.ModelChoiceField(
        label=_("Call"),
        queryset=Call.objects.exclude(status=Call.Status.DRAFT),
        help_text=_("The imported jurors join this call's jury."),
    )
    file = forms.FileField(
        label=_("Table of jurors (CSV or XLSX)"),
        help_text=_(
            "One juror per row; the first row names the columns: name, email, country, "
            "affiliations, expertise, keywords, languages, conflicts. At most 2 MB."
        ),
    )

    def clean_file(self):
        from review.services.juror_import import MAX_FILE_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.")
                % {"size": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


class JurorListFilterForm(PortalForm):
    """The administrators' list of jurors (GET): text search and order."""

    text = forms.CharField(
        label=_("Name, e-mail, country or keyword contains"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "type": "search"}),
    )
    sort = forms.ChoiceField(
        label=_("sort by"),
        required=False,
        choices=[
            ("name", _("Name")),
            ("country", _("Country")),
            ("-assignments", _("Bids assigned, most first")),
            ("assignments", _("Bids assigned, fewest first")),
        ],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
