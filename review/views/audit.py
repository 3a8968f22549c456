"""The administrators' page of a call's audit record: its entries (or a bid's, with
``?bid=<acronym>``), the chain's head and whether it verifies (``review.queries.audit``)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from applications.models import Call
from applications.rules import permission_required
from review.queries.audit import audit_bid, audit_page


@permission_required("jury.administer")
def audit_record(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    acronym = request.GET.get("bid", "").strip()
    bid = None
    if acronym:
        bid = audit_bid(call=call, acronym=acronym)
        if bid is None:
            raise Http404
    return render(
        request,
        "review/audit/audit.html",
        {"call": call, "page": audit_page(call=call, bid=bid)},
    )
