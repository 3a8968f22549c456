"""The evaluation summary an institution receives once the call's results are published.

It is the approved consensus report (scores and comments per criterion, summary); the
individual reviews and the jurors' names are never shown to the institution.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from applications.models import Bid, Call
from review.queries.reviews import evaluation_summary_for


@login_required
def evaluation_summary(request: HttpRequest, public_id) -> HttpResponse:
    bid = get_object_or_404(
        Bid.objects.select_related("call", "lead_institution"), public_id=public_id
    )
    # 404 rather than 403: outsiders must not learn that the bid exists.
    if not rules.has_perm("bids.view", request.user, bid):
        raise Http404
    summary = None
    if bid.call.status == Call.Status.PUBLISHED:
        summary = evaluation_summary_for(bid=bid)
    return render(request, "review/evaluation_summary.html", {"bid": bid, "summary": summary})
