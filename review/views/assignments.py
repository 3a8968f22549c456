"""Administrators assign jurors to bids: by hand, or by previewing an automatic proposal."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.mfa import json_endpoint
from applications.models import Call
from applications.rules import permission_required
from portal import queue
from portal.users import acting_user
from review.forms.assignments import AutoAssignmentForm, ManualAssignmentForm
from review.models import Assignment, AssignmentProposal
from review.queries.assignments import bids_to_assign, jurors_with_load, proposal_preview
from review.services.assignments import (
    assign_juror,
    request_assignment_proposal,
    save_assignment_proposal,
    set_rapporteur,
    unassign_juror,
)
from review.services.proposal_index import index_proposal_result
from review.tasks import task_compute_assignment


def _assignment_page(
    request: HttpRequest,
    call: Call,
    *,
    manual_form: ManualAssignmentForm | None = None,
    auto_form: AutoAssignmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    bids = list(bids_to_assign(call=call))
    jurors = jurors_with_load(call=call)
    return render(
        request,
        "review/assignments/list.html",
        {
            "call": call,
            "bids": bids,
            "understaffed": [bid for bid in bids if bid.understaffed],  # type: ignore[attr-defined]  # annotated by bids_to_assign
            "jurors": jurors,
            "manual_form": manual_form or ManualAssignmentForm(call=call),
            "auto_form": auto_form
            or AutoAssignmentForm(
                initial={"jurors_per_bid": call.jurors_per_bid, "min_load": 0, "max_load": 10}
            ),
            "proposals": AssignmentProposal.objects.filter(call=call).select_related("created_by")[
                :5
            ],
        },
        status=status,
    )


@permission_required("jury.administer")
def assignment_list(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    return _assignment_page(request, call)


@require_POST
@permission_required("jury.administer")
def assignment_add(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    form = ManualAssignmentForm(request.POST, call=call)
    if form.is_valid():
        try:
            assignment = assign_juror(
                bid=form.cleaned_data["bid"],
                juror=form.cleaned_data["juror"],
                by=acting_user(request),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("%(juror)s is assigned to %(bid)s.")
                % {"juror": assignment.juror.display_name, "bid": assignment.bid.acronym},
            )
            return redirect("review:assignment_list", slug=call.slug)
    return _assignment_page(request, call, manual_form=form)


@require_POST
@permission_required("jury.administer")
def assignment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("bid__call", "juror"), pk=pk)
    try:
        unassign_juror(assignment=assignment, by=acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(juror)s is removed from %(bid)s.")
            % {"juror": assignment.juror.display_name, "bid": assignment.bid.acronym},
        )
    return redirect("review:assignment_list", slug=assignment.bid.call.slug)


@require_POST
@permission_required("jury.administer")
def assignment_rapporteur(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("bid__call", "juror"), pk=pk)
    set_rapporteur(assignment=assignment, by=acting_user(request))
    messages.success(
        request,
        _("%(juror)s is the rapporteur of %(bid)s.")
        % {"juror": assignment.juror.display_name, "bid": assignment.bid.acronym},
    )
    return redirect("review:assignment_list", slug=assignment.bid.call.slug)


@require_POST
@permission_required("jury.administer")
def proposal_create(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    form = AutoAssignmentForm(request.POST)
    if form.is_valid():
        try:
            proposal = request_assignment_proposal(call=call, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            try:
                queue.start(task_compute_assignment, row=proposal, proposal_id=proposal.pk)
            except queue.BrokerUnavailable as error:
                form.add_error(None, error.message)
                return _assignment_page(request, call, auto_form=form, status=503)
            return redirect("review:proposal_detail", pk=proposal.pk)
    return _assignment_page(request, call, auto_form=form)


def _get_proposal(request: HttpRequest, pk: int) -> AssignmentProposal:
    return get_object_or_404(AssignmentProposal.objects.select_related("call"), pk=pk)


def _preview_proposal(pk: int) -> AssignmentProposal:
    return get_object_or_404(
        AssignmentProposal.objects.select_related("call", "preview_index").defer("result"),
        pk=pk,
    )


@permission_required("jury.administer")
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One page of bids and one of jurors, read from the proposal's index (its stored result,
    every pair, is not decoded)."""
    proposal = _preview_proposal(pk)
    # A proposal computed before the index existed is indexed once, when first shown.
    computed = (AssignmentProposal.Status.READY, AssignmentProposal.Status.FAILED)
    if proposal.status in computed and not hasattr(proposal, "preview_index"):
        index_proposal_result(proposal_id=proposal.pk)
        proposal = _preview_proposal(pk)
    return render(
        request,
        "review/assignments/proposal.html",
        {
            "call": proposal.call,
            "proposal": proposal,
            "preview": proposal_preview(
                proposal=proposal,
                bid_page=request.GET.get("page"),
                juror_page=request.GET.get("jurors_page"),
            ),
            "in_progress": proposal.status
            in (AssignmentProposal.Status.PENDING, AssignmentProposal.Status.RUNNING),
        },
    )


@json_endpoint
@permission_required("jury.administer")
def proposal_progress(request: HttpRequest, pk: int) -> JsonResponse:
    proposal = _get_proposal(request, pk)
    return JsonResponse(
        {
            "status": proposal.status,
            "status_display": proposal.get_status_display(),
            "progress": proposal.progress,
        }
    )


@require_POST
@permission_required("jury.administer")
def proposal_save(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(request, pk)
    try:
        assignments = save_assignment_proposal(proposal=proposal, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("review:proposal_detail", pk=proposal.pk)
    messages.success(
        request,
        _(
            "Assignment saved: %(count)s pairs. The jurors whose list changed are e-mailed "
            "the bids added and removed."
        )
        % {"count": len(assignments)},
    )
    return redirect("review:assignment_list", slug=proposal.call.slug)
