"""The panel meeting (administrators, on a projector): the bids in the recommended order with
their scores at a glance, the consensus text, the minutes, and the panel's adjustments."""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
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
from review.queries.panel import PanelMeeting, panel_meeting
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


_NO_BID = "00000000-0000-0000-0000-000000000000"
_MINUTES = PlainFields(MinutesForm)
_ADJUST = PlainFields(AdjustmentForm)


def _bid_urls(name: str, slug: str) -> Callable[[Any], str]:
    """``reverse(name, args=[slug, public_id])`` for every bid at the cost of one reverse."""
    pattern = reverse(name, args=[slug, _NO_BID])
    return lambda public_id: pattern.replace(_NO_BID, str(public_id))


def _interval(pair: list[int] | None) -> str:
    return f"{pair[0]}–{pair[1]}" if pair else ""


def _options(meeting: PanelMeeting, chosen: str | None) -> SafeString:
    """The criterion choices of an adjustment form, ``chosen`` selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (item.pk, mark_safe(" selected") if str(item.pk) == chosen else "", item.name)  # noqa: S308 - a constant
            for item in meeting.criteria
        ),
    )


def _cards(
    call: Call, meeting: PanelMeeting, bound: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every bid of the meeting as plain, formatted values: the page prints strings (two hundred
    bids, thousands of scores). Numbers go through ``portal.formats``, memoised for the page
    (half-point scores take a dozen values); forms only where a POST was refused. The two
    markups repeated thousands of times (the jurors' score cells, the criterion options) are
    joined here with ``format_html_join`` (escaped): a template loop costs more than the page."""
    score = cache(lambda value, places: format_score(value, places=places))
    euros = cache(format_euros)
    minutes_url = _bid_urls("review:panel_minutes", call.slug)
    adjust_url = _bid_urls("review:panel_adjust", call.slug)
    heads = [
        {
            "name": criterion.name,
            "weight": score(criterion.weight, 2),
            "threshold": score(criterion.threshold, 1),
        }
        for criterion in meeting.criteria
    ]
    options = _options(meeting, None)
    cards = []
    for bid in meeting.bids:
        forms: dict[str, Any] = bound.get(bid.bid_id, {})
        run_row = bid.run_row or {}
        adjust_form = forms.get("adjust")
        cards.append(
            {
                "acronym": bid.acronym,
                "title": bid.title,
                "lead": bid.lead,
                "requested": euros(bid.requested),
                "ranked": bool(run_row),
                "rank": run_row.get("rank"),
                "selected": run_row.get("selected"),
                "granted": euros(run_row.get("granted")),
                "p_selected": score(run_row["p_selected"], 2)
                if run_row.get("p_selected") is not None
                else "",
                "interval_50": _interval(run_row.get("rank_interval_50")),
                "interval_90": _interval(run_row.get("rank_interval_90")),
                "jurors": bid.jurors,
                "blank": len(bid.jurors) + 3,
                "rows": [
                    {
                        **head,
                        "juror_cells": format_html_join(
                            "",
                            '<td class="text-end">{}</td>',
                            ((score(value, 1),) for value in row.juror_values),
                        ),
                        "spread": score(row.spread, 1),
                        "consensus": score(row.consensus, 1),
                        "panel": score(row.panel, 1),
                        "below": row.below_threshold,
                    }
                    for head, row in zip(heads, bid.criteria, strict=True)
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
                "minutes_url": minutes_url(bid.public_id),
                "adjust_url": adjust_url(bid.public_id),
                "minutes": _MINUTES.of(form=forms["minutes"])
                if "minutes" in forms
                else _MINUTES.of(
                    prefix=f"minutes-{bid.bid_id}",
                    initial={"text": bid.note_text, "version": bid.note_version},
                ),
                "adjust": _ADJUST.of(form=adjust_form)
                if adjust_form is not None
                else _ADJUST.of(prefix=f"adjust-{bid.bid_id}"),
                "adjust_errors": list(adjust_form.non_field_errors()) if adjust_form else [],
                "criterion_options": _options(meeting, str(adjust_form["criterion"].value()))
                if adjust_form
                else options,
                "stale": forms.get("stale"),
            }
        )
    return cards


def _page(
    request: HttpRequest,
    call: Call,
    *,
    bound: dict[int, dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    run = _run(call, request)
    meeting = panel_meeting(call=call, run=run)
    return render(
        request,
        "review/panel/meeting.html",
        {
            "call": call,
            "meeting": meeting,
            "cards": _cards(call, meeting, bound or {}),
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
