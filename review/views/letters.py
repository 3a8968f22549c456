"""Decision letters and procedural appeals.

Administrators (``jury.administer``): the call's letters page (each letter's state, a resend
button, every appeal with its answer form), resending a letter, answering an appeal.
The institution: its letter's download (``bids.view``, 404 for outsiders, like the evaluation
page) and filing an appeal (``bids.appeal``: the bid's coordinator) from the evaluation page.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Bid, Call
from applications.rules import permission_required
from portal import queue
from portal.editing import ClosedForEdits
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.letters import RedressAnswerForm, RedressForm
from review.models import DecisionLetter, RedressRequest
from review.queries.letters import letters_page
from review.services.letters import letter_filename, resend_letter
from review.services.redress import answer_redress, file_redress
from review.tasks import task_send_decision_letter
from review.views.evaluation import render_evaluation


def _letters(
    request: HttpRequest,
    call: Call,
    *,
    answer_forms: dict[int, RedressAnswerForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = letters_page(call=call)
    forms = answer_forms or {}
    context["call"] = call
    context["appeals"] = [
        (appeal, forms.get(appeal.pk) or RedressAnswerForm(prefix=f"answer-{appeal.pk}"))
        for appeal in context["appeals"]
    ]
    return render(request, "review/letters/list.html", context, status=status)


@permission_required("jury.administer")
def letter_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The call's decision letters (queued, sent, failed) and procedural appeals."""
    return _letters(request, get_object_or_404(Call, slug=slug))


@require_POST
@permission_required("jury.administer")
def letter_resend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = get_object_or_404(DecisionLetter.objects.select_related("bid"), pk=pk, call__slug=slug)
    try:
        resend_letter(letter=letter, by=acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _letters(request, letter.call, status=409)
    queue.publish_on_commit(task_send_decision_letter, letter_id=letter.pk)
    messages.success(
        request, _("The letter for %(acronym)s is queued again.") % {"acronym": letter.bid.acronym}
    )
    return redirect("review:call_letters", slug=slug)


@require_POST
@permission_required("jury.administer")
def redress_answer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    appeal = get_object_or_404(
        RedressRequest.objects.select_related("bid__call"), pk=pk, bid__call__slug=slug
    )
    form = RedressAnswerForm(request.POST, prefix=f"answer-{appeal.pk}")
    status = 400
    if form.is_valid():
        try:
            answer_redress(
                appeal=appeal, answer=form.cleaned_data["answer"], by=acting_user(request)
            )
        except ClosedForEdits as closed:
            messages.error(request, " ".join(closed.messages))
            status = 403
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Your answer to the appeal on %(acronym)s is recorded.")
                % {"acronym": appeal.bid.acronym},
            )
            return redirect("review:call_letters", slug=slug)
    return _letters(request, appeal.bid.call, answer_forms={appeal.pk: form}, status=status)


def _bid_or_404(request: HttpRequest, public_id) -> Bid:
    bid = get_object_or_404(
        Bid.objects.select_related("call", "lead_institution"), public_id=public_id
    )
    # 404 rather than 403: outsiders must not learn that the bid exists.
    if not rules.has_perm("bids.view", request.user, bid):
        raise Http404
    return bid


@login_required
def letter_download(request: HttpRequest, public_id) -> FileResponse:
    """The institution's letter (``bids.view``; 404 for outsiders) or an administrator's."""
    bid = _bid_or_404(request, public_id)
    letter = get_object_or_404(DecisionLetter.objects.select_related("call", "bid"), bid=bid)
    response = FileResponse(
        letter.pdf.open("rb"),
        as_attachment=True,
        filename=letter_filename(letter),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@permission_required("bids.appeal", fn=_bid_or_404)
def redress_file(request: HttpRequest, public_id) -> HttpResponse:
    bid = _bid_or_404(request, public_id)
    form = RedressForm(request.POST)
    if form.is_valid():
        try:
            file_redress(bid=bid, text=form.cleaned_data["text"], by=acting_user(request))
        except ClosedForEdits as closed:
            messages.error(request, " ".join(closed.messages))
            return render_evaluation(request, bid, status=403)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your appeal is filed; the administrators will answer it."))
            return redirect("review:evaluation_summary", public_id=bid.public_id)
    return render_evaluation(request, bid, redress_form=form, status=400)
