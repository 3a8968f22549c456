"""The panel meeting (administrators, on a projector): the bids in the recommended order with
their scores at a glance (the overview), and the bid being discussed in full (``?bid=<acronym>``,
previous and next, the first by default, as a meeting tracker runs): its jurors' scores, the
consensus text, the panel's adjustments and the minutes."""

from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.models import Bid, Call
from applications.rules import permission_required
from portal.editing import StaleEdit
from portal.formats import format_euros, format_paris_datetime, format_score
from portal.forms import PlainFields, add_errors
from portal.users import acting_user
from review.forms.panel import AdjustmentForm, MinutesForm
from review.models import ConsensusReport, Criterion, PanelNote, RankingRun
from review.queries.criteria import criteria_of
from review.queries.panel import PanelBid, PanelMeeting, panel_meeting
from review.services.panel import adjust_consensus_score, save_minutes


def _call(request: HttpRequest, slug: str) -> Call:
    return get_object_or_404(Call, slug=slug)


def _run(call: Call, request: HttpRequest) -> RankingRun | None:
    """The run whose order the meeting follows: ``?run=N``, else the latest completed one."""
    runs = RankingRun.objects.filter(call=call, status=RankingRun.Status.DONE).defer(
        "engine_input", "result_json"
    )
    wanted = request.GET.get("run") or request.POST.get("run")
    if wanted:
        try:
            return get_object_or_404(runs, pk=int(wanted))
        except ValueError as error:
            raise Http404 from error
    return runs.order_by("-created_at", "-pk").first()


def _interval(pair: list[int] | None) -> str:
    return f"{pair[0]}–{pair[1]}" if pair else ""


class _Presenter:
    """The meeting as plain, formatted values: the page prints strings. Numbers go through
    ``portal.formats``, memoised for the page (half-point scores take a dozen values, and the
    overview shows thousands of them)."""

    def __init__(self, call: Call, meeting: PanelMeeting) -> None:
        self.meeting = meeting
        self.minutes = PlainFields(MinutesForm)  # labels in the request's language
        self.adjust = PlainFields(AdjustmentForm)
        self.score = cache(lambda value, places: format_score(value, places=places))
        self.euros = cache(format_euros)
        page = reverse("review:panel", args=[call.slug])
        self.page = page + (f"?run={meeting.run.pk}&bid=" if meeting.run else "?bid=")

    def link(self, bid: PanelBid) -> str:
        """The page with ``bid`` discussed (the run kept)."""
        return self.page + quote(bid.acronym)

    def run_figures(self, bid: PanelBid) -> dict[str, Any]:
        row = bid.run_row or {}
        return {
            "ranked": bool(row),
            "rank": row.get("rank"),
            "selected": row.get("selected"),
            "granted": self.euros(row.get("granted")),
            "p_selected": self.score(row["p_selected"], 2)
            if row.get("p_selected") is not None
            else "",
            "interval_50": _interval(row.get("rank_interval_50")),
            "interval_90": _interval(row.get("rank_interval_90")),
        }

    def overview(self, current: PanelBid | None) -> list[dict[str, Any]]:
        """One row per bid: its figures and, per criterion, the jurors' scores in one string,
        the consensus (and the panel's score), the spread and the threshold flag."""
        score = self.score
        return [
            {
                "acronym": bid.acronym,
                "link": self.link(bid),
                "current": bid is current,
                **self.run_figures(bid),
                "criteria": [
                    {
                        "jurors": " · ".join(score(value, 1) for value in row.juror_values),
                        "consensus": score(row.consensus, 1),
                        "panel": score(row.panel, 1) if row.panel is not None else "",
                        "spread": score(row.spread, 1),
                        "below": row.below_threshold,
                    }
                    for row in bid.criteria
                ],
                "total": score(bid.consensus_total, 2),
            }
            for bid in self.meeting.bids
        ]

    def card(self, bid: PanelBid, forms: dict[str, Any]) -> dict[str, Any]:
        """The bid being discussed, in full: scores, consensus text, adjustments, the minutes
        and adjustment forms (the refused ones in ``forms``, as typed)."""
        score = self.score
        adjust_form = forms.get("adjust")
        return {
            "acronym": bid.acronym,
            "public_id": bid.public_id,
            "title": bid.title,
            "lead": bid.lead,
            "requested": self.euros(bid.requested),
            **self.run_figures(bid),
            "jurors": bid.jurors,
            "blank": len(bid.jurors) + 3,
            "rows": [
                {
                    "name": row.criterion.name,
                    "weight": score(row.criterion.weight, 2),
                    "threshold": score(row.criterion.threshold, 1),
                    "jurors": [score(value, 1) for value in row.juror_values],
                    "spread": score(row.spread, 1),
                    "consensus": score(row.consensus, 1),
                    "panel": score(row.panel, 1),
                    "below": row.below_threshold,
                }
                for row in bid.criteria
            ],
            "total": score(bid.consensus_total, 2),
            "summary": bid.consensus_summary,
            "approved": bid.consensus_status == ConsensusReport.Status.APPROVED,
            "adjustable": bid.report_id is not None,
            "adjustments": [
                {
                    "criterion": adjustment.criterion.name,
                    "original": score(adjustment.original_value, 1),
                    "value": score(adjustment.value, 1),
                    "reason": adjustment.reason,
                    "by": adjustment.adjusted_by.email,
                    "at": format_paris_datetime(adjustment.adjusted_at),
                }
                for adjustment in bid.adjustments
            ],
            "note": bid.note_text,
            "minutes": self.minutes.of(form=forms["minutes"])
            if "minutes" in forms
            else self.minutes.of(
                prefix=f"minutes-{bid.bid_id}",
                initial={"text": bid.note_text, "version": bid.note_version},
            ),
            "adjust": self.adjust.of(form=adjust_form)
            if adjust_form is not None
            else self.adjust.of(prefix=f"adjust-{bid.bid_id}"),
            "adjust_errors": list(adjust_form.non_field_errors()) if adjust_form else [],
            "chosen": str(adjust_form["criterion"].value()) if adjust_form else "",
            "stale": forms.get("stale"),
        }


