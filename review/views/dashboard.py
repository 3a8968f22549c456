"""The juror's list: assigned bids (minus conflicts) with what is left to do, and deadlines."""

import rules
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications.models import Call
from review import queries
from review.mfa import jury_page


@jury_page
def juror_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    is_admin = rules.has_perm("jury.administer", user)
    juror = getattr(user, "juror_profile", None)
    if juror is None and not is_admin:
        raise PermissionDenied
    rows = []
    if juror is not None:
        rows = [(a, queries.juror_status(a)) for a in queries.juror_assignments(juror=juror)]
    calls = []
    seen: set[int] = set()
    for assignment, _status in rows:
        if assignment.bid.call_id not in seen:
            seen.add(assignment.bid.call_id)
            calls.append(assignment.bid.call)
    counts = {
        status: sum(1 for _a, s in rows if s == status)
        for status in (
            queries.JurorStatus.DECLARE,
            queries.JurorStatus.TO_SCORE,
            queries.JurorStatus.DRAFT,
            queries.JurorStatus.SUBMITTED,
        )
    }
    admin_calls = (
        Call.objects.exclude(status=Call.Status.DRAFT).order_by("-opens_at") if is_admin else []
    )
    return render(
        request,
        "review/juror_dashboard.html",
        {
            "rows": rows,
            "calls": calls,
            "counts": counts,
            "statuses": queries.JurorStatus,
            "admin_calls": admin_calls,
        },
    )
