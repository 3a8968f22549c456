"""The rapporteur's consensus form and the jurors' comment form."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm
from review.forms.reviews import CriterionScoresForm
from review.models import ConsensusReport


class ConsensusForm(CriterionScoresForm):
    score_label = _("Consensus score")
    comment_label = _("Consensus comment")

    summary = forms.CharField(
        label=_("Evaluation summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Sent to the institution with the consensus scores and comments once approved."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    @staticmethod
    def initial_for(report: ConsensusReport | None) -> dict[str, Any]:
        if report is None:
            return {"version": 0}
        initial: dict[str, Any] = {"version": report.version, "summary": report.summary}
        initial.update(CriterionScoresForm.initial_scores(report.scores.all()))
        return initial


class ConsensusCommentForm(PortalForm):
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ConsensusReturnForm(PortalForm):
    reason = forms.CharField(
        label=_("What the rapporteur should revise"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to return the report; the rapporteur reads it on the report."),
    )
