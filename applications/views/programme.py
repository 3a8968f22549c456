"""Programme administrators' pages: calls, their status, their bids, eligibility screening.

Administrators must have TOTP (two-factor authentication) before they see any bid, as on
every page: the one gate is ``applications.mfa.TotpGateMiddleware``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.forms.programme import BidFilterForm, ScreeningForm, TransitionForm
from applications.models import Bid, Call
from applications.queries import (
    bids_for_programme,
    calls_with_bid_counts,
    filter_programme_bids,
)
from applications.rules import permission_required
from applications.services.calls import allowed_transitions, transition_call
from applications.services.eligibility import check_screening_open, screen_bid
from portal.editing import EvaluationFrozen
from portal.forms import add_errors
from portal.pagination import paginate
from portal.users import acting_user


def _get_call(request: HttpRequest, slug: str, **kwargs) -> Call:
    return get_object_or_404(Call, slug=slug)


@permission_required("calls.manage")
def admin_dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "applications/admin_dashboard.html", {"calls": calls_with_bid_counts()})


@permission_required("calls.manage", fn=_get_call)
def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(calls_with_bid_counts(), slug=slug)
    transitions = [(status, Call.Status(status).label) for status in allowed_transitions(call=call)]
    return render(
        request,
        "applications/programme/call_detail.html",
        {
            "call": call,
            "transitions": transitions,
            "required_attachments": call.required_attachments.all(),
        },
    )


@require_POST
@permission_required("calls.manage", fn=_get_call)
def call_transition(request: HttpRequest, slug: str) -> HttpResponse:
    call = _get_call(request, slug)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("applications:programme_call", slug=slug)
    try:
        transition_call(
            call=call, to_status=form.cleaned_data["to_status"], by=acting_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        # The page shows why; the status code tells a script the change was refused.
        return render(
            request,
            "applications/programme/call_detail.html",
            {
                "call": get_object_or_404(calls_with_bid_counts(), slug=slug),
                "transitions": [
                    (status, Call.Status(status).label) for status in allowed_transitions(call=call)
                ],
                "required_attachments": call.required_attachments.all(),
            },
            status=409,
        )
    messages.success(
        request, _("The call is now “%(status)s”.") % {"status": call.get_status_display()}
    )
    return redirect("applications:programme_call", slug=slug)


@permission_required("calls.manage", fn=_get_call)
def call_bids(request: HttpRequest, slug: str) -> HttpResponse:
    call = _get_call(request, slug)
    filters = BidFilterForm(request.GET or None)
    bids = bids_for_programme(call=call)
    if filters.is_valid():
        bids = filter_programme_bids(
            bids,
            status=filters.cleaned_data["status"],
            eligibility=filters.cleaned_data["eligibility"],
            text=filters.cleaned_data["text"],
            sort=filters.cleaned_data["sort"],
            extra=filters.extra_filters(),
        )
    try:
        check_screening_open(call=call)
        screening_open = True
    except (ValidationError, EvaluationFrozen):
        screening_open = False
    return render(
        request,
        "applications/programme/call_bids.html",
        {
            "call": call,
            "bids": paginate(request, bids),
            "filters": filters,
            "screening_open": screening_open,
        },
    )


def _get_bid(request: HttpRequest, slug: str, public_id, **kwargs) -> Bid:
    return get_object_or_404(
        Bid.objects.select_related("call", "lead_institution", "eligibility_decided_by"),
        call__slug=slug,
        public_id=public_id,
    )


@permission_required("bids.screen", fn=_get_bid)
def screen(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    bid = _get_bid(request, slug, public_id)
    initial = {}
    if bid.eligibility != Bid.Eligibility.PENDING:
        initial = {
            "eligible": "yes" if bid.eligibility == Bid.Eligibility.ELIGIBLE else "no",
            "reason": bid.eligibility_reason,
        }
    form = ScreeningForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            screen_bid(
                bid=bid,
                eligible=form.cleaned_data["eligible"],
                reason=form.cleaned_data["reason"],
                by=acting_user(request),
            )
        except ValidationError as error:
            add_errors(form, error)
            if not hasattr(error, "error_dict"):
                # Screening is closed or the bid is not submitted: a refused write.
                status = 409
        else:
            messages.success(
                request, _("Eligibility of %(acronym)s recorded.") % {"acronym": bid.acronym}
            )
            return redirect("applications:programme_call_bids", slug=slug)
    try:
        check_screening_open(call=bid.call)
        screening_open = bid.status == Bid.Status.SUBMITTED
    except ValidationError as error:
        screening_open = False
        if request.method == "GET":
            messages.warning(request, " ".join(error.messages))
    except EvaluationFrozen as frozen:
        screening_open = False
        if request.method == "GET":
            messages.warning(request, str(frozen))
    return render(
        request,
        "applications/programme/screen.html",
        {"bid": bid, "form": form, "screening_open": screening_open},
        status=status,
    )
