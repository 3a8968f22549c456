"""Jury pages on one bid: reading it, downloading its PDFs, scoring it, the other reviews.

Access (django-rules, asked with ``rules.has_perm`` so that Django's superuser shortcut
does not bypass the jury's rules; ``review/rules.py``):
- a bid the user may not even see the title of (unassigned, conflicted) is a 404: its
  existence does not leak;
- an assigned juror who has not declared "no conflict" sees the title and summary only, and
  gets 403 on everything else;
- administrators (``jury.administer``) read everything (``jury.see_bid_summary``,
  ``jury.read_bid`` include them) but do not score.
"""

import hashlib
import logging

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications.models import Bid
from applications.queries import partner_names
from applications.rules import permission_required
from applications.services.attachments import served_name
from portal.editing import ClosedForEdits, EvaluationFrozen, StaleEdit
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.reviews import SUBMIT, ReopenReviewForm, ReviewForm
from review.models import Assignment, Review
from review.queries.criteria import criteria_of
from review.queries.documents import bid_documents, submitted_attachment
from review.queries.reviews import reviews_of_bid
from review.queries.visibility import active_assignment
from review.services.reviews import (
    check_review_editable,
    reopen_review,
    save_review_draft,
    submit_review,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- access helpers


def access_jury_bid(request: HttpRequest, public_id) -> Bid:
    """The bid if the user may at least see its title and summary; 404 otherwise."""
    bid = get_object_or_404(
        Bid.objects.select_related("call", "lead_institution"), public_id=public_id
    )
    if rules.has_perm("jury.see_bid_summary", request.user, bid):
        return bid
    raise Http404


def access_review_assignment(request: HttpRequest, bid: Bid) -> Assignment:
    """The user's active assignment on the bid, if they may score it; 403 otherwise."""
    if not rules.has_perm("jury.review_bid", request.user, bid):
        raise PermissionDenied(_("Declare your conflicts of interest on this bid first."))
    assignment = active_assignment(request.user, bid)
    if assignment is None:  # pragma: no cover - implied by the permission above
        raise PermissionDenied
    assignment.bid = bid
    return assignment


def closed_response(request: HttpRequest, bid: Bid, message: str) -> HttpResponse:
    return render(
        request, "review/reviews/closed.html", {"bid": bid, "message": message}, status=403
    )


# --------------------------------------------------------------------------- reading


@login_required
def bid_detail(request: HttpRequest, public_id) -> HttpResponse:
    bid = access_jury_bid(request, public_id)
    user = request.user
    can_read = rules.has_perm("jury.read_bid", user, bid)
    documents = bid_documents(bid=bid)
    assignment = active_assignment(user, bid)
    review = Review.objects.filter(assignment=assignment).first() if assignment else None
    return render(
        request,
        "review/reviews/bid_detail.html",
        {
            "bid": bid,
            "can_read": can_read,
            "documents": documents if can_read else None,
            "partners": documents.partners or partner_names(bid=bid),
            "summary": documents.summary,
            "assignment": assignment,
            "review": review,
            "can_review": assignment is not None and rules.has_perm("jury.review_bid", user, bid),
            "is_admin": rules.has_perm("jury.administer", user),
        },
    )


@login_required
def download_attachment(request: HttpRequest, public_id, index: int) -> FileResponse:
    """A PDF of the latest submitted version, from the file the snapshot names, checked
    against the snapshot's SHA-256 (a file that does not match is never served)."""
    bid = access_jury_bid(request, public_id)
    if not rules.has_perm("jury.read_bid", request.user, bid):
        raise PermissionDenied(_("Declare your conflicts of interest on this bid first."))
    entry = submitted_attachment(bid=bid, index=index)
    if entry is None or not default_storage.exists(entry.file):
        raise Http404
    digest = hashlib.sha256()
    with default_storage.open(entry.file, "rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 16), b""):
            digest.update(chunk)
    if digest.hexdigest() != entry.sha256:
        logger.error("attachment %s of bid %s does not match its snapshot hash", index, bid.pk)
        raise Http404
    logger.info("user %s downloaded attachment %s of bid %s", request.user.pk, index, bid.pk)
    response = FileResponse(
        default_storage.open(entry.file, "rb"),
        as_attachment=True,
        filename=served_name(entry.name, fallback=f"{bid.acronym}-{index + 1}"),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- scoring


@login_required
@require_http_methods(["GET", "POST"])
def review_form(request: HttpRequest, public_id) -> HttpResponse:
    bid = access_jury_bid(request, public_id)
    assignment = access_review_assignment(request, bid)
    review = (
        Review.objects.filter(assignment=assignment)
        .prefetch_related("scores", "reopenings")
        .first()
    )
    criteria = criteria_of(bid.call)
    context = {
        "bid": bid,
        "review": review,
        "criteria": criteria,
        "last_reopening": review.reopenings.first() if review else None,
    }
    locked_message = None
    try:
        check_review_editable(assignment=assignment, review=review)
    except ClosedForEdits as closed:
        locked_message = " ".join(closed.messages)
    except EvaluationFrozen as frozen:
        locked_message = str(frozen)

    if request.method == "GET":
        form = ReviewForm(initial=ReviewForm.initial_for(review), criteria=criteria)
        return render(
            request,
            "review/reviews/review_form.html",
            {**context, "form": form, "locked_message": locked_message},
        )

    if locked_message:
        return closed_response(request, bid, locked_message)
    form = ReviewForm(request.POST, criteria=criteria)
    submitting = request.POST.get("action") == SUBMIT
    status = 200
    if form.is_valid():
        service = submit_review if submitting else save_review_draft
        try:
            service(
                assignment=assignment,
                by=acting_user(request),
                scores=form.score_inputs(),
                overall_comment=form.cleaned_data["overall_comment"],
                confidence=form.cleaned_data["confidence"],
                expected_version=form.cleaned_data["version"],
            )
        except ClosedForEdits as closed:
            return closed_response(request, bid, " ".join(closed.messages))
        except StaleEdit as stale:
            add_errors(form, stale)
            status = 409
        except ValidationError as error:
            add_errors(form, error)
        else:
            if submitting:
                messages.success(request, _("Your review is submitted. Thank you."))
                return redirect("review:bid_reviews", public_id=bid.public_id)
            messages.success(request, _("Draft saved."))
            return redirect("review:review_form", public_id=bid.public_id)
    return render(
        request,
        "review/reviews/review_form.html",
        {**context, "form": form, "locked_message": None},
        status=status,
    )


# --------------------------------------------------------------------------- others' reviews


def others_hidden_reason(*, bid: Bid, own_review: Review | None) -> str | None:
    """Why a juror may not see the other reviews of the bid yet, or ``None`` if they may."""
    if bid.call.jury_visibility == bid.call.JuryVisibility.NEVER:
        return _("On this call, jurors do not see each other's reviews.")
    if own_review is None or own_review.status != Review.Status.SUBMITTED:
        return _("You will see the other jurors' reviews once you have submitted your own.")
    return None


@login_required
def bid_reviews(request: HttpRequest, public_id) -> HttpResponse:
    """The reviews of a bid: all of them for administrators; for a juror, subject to independence."""
    bid = access_jury_bid(request, public_id)
    criteria = criteria_of(bid.call)
    is_admin = rules.has_perm("jury.administer", request.user)
    own_review = None
    if not is_admin:
        assignment = access_review_assignment(request, bid)
        own_review = Review.objects.filter(assignment=assignment).first()
        hidden = others_hidden_reason(bid=bid, own_review=own_review)
        if hidden:
            return render(
                request,
                "review/reviews/bid_reviews.html",
                {"bid": bid, "hidden_reason": hidden, "own_review": own_review},
                status=403,
            )
    cards = reviews_of_bid(bid=bid, criteria=criteria, submitted_only=not is_admin)
    return render(
        request,
        "review/reviews/bid_reviews.html",
        {
            "bid": bid,
            "criteria": criteria,
            "cards": cards,
            "is_admin": is_admin,
            "own_review": own_review,
            "hidden_reason": None,
        },
    )


@permission_required("jury.administer")
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest, review_id: int) -> HttpResponse:
    review = get_object_or_404(
        Review.objects.select_related("assignment__bid__call", "assignment__juror"), pk=review_id
    )
    bid = review.assignment.bid
    form = ReopenReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reopen_review(
                review=review, by=acting_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The review by %(juror)s is reopened; the juror can edit it again.")
                % {"juror": review.assignment.juror.display_name},
            )
            return redirect("review:bid_reviews", public_id=bid.public_id)
    return render(
        request, "review/reviews/reopen.html", {"form": form, "review": review, "bid": bid}
    )
