"""Conflicts of interest: the administrators' list and decisions, jurors' and institutions'
declarations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Bid, BidSection, Call
from applications.rules import permission_required
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.conflicts import (
    ConflictDecisionForm,
    ConflictDeclarationForm,
    ConflictFilterForm,
    InstitutionConflictForm,
)
from review.models import Conflict, ConflictDeclaration
from review.queries.conflicts import conflict_rows
from review.services.conflicts import (
    confirm_conflict,
    declare_conflict,
    declare_institution_conflict,
    detect_conflicts,
    dismiss_conflict,
    set_conflict_pinned,
)


def _list_page(
    request: HttpRequest,
    call: Call,
    *,
    decision_pk: int | None = None,
    decision_form: ConflictDecisionForm | None = None,
) -> HttpResponse:
    """The list; with ``decision_form``, the refused decision on conflict ``decision_pk`` is
    shown again on its row with its errors and the reason as typed."""
    filters = ConflictFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    rows = conflict_rows(call=call, status=status)
    return render(
        request,
        "review/conflicts/list.html",
        {
            "call": call,
            "rows": rows,
            "filters": filters,
            "decision_pk": decision_pk,
            "decision_form": decision_form,
        },
    )


@permission_required("jury.administer")
def conflict_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _list_page(request, get_object_or_404(Call, slug=slug))


@require_POST
@permission_required("jury.administer")
def conflict_detect(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    summary = detect_conflicts(call=call)
    messages.success(
        request,
        _(
            "Detection done: %(created)s new, %(updated)s changed, %(removed)s no longer "
            "found, %(pinned)s pinned decisions kept."
        )
        % {
            "created": summary.created,
            "updated": summary.updated,
            "removed": summary.removed,
            "pinned": summary.kept_pinned,
        },
    )
    return redirect("review:conflict_list", slug=call.slug)


@require_POST
@permission_required("jury.administer")
def conflict_decide(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(Conflict.objects.select_related("bid__call"), pk=pk)
    form = ConflictDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Unknown decision."), status=400)
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"]
    try:
        if action == "confirm":
            confirm_conflict(conflict=conflict, by=acting_user(request))
            messages.success(
                request,
                _("Conflict confirmed: %(juror)s is removed from %(bid)s.")
                % {"juror": conflict.juror.display_name, "bid": conflict.bid.acronym},
            )
        elif action == "dismiss":
            dismiss_conflict(conflict=conflict, by=acting_user(request), reason=reason)
            messages.success(request, _("Conflict dismissed."))
        else:
            set_conflict_pinned(
                conflict=conflict, pinned=action == "pin", by=acting_user(request), reason=reason
            )
            messages.success(
                request,
                _("Decision pinned: detection will leave it as it is.")
                if action == "pin"
                else _("Decision unpinned."),
            )
    except ValidationError as error:
        if action in ("dismiss", "pin"):
            # A missing reason: the row is shown again with the message and what was typed.
            add_errors(form, error)
            return _list_page(
                request, conflict.bid.call, decision_pk=conflict.pk, decision_form=form
            )
        for message in error.messages:
            messages.error(request, message)
    return redirect("review:conflict_list", slug=conflict.bid.call.slug)


def _get_bid(request: HttpRequest, public_id) -> Bid:
    return get_object_or_404(
        Bid.objects.select_related("call", "lead_institution"), public_id=public_id
    )


@permission_required("jury.declare_conflict", fn=_get_bid)
def declare(request: HttpRequest, public_id) -> HttpResponse:
    """Before opening a bid beyond its title and summary, the juror declares their position."""
    bid = _get_bid(request, public_id)
    juror = request.user.juror_profile  # type: ignore[union-attr] # the rule requires a juror
    declaration = ConflictDeclaration.objects.filter(juror=juror, bid=bid).first()
    form = ConflictDeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            declare_conflict(
                juror=juror,
                bid=bid,
                has_conflict=form.has_conflict,
                kind=data["kind"],
                reason=data["reason"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if form.has_conflict:
                messages.success(
                    request,
                    _("Your conflict of interest is recorded; %(bid)s is removed from your list.")
                    % {"bid": bid.acronym},
                )
                return redirect("review:juror_dashboard")
            messages.success(
                request,
                _("Thank you: you may now read and assess %(bid)s.") % {"bid": bid.acronym},
            )
            return redirect("review:bid_detail", public_id=bid.public_id)
    summary = BidSection.objects.filter(bid=bid, key=BidSection.Key.SUMMARY).first()
    return render(
        request,
        "review/conflicts/declare.html",
        {"bid": bid, "summary": summary, "declaration": declaration, "form": form},
    )


@permission_required("bids.edit", fn=_get_bid)
def institution_declare(request: HttpRequest, public_id) -> HttpResponse:
    """The bid's coordinator or an editor names people they consider conflicted."""
    bid = _get_bid(request, public_id)
    form = InstitutionConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            declare_institution_conflict(
                bid=bid,
                email=form.cleaned_data["email"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            # The same answer whether or not the person is a juror.
            messages.success(request, _("Your declaration is recorded."))
            return redirect("review:institution_declare", public_id=bid.public_id)
    return render(request, "review/conflicts/institution_declare.html", {"bid": bid, "form": form})
