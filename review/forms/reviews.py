"""The review form: a score and a comment per criterion of the call, overall comment, confidence.

The form parses input and checks each score against its criterion's scale (clear messages
for out-of-range and off-step values); completeness on submission and the lock rules are the
service's (``review.services.reviews``), whose errors use the same field names.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm
from review import scoring
from review.models import Review
from review.queries.criteria import CriterionInfo
from review.services.reviews import ScoreInput, scale_error

SAVE = "save"
SUBMIT = "submit"


def _level_label(level: Decimal, descriptors: dict[Decimal, str]) -> str:
    text = descriptors.get(level)
    shown = f"{level.normalize():f}"
    return f"{shown} — {text}" if text else shown


class ScoreField(forms.CharField):
    """A score typed or picked on the criterion's scale; parsed to ``Decimal`` (or ``None``)."""

    def __init__(self, *, criterion: CriterionInfo, **kwargs: Any) -> None:
        self.criterion = criterion
        descriptors = dict(criterion.descriptors)
        choices = [("", _("— not scored yet —"))] + [
            (f"{level.normalize():f}", _level_label(level, descriptors))
            for level in criterion.scale.levels()
        ]
        kwargs.setdefault("widget", forms.Select(choices=choices))
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # a Decimal, not a str
        text = super().to_python(value)
        if not text:
            return None
        parsed = scoring.parse_score(text)
        if parsed is None:
            raise forms.ValidationError(_("Enter a number such as 3 or 3.5."), code="invalid")
        return parsed

    def validate(self, value: Any) -> None:
        if value is None:
            return
        message = scale_error(value, scale=self.criterion.scale)
        if message:
            raise forms.ValidationError(message, code="off_scale")


class CriterionScoresForm(PortalForm):
    """A score and a comment per criterion: the shape shared by reviews and consensus reports."""

    score_label = _("Score")
    comment_label = _("Comment")

    def __init__(self, *args: Any, criteria: list[CriterionInfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.pk}"] = ScoreField(
                criterion=criterion, label=self.score_label
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=self.comment_label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    @staticmethod
    def initial_scores(scores: Any) -> dict[str, Any]:
        """Initial values of the score and comment fields from stored score rows."""
        initial: dict[str, Any] = {}
        for score in scores:
            initial[f"score_{score.criterion_id}"] = (
                f"{score.value.normalize():f}" if score.value is not None else ""
            )
            initial[f"comment_{score.criterion_id}"] = score.comment
        return initial

    def rows(self) -> list[tuple[CriterionInfo, forms.BoundField, forms.BoundField]]:
        """Per criterion: its description, the score field and the comment field."""
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def score_inputs(self) -> dict[int, ScoreInput]:
        data = self.cleaned_data
        return {
            c.pk: ScoreInput(
                value=data.get(f"score_{c.pk}"), comment=(data.get(f"comment_{c.pk}") or "")
            )
            for c in self.criteria
        }


class ReviewForm(CriterionScoresForm):
    overall_comment = forms.CharField(
        label=_("Overall comment"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    confidence = forms.TypedChoiceField(
        label=_("Your confidence in this assessment"),
        choices=[("", "—")] + list(Review.Confidence.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    @staticmethod
    def initial_for(review: Review | None) -> dict[str, Any]:
        if review is None:
            return {"version": 0}
        initial: dict[str, Any] = {
            "version": review.version,
            "overall_comment": review.overall_comment,
            "confidence": review.confidence,
        }
        initial.update(CriterionScoresForm.initial_scores(review.scores.all()))
        return initial


class ReopenReviewForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for reopening"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with your name and the time; the juror sees it."),
    )
