"""The rapporteur's consensus form and the jurors' comment form."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from review.forms.reviews import ScoreField
from review.models import ConsensusReport
from review.queries import CriterionInfo
from review.services.reviews import ScoreInput


class ConsensusForm(forms.Form):
    summary = forms.CharField(
        label=_("Evaluation summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Sent to the institution with the consensus scores and comments once approved."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, criteria: list[CriterionInfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.pk}"] = ScoreField(
                criterion=criterion, label=_("Consensus score")
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Consensus comment"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    @staticmethod
    def initial_for(report: ConsensusReport | None) -> dict[str, Any]:
        if report is None:
            return {"version": 0}
        initial: dict[str, Any] = {"version": report.version, "summary": report.summary}
        for score in report.scores.all():
            initial[f"score_{score.criterion_id}"] = (
                f"{score.value.normalize():f}" if score.value is not None else ""
            )
            initial[f"comment_{score.criterion_id}"] = score.comment
        return initial

    def rows(self) -> list[tuple[CriterionInfo, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def score_inputs(self) -> dict[int, ScoreInput]:
        data = self.cleaned_data
        return {
            c.pk: ScoreInput(
                value=data.get(f"score_{c.pk}"), comment=(data.get(f"comment_{c.pk}") or "")
            )
            for c in self.criteria
        }


class ConsensusCommentForm(forms.Form):
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 3}))
