"""What an institution reads of its bid once the call's results are published: the outcome
(with the amount awarded and requested, or the reserve position, or the screening reason),
the evaluation summary, the decision letter, and the procedural appeal.

The summary is the approved consensus report (scores and comments per criterion, summary);
the individual reviews and the jurors' names are never shown to the institution. This page
lives in ``review`` (``applications`` never imports it): the bid's page links here by URL name.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from applications.models import Bid, Call
from review.forms.letters import RedressForm
from review.queries.letters import letter_content, outcome_for
from review.queries.reviews import evaluation_summary_for
from review.services.letter_pdf import outcome_sentence


def render_evaluation(
    request: HttpRequest, bid: Bid, *, redress_form: RedressForm | None = None, status: int = 200
) -> HttpResponse:
    context: dict[str, object] = {"bid": bid, "summary": None, "published": False}
    if bid.call.status == Call.Status.PUBLISHED:
        outcome = outcome_for(bid=bid)
        context.update(published=True, outcome=outcome)
        if outcome.letter is not None:
            publication = outcome.letter.call.publication
            content = letter_content(
                letter=outcome.letter,
                publication=publication,
                evaluation_path=reverse("review:evaluation_summary", args=[bid.public_id]),
                language=request.LANGUAGE_CODE,
            )
            context.update(
                content=content, summary=content.summary, sentence=outcome_sentence(content)
            )
        else:
            # Published before letters existed: the summary alone.
            context["summary"] = evaluation_summary_for(bid=bid)
        can_appeal = rules.has_perm("bids.appeal", request.user, bid)
        context["can_appeal"] = can_appeal
        if can_appeal and outcome.redress_open and outcome.appeal is None:
            context["redress_form"] = redress_form or RedressForm()
    return render(request, "review/evaluation_summary.html", context, status=status)


@login_required
def evaluation_summary(request: HttpRequest, public_id) -> HttpResponse:
    bid = get_object_or_404(
        Bid.objects.select_related("call", "lead_institution"), public_id=public_id
    )
    # 404 rather than 403: outsiders must not learn that the bid exists.
    if not rules.has_perm("bids.view", request.user, bid):
        raise Http404
    return render_evaluation(request, bid)
