"""The panel meeting (administrators, on a projector): the bids in the recommended order with
their scores at a glance, the consensus text, the minutes, and the panel's adjustments."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.models import Bid, Call
from review.forms.panel import AdjustmentForm, MinutesForm
from review.mfa import jury_page
from review.models import ConsensusReport, Criterion, RankingRun
from review.queries import criteria_of
from review.queries_panel import panel_meeting
from review.services.panel import StaleMinutes, adjust_consensus_score, save_minutes
from review.views.jurors import check_administrator


def _call(request: HttpRequest, slug: str) -> Call:
    call = get_object_or_404(Call, slug=slug)
    check_administrator(request, call)
    return call


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


def _page(
    request: HttpRequest,
    call: Call,
    *,
    bound: dict[int, dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    run = _run(call, request)
    meeting = panel_meeting(call=call, run=run)
    bound = bound or {}
    cards = []
    for bid in meeting.bids:
        forms: dict[str, Any] = bound.get(bid.bid_id, {})
        cards.append(
            {
                "bid": bid,
                "minutes": forms.get("minutes")
                or MinutesForm(
                    initial={"text": bid.note_text, "version": bid.note_version},
                    prefix=f"minutes-{bid.bid_id}",
                ),
                "adjust": forms.get("adjust")
                or AdjustmentForm(criteria=meeting.criteria, prefix=f"adjust-{bid.bid_id}"),
                "stale": forms.get("stale"),
            }
        )
    return render(
        request,
        "review/panel/meeting.html",
        {
            "call": call,
            "meeting": meeting,
            "cards": cards,
            "runs": RankingRun.objects.filter(call=call, status=RankingRun.Status.DONE)
            .only("pk", "created_at", "parameters")
            .order_by("-created_at", "-pk"),
        },
        status=status,
    )


@require_GET
@jury_page
def panel_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _call(request, slug))


def _back(call: Call, bid: Bid, run: RankingRun | None) -> HttpResponse:
    url = reverse("review:panel", args=[call.slug])
    if run is not None:
        url += f"?run={run.pk}"
    return redirect(f"{url}#bid-{bid.acronym}")


@require_POST
@jury_page
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
            by=request.user,
        )
    except StaleMinutes as stale:
        # Keep what this administrator typed; show what the other one saved meanwhile.
        return _page(
            request, call, bound={bid.pk: {"minutes": form, "stale": stale.current}}, status=409
        )
    messages.success(request, _("Minutes on %(acronym)s saved.") % {"acronym": bid.acronym})
    return _back(call, bid, _run(call, request))


@require_POST
@jury_page
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
                    by=request.user,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("The panel's score on %(acronym)s is recorded beside the consensus.")
                    % {"acronym": bid.acronym},
                )
                return _back(call, bid, _run(call, request))
    return _page(request, call, bound={bid.pk: {"adjust": form}}, status=400)
