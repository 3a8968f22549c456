"""Forms of the decision page: one line per bid, and the reasons of the decision's steps."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm
from review.models import BidDecision, RankingRun
from review.queries.decisions import LineInput


class DecisionLineForm(PortalForm):
    """What is decided for one bid (prefix ``bid-<id>``)."""

    outcome = forms.ChoiceField(label=_("Decision"), choices=BidDecision.Outcome.choices)
    amount = forms.IntegerField(label=_("Amount awarded (€)"), min_value=0, required=False)
    reserve_position = forms.IntegerField(
        label=_("Reserve position"), min_value=1, max_value=999, required=False
    )
    reason = forms.CharField(
        label=_("Reason for the deviation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=_("Reason for funding with fewer reviews than required"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, line: BidDecision, **kwargs):
        kwargs.setdefault("prefix", self.prefix_of(line))
        kwargs.setdefault("initial", self.initial_of(line))
        super().__init__(*args, **kwargs)
        self.line = line

    @staticmethod
    def prefix_of(line: BidDecision) -> str:
        return f"bid-{line.bid_id}"

    @staticmethod
    def initial_of(line: BidDecision) -> dict[str, object]:
        """The line as stored: what the page shows before any edit."""
        return {
            "outcome": line.outcome,
            "amount": line.amount_awarded,
            "reserve_position": line.reserve_position,
            "reason": line.reason,
            "override_reason": line.override_reason,
        }

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            outcome=data["outcome"],
            amount=data["amount"],
            reserve_position=data["reserve_position"],
            reason=data["reason"],
            override_reason=data["override_reason"],
        )


class RunChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RankingRun) -> str:
        return _("Run #%(number)s (%(rule)s)") % {
            "number": obj.pk,
            "rule": obj.parameters.get("rule", ""),
        }


class PrepareDecisionForm(PortalForm):
    run = RunChoiceField(
        label=_("Ranking run recommended by the jury"), queryset=RankingRun.objects.none()
    )

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["run"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = RankingRun.objects.filter(call=call, status=RankingRun.Status.DONE).defer(
            "engine_input", "result_json"
        )


class ReasonForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PromoteForm(ReasonForm):
    leaving = forms.TypedChoiceField(label=_("Funded bid that leaves"), coerce=int, choices=())

    def __init__(self, *args, funded, **kwargs):
        """``funded``: (bid id, acronym) of the decision's funded lines
        (``review.queries.decisions.DecisionFigures.funded``)."""
        super().__init__(*args, **kwargs)
        field = self.fields["leaving"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = list(funded)
