"""Administrators assign jurors to bids: by hand, or by previewing an automatic proposal."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Call
from review.forms.assignments import AutoAssignmentForm, ManualAssignmentForm
from review.mfa import jury_page
from review.models import Assignment, AssignmentProposal, Conflict, JurorProfile
from review.services.assignments import (
    assign_juror,
    assignable_bids,
    proposal_preview,
    request_assignment_proposal,
    save_assignment_proposal,
    set_rapporteur,
    unassign_juror,
)
from review.tasks import task_compute_assignment
from review.views.jurors import check_administrator


def _assignment_page(
    request: HttpRequest,
    call: Call,
    *,
    manual_form: ManualAssignmentForm | None = None,
    auto_form: AutoAssignmentForm | None = None,
) -> HttpResponse:
    bids = (
        assignable_bids(call=call)
        .select_related("lead_institution")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("juror", "review").order_by(
                    "juror__display_name"
                ),
            )
        )
        .annotate(
            open_conflicts=Count(
                "conflicts",
                filter=Q(conflicts__status=Conflict.Status.SUGGESTED),
                distinct=True,
            )
        )
        .order_by("acronym")
    )
    jurors = (
        JurorProfile.objects.filter(calls=call)
        .annotate(load=Count("assignments", filter=Q(assignments__bid__call=call), distinct=True))
        .order_by("display_name")
    )
    return render(
        request,
        "review/assignments/list.html",
        {
            "call": call,
            "bids": bids,
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
    )


@jury_page
def assignment_list(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    check_administrator(request, call)
    return _assignment_page(request, call)


@require_POST
@jury_page
def assignment_add(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    check_administrator(request, call)
    form = ManualAssignmentForm(request.POST, call=call)
    if form.is_valid():
        try:
            assignment = assign_juror(
                bid=form.cleaned_data["bid"], juror=form.cleaned_data["juror"], by=request.user
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
@jury_page
def assignment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("bid__call", "juror"), pk=pk)
    check_administrator(request, assignment.bid.call)
    try:
        unassign_juror(assignment=assignment, by=request.user)
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
@jury_page
def assignment_rapporteur(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("bid__call", "juror"), pk=pk)
    check_administrator(request, assignment.bid.call)
    set_rapporteur(assignment=assignment, by=request.user)
    messages.success(
        request,
        _("%(juror)s is the rapporteur of %(bid)s.")
        % {"juror": assignment.juror.display_name, "bid": assignment.bid.acronym},
    )
    return redirect("review:assignment_list", slug=assignment.bid.call.slug)


@require_POST
@jury_page
def proposal_create(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    check_administrator(request, call)
    form = AutoAssignmentForm(request.POST)
    if form.is_valid():
        try:
            proposal = request_assignment_proposal(call=call, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            task_compute_assignment.delay_on_commit(proposal_id=proposal.pk)
            return redirect("review:proposal_detail", pk=proposal.pk)
    return _assignment_page(request, call, auto_form=form)


def _get_proposal(request: HttpRequest, pk: int) -> AssignmentProposal:
    proposal = get_object_or_404(AssignmentProposal.objects.select_related("call"), pk=pk)
    check_administrator(request, proposal.call)
    return proposal


@jury_page
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(request, pk)
    return render(
        request,
        "review/assignments/proposal.html",
        {
            "call": proposal.call,
            "proposal": proposal,
            "preview": proposal_preview(proposal=proposal),
            "in_progress": proposal.status
            in (AssignmentProposal.Status.PENDING, AssignmentProposal.Status.RUNNING),
        },
    )


@jury_page
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
@jury_page
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
        _("Assignment saved: %(count)s pairs. Each juror is receiving their list by e-mail.")
        % {"count": len(assignments)},
    )
    return redirect("review:assignment_list", slug=proposal.call.slug)
