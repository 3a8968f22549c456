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
from applications.rules import permission_required
from portal.editing import StaleEdit
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.panel import AdjustmentForm, MinutesForm
from review.models import ConsensusReport, Criterion, PanelNote, RankingRun
from review.queries.criteria import criteria_of
from review.queries.panel import panel_meeting
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
@permission_required("jury.administer")
def panel_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _call(request, slug))


def _back(call: Call, bid: Bid, run: RankingRun | None) -> HttpResponse:
    url = reverse("review:panel", args=[call.slug])
    if run is not None:
        url += f"?run={run.pk}"
    return redirect(f"{url}#bid-{bid.acronym}")


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
