"""The administrator's form for a ranking run: rule, calibration, tie-breaks, robustness."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import Call
from portal.forms import PortalForm
from review.models import Criterion
from review.services.ranking_runs import MAX_BOOTSTRAP_SAMPLES, MAX_SEED, RunSettings

BASIS_CHOICES = [
    ("jurors", _("The jurors' individual scores (calibrated if you choose a calibration)")),
    ("consensus", _("The approved consensus scores, with the panel's adjustments")),
]
RULE_CHOICES = [
    ("merit_order", _("Merit order: fund down the ranking while the envelope allows")),
    ("optimal", _("Optimal portfolio: the best total score that fits in the envelope")),
    ("partial", _("Partial funding: optimal at minimum amounts, then top-ups in rank order")),
]
OVERFLOW_CHOICES = [
    ("skip", _("Skip a bid that does not fit and go on")),
    ("stop", _("Stop at the first bid that does not fit")),
]
CALIBRATION_CHOICES = [
    ("none", _("None: raw scores")),
    ("zscore", _("Per-juror z-scores")),
    ("additive", _("Additive model: bid quality + juror leniency")),
]
AGGREGATE_CHOICES = [("mean", _("Mean")), ("median", _("Median"))]


class RankingRunForm(PortalForm):
    basis = forms.ChoiceField(
        label=_("What is ranked"),
        choices=BASIS_CHOICES,
        initial="jurors",
        widget=forms.RadioSelect,
        help_text=_(
            "On the consensus basis, bids without an approved consensus have no scores and "
            "are not eligible; calibration must be none."
        ),
    )
    rule = forms.ChoiceField(label=_("Selection rule"), choices=RULE_CHOICES, initial="optimal")
    overflow = forms.ChoiceField(
        label=_("Merit order: a bid that does not fit"),
        choices=OVERFLOW_CHOICES,
        initial="skip",
        help_text=_("Used by the merit order only."),
    )
    calibration = forms.ChoiceField(
        label=_("Juror calibration"), choices=CALIBRATION_CHOICES, initial="none"
    )
    aggregate = forms.ChoiceField(
        label=_("Aggregate of the jurors' scores"), choices=AGGREGATE_CHOICES, initial="mean"
    )
    tiebreak = forms.CharField(
        label=_("Tie-break chain"),
        required=False,
        max_length=500,
        help_text=_(
            "Criterion codes in order, separated by commas (then the bid's number). "
            "Blank: the criteria in the grid's order."
        ),
    )
    bootstrap_samples = forms.IntegerField(
        label=_("Bootstrap samples"),
        min_value=0,
        max_value=MAX_BOOTSTRAP_SAMPLES,
        initial=1000,
        help_text=_("0 turns the robustness analysis off."),
    )
    bootstrap_seed = forms.IntegerField(
        label=_("Random seed"),
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        help_text=_("Blank: drawn at random and stored with the run, so it can be reproduced."),
    )
    lottery = forms.BooleanField(
        label=_("Draw lots among the grey-zone bids"),
        required=False,
        help_text=_(
            "The portal commits to a secret seed (its SHA-256 is shown before the draw) and "
            "reveals the seed once the run is done, so anyone can check the draw."
        ),
    )

    def __init__(self, *args, call: Call, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.codes = list(
            Criterion.objects.filter(call=call)
            .order_by("order", "code")
            .values_list("code", flat=True)
        )
        self.fields["tiebreak"].widget.attrs["placeholder"] = ", ".join(self.codes)

    def clean_tiebreak(self) -> tuple[str, ...]:
        codes = tuple(code for code in re.split(r"[\s,;]+", self.cleaned_data["tiebreak"]) if code)
        unknown = [code for code in codes if code not in self.codes]
        if unknown:
            raise forms.ValidationError(
                _("Unknown criterion code(s): %(unknown)s. The call's criteria are: %(codes)s."),
                params={"unknown": ", ".join(unknown), "codes": ", ".join(self.codes)},
            )
        if len(set(codes)) != len(codes):
            raise forms.ValidationError(_("List each criterion at most once."))
        return codes

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("lottery") and not cleaned.get("bootstrap_samples"):
            self.add_error(
                "lottery",
                _(
                    "The lottery draws among grey-zone bids, which the bootstrap finds: set samples."
                ),
            )
        return cleaned

    def run_settings(self) -> RunSettings:
        data = self.cleaned_data
        return RunSettings(
            basis=data["basis"],
            rule=data["rule"],
            overflow=data["overflow"],
            calibration=data["calibration"],
            aggregate=data["aggregate"],
            tiebreak=data["tiebreak"],
            bootstrap_samples=data["bootstrap_samples"],
            bootstrap_seed=data["bootstrap_seed"],
            lottery=data["lottery"],
        )


class RunRowsFilterForm(PortalForm):
    """The ranking table's filters (GET): text in the acronym, a score range, funded or not."""

    text = forms.CharField(
        label=_("Acronym contains"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "type": "search"}),
    )
    score_min = forms.FloatField(
        label=_("Score from"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "any"}),
    )
    score_max = forms.FloatField(
        label=_("Score up to"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "any"}),
    )
    selected = forms.ChoiceField(
        label=_("Recommendation"),
        required=False,
        choices=[("", _("All")), ("yes", _("Granted")), ("no", _("Not granted"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("The upper score is below the lower one."))
        return data
