"""The juror's list: assigned bids (minus conflicts) with what is left to do, and deadlines."""

import uuid
from dataclasses import dataclass

import rules
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from applications.models import Call
from applications.rules import permission_required
from portal.formats import format_paris_datetime
from portal.pagination import paginate
from review.queries.dashboard import JurorStatus, juror_assignment_values, status_of

S = JurorStatus


@dataclass(frozen=True)
class Row:
    acronym: str
    title: str
    lead: str
    is_rapporteur: bool
    status: str
    status_label: str
    status_css: str
    deadline: str
    detail_url: str
    action_url: str
    action_label: str
    action_css: str


def _rows(juror) -> list[Row]:
    """Rows prepared in Python: a template loop over 200 bids with a URL reversal, a date
    format and four translations per row would cost tens of milliseconds."""
    labels = {
        S.DECLARE: (_("Conflict of interest to declare"), "text-bg-warning"),
        S.TO_SCORE: (_("To score"), "text-bg-secondary"),
        S.DRAFT: (pgettext("review", "Draft"), "text-bg-primary"),
        S.SUBMITTED: (pgettext("review", "Submitted"), "text-bg-success"),
    }
    actions = {
        S.DECLARE: ("detail", _("Declare"), "btn-warning"),
        S.TO_SCORE: ("review", _("Score"), "btn-primary"),
        S.DRAFT: ("review", _("Score"), "btn-primary"),
        S.SUBMITTED: ("review", _("View"), "btn-outline-secondary"),
    }
    placeholder = str(uuid.UUID(int=0))
    patterns = {
        "detail": reverse("review:bid_detail", args=[placeholder]),
        "review": reverse("review:review_form", args=[placeholder]),
    }
    deadlines: dict[int, str] = {}
    rows = []
    for item in juror_assignment_values(juror=juror):
        status = status_of(
            declared_no_conflict=item["declared_no_conflict"], review_status=item["review_status"]
        )
        call_id = item["bid__call_id"]
        if call_id not in deadlines:
            deadlines[call_id] = format_paris_datetime(item["bid__call__review_deadline"]) or "—"
        public_id = str(item["bid__public_id"])
        target, action_label, action_css = actions[status]
        rows.append(
            Row(
                acronym=item["bid__acronym"],
                title=item["bid__title"],
                lead=item["bid__lead_institution__name"],
                is_rapporteur=item["is_rapporteur"],
                status=status,
                status_label=labels[status][0],
                status_css=labels[status][1],
                deadline=deadlines[call_id],
                detail_url=patterns["detail"].replace(placeholder, public_id),
                action_url=patterns[target].replace(placeholder, public_id),
                action_label=action_label,
                action_css=action_css,
            )
        )
    return rows


@permission_required("jury.see_dashboard")
def juror_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    is_admin = rules.has_perm("jury.administer", user)
    juror = getattr(user, "juror_profile", None)
    rows = _rows(juror) if juror is not None else []
    counts = {status: sum(1 for r in rows if r.status == status) for status in S.ALL}
    calls = (
        Call.objects.filter(bids__assignments__juror=juror).distinct().order_by("review_deadline")
        if rows
        else []
    )
    admin_calls = (
        Call.objects.exclude(status=Call.Status.DRAFT).order_by("-opens_at") if is_admin else []
    )
    return render(
        request,
        "review/juror_dashboard.html",
        {
            "rows": rows,
            "page": paginate(request, rows),
            "calls": calls,
            "counts": counts,
            "admin_calls": admin_calls,
        },
    )