def _discussed(
    request: HttpRequest, meeting: PanelMeeting, bound: dict[int, dict[str, Any]]
) -> PanelBid | None:
    """The bid on the screen: the one whose form was refused, else ``?bid=<acronym>``, else
    the first in the run's order."""
    if bound:
        wanted_id = next(iter(bound))
        return next((bid for bid in meeting.bids if bid.bid_id == wanted_id), None)
    acronym = request.GET.get("bid")
    if acronym:
        found = next((bid for bid in meeting.bids if bid.acronym == acronym), None)
        if found is None:
            raise Http404
        return found
    return meeting.bids[0] if meeting.bids else None


def _page(
    request: HttpRequest,
    call: Call,
    *,
    bound: dict[int, dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The meeting: every bid at a glance (the overview), the one discussed in full."""
    run = _run(call, request)
    meeting = panel_meeting(call=call, run=run)
    bound = bound or {}
    current = _discussed(request, meeting, bound)
    present = _Presenter(call, meeting)
    position = next((i for i, bid in enumerate(meeting.bids) if bid is current), -1)
    return render(
        request,
        "review/panel/meeting.html",
        {
            "call": call,
            "meeting": meeting,
            "overview": present.overview(current),
            "card": present.card(current, bound.get(current.bid_id, {})) if current else None,
            "previous": present.link(meeting.bids[position - 1]) if position > 0 else "",
            "next": present.link(meeting.bids[position + 1])
            if 0 <= position < len(meeting.bids) - 1
            else "",
            "runs": RankingRun.objects.filter(call=call, status=RankingRun.Status.DONE)
            .only("pk", "created_at", "parameters")
            .order_by("-created_at", "-pk"),
        },
        status=status,
    )


@require_GET
@permission_required("jury.administer")
def panel_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _call(request, slug))


def _back(call: Call, bid: Bid, run: RankingRun | None) -> HttpResponse:
    """Back to the meeting, on the same bid."""
    query = {"run": run.pk, "bid": bid.acronym} if run is not None else {"bid": bid.acronym}
    return redirect(f"{reverse('review:panel', args=[call.slug])}?{urlencode(query)}#discussed")


@require_POST
@permission_required("jury.administer")
def panel_minutes(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    call = _call(request, slug)
    bid = get_object_or_404(Bid, call=call, public_id=public_id)
    form = MinutesForm(request.POST, prefix=f"minutes-{bid.pk}")
    if not form.is_valid():
        return _page(request, call, bound={bid.pk: {"minutes": form}}, status=400)
    try:
        save_minutes(
            bid=bid,
            text=form.cleaned_data["text"],
            expected_version=form.cleaned_data["version"],
            by=acting_user(request),
        )
    except StaleEdit:
        # Keep what this administrator typed; show what the other one saved meanwhile.
        current = PanelNote.objects.select_related("updated_by").get(bid=bid)
        return _page(request, call, bound={bid.pk: {"minutes": form, "stale": current}}, status=409)
    messages.success(request, _("Minutes on %(acronym)s saved.") % {"acronym": bid.acronym})
    return _back(call, bid, _run(call, request))


@require_POST
@permission_required("jury.administer")
def panel_adjust(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    call = _call(request, slug)
    bid = get_object_or_404(Bid, call=call, public_id=public_id)
    form = AdjustmentForm(request.POST, criteria=criteria_of(call), prefix=f"adjust-{bid.pk}")
    report = ConsensusReport.objects.filter(bid=bid).first()
    if form.is_valid():
        if report is None:
            form.add_error(None, _("This bid has no approved consensus report to adjust."))
        else:
            try:
                adjust_consensus_score(
                    report=report,
                    criterion=get_object_or_404(
                        Criterion, call=call, pk=form.cleaned_data["criterion"]
                    ),
                    value=form.cleaned_data["value"],
                    reason=form.cleaned_data["reason"],
                    by=acting_user(request),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The panel's score on %(acronym)s is recorded beside the consensus.")
                    % {"acronym": bid.acronym},
                )
                return _back(call, bid, _run(call, request))
    return _page(request, call, bound={bid.pk: {"adjust": form}}, status=400)
