"""The consensus page of a bid: the rapporteur drafts, the jurors comment, an administrator approves.

Who sees what:
- the rapporteur, once every juror of the bid has submitted: all individual reviews and the
  consensus form (this holds even when the call hides reviews between jurors: drafting a
  consensus requires reading them);
- the bid's other active jurors, once their own review is submitted: the consensus draft and
  its comments (not the individual reviews, which follow the call's visibility setting);
- administrators: everything, and the approve / return buttons.
Anyone else gets 404 (not assigned, conflicted) or 403 (not declared, review not submitted).
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from applications.models import Bid
from applications.rules import permission_required
from portal.editing import ClosedForEdits, StaleEdit
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.consensus import ConsensusCommentForm, ConsensusForm, ConsensusReturnForm
from review.models import Assignment, ConsensusReport, Review
from review.queries.criteria import criteria_of
from review.queries.reviews import all_reviews_submitted, evaluation_summary_for, reviews_of_bid
from review.services.consensus import (
    approve_consensus,
    comment_on_consensus,
    return_consensus,
    save_consensus,
)
from review.views.reviews import access_jury_bid, access_review_assignment

SUBMIT = "submit"


def _juror_access(request: HttpRequest, bid: Bid) -> Assignment:
    """The juror's assignment if they may open the consensus page; 403 otherwise."""
    assignment = access_review_assignment(request, bid)
    if assignment.is_rapporteur:
        return assignment
    own = Review.objects.filter(assignment=assignment).values_list("status", flat=True).first()
    if own != Review.Status.SUBMITTED:
        raise PermissionDenied(_("Submit your own review before opening the consensus report."))
    return assignment


def _report(bid: Bid) -> ConsensusReport | None:
    return (
        ConsensusReport.objects.filter(bid=bid)
        .select_related("rapporteur", "approved_by")
        .prefetch_related("scores", "comments__author")
        .first()
    )


def _render(
    request: HttpRequest,
    bid: Bid,
    *,
    assignment: Assignment | None,
    form: ConsensusForm | None = None,
    comment_form: ConsensusCommentForm | None = None,
    return_form: ConsensusReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_admin = assignment is None
    criteria = criteria_of(bid.call)
    report = _report(bid)
    ready = all_reviews_submitted(bid=bid)
    is_rapporteur = bool(assignment and assignment.is_rapporteur)
    frozen = bid.call.evaluation_frozen
    can_edit = not frozen and is_rapporteur and ready and (report is None or report.is_editable)
    if can_edit and form is None:
        form = ConsensusForm(initial=ConsensusForm.initial_for(report), criteria=criteria)
    consensus_scores = {s.criterion_id: s for s in report.scores.all()} if report else {}
    return render(
        request,
        "review/consensus/consensus.html",
        {
            "bid": bid,
            "report": report,
            "ready": ready,
            "is_admin": is_admin,
            "is_rapporteur": is_rapporteur,
            "form": form if can_edit else None,
            "comment_form": comment_form or ConsensusCommentForm(),
            "return_form": return_form or ConsensusReturnForm(),
            "can_comment": not frozen
            and not is_admin
            and report is not None
            and report.accepts_comments,
            "frozen": frozen,
            "consensus_rows": [(c, consensus_scores.get(c.pk)) for c in criteria],
            "cards": reviews_of_bid(bid=bid, criteria=criteria)
            if (is_admin or is_rapporteur) and ready
            else [],
            "summary": evaluation_summary_for(bid=bid) if report else None,
        },
        status=status,
    )


def _access(request: HttpRequest, public_id) -> tuple[Bid, Assignment | None]:
    bid = access_jury_bid(request, public_id)
    if rules.has_perm("jury.administer", request.user):
        return bid, None
    return bid, _juror_access(request, bid)


@login_required
@require_http_methods(["GET", "POST"])
def consensus(request: HttpRequest, public_id) -> HttpResponse:
    bid, assignment = _access(request, public_id)
    if request.method == "GET":
        return _render(request, bid, assignment=assignment)
    if assignment is None or not assignment.is_rapporteur:
        raise PermissionDenied(_("Only the bid's rapporteur drafts its consensus report."))
    form = ConsensusForm(request.POST, criteria=criteria_of(bid.call))
    status = 200
    if form.is_valid():
        submitting = request.POST.get("action") == SUBMIT
        try:
            save_consensus(
                bid=bid,
                rapporteur=assignment,
                by=acting_user(request),
                scores=form.score_inputs(),
                summary=form.cleaned_data["summary"],
                expected_version=form.cleaned_data["version"],
                submit=submitting,
            )
        except ClosedForEdits as closed:
            messages.error(request, " ".join(closed.messages))
            return _render(request, bid, assignment=assignment, status=403)
        except StaleEdit as stale:
            add_errors(form, stale)
            status = 409
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The consensus report is submitted for approval.")
                if submitting
                else _("Consensus draft saved."),
            )
            return redirect("review:consensus", public_id=bid.public_id)
    return _render(request, bid, assignment=assignment, form=form, status=status)


@login_required
@require_POST
def comment(request: HttpRequest, public_id) -> HttpResponse:
    bid, assignment = _access(request, public_id)
    if assignment is None:
        raise PermissionDenied(_("Comments on the consensus come from the bid's jurors."))
    report = get_object_or_404(ConsensusReport, bid=bid)
    form = ConsensusCommentForm(request.POST)
    if form.is_valid():
        try:
            comment_on_consensus(
                report=report, author=assignment.juror, text=form.cleaned_data["text"]
            )
        except ClosedForEdits as closed:
            messages.error(request, " ".join(closed.messages))
            return _render(request, bid, assignment=assignment, status=403)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Comment added."))
            return redirect("review:consensus", public_id=bid.public_id)
    return _render(request, bid, assignment=assignment, comment_form=form)


@permission_required("jury.administer")
@require_POST
def approve(request: HttpRequest, public_id) -> HttpResponse:
    bid = get_object_or_404(Bid.objects.select_related("call"), public_id=public_id)
    report = get_object_or_404(ConsensusReport, bid=bid)
    action = request.POST.get("action", "approve")
    if action == "return":
        form = ConsensusReturnForm(request.POST)
        if form.is_valid():
            try:
                return_consensus(
                    report=report, by=acting_user(request), reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                # The reason is missing (or the report moved on): shown again with the text.
                add_errors(form, error)
                return _render(request, bid, assignment=None, return_form=form)
            messages.success(request, _("The report is back with the rapporteur as a draft."))
        else:
            return _render(request, bid, assignment=None, return_form=form)
        return redirect("review:consensus", public_id=bid.public_id)
    try:
        approve_consensus(report=report, by=acting_user(request))
        messages.success(request, _("Consensus approved: it is now the bid's evaluation summary."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("review:consensus", public_id=bid.public_id)
