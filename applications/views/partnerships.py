"""The partner's side of a partnership: the requests an institution received, and its
coordinators' answers (accept, decline) and departure (leave).

Until a request is accepted, this page is all the partner sees of the bid: its acronym and
title, the call, the lead institution, who asked and when. Each write fetches the
partnership through ``get_partnership_for`` (404 for someone who is neither side, 403 for a
member who is not a coordinator of the partner) and calls one service.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import queries
from applications.models import Partnership
from applications.services import partnerships as partnership_services
from portal.editing import CallClosed
from portal.users import acting_user


@login_required
def incoming(request: HttpRequest) -> HttpResponse:
    rows = list(queries.incoming_partnerships(user=request.user))
    return render(
        request,
        "applications/partnerships/incoming.html",
        {
            "requested": [p for p in rows if p.status == Partnership.Status.REQUESTED],
            "accepted": [p for p in rows if p.status == Partnership.Status.ACCEPTED],
            "closed": [p for p in rows if p.status not in Partnership.OPEN],
            "has_membership": bool(queries.user_institution_ids(user=request.user)),
        },
    )


def _respond(
    request: HttpRequest,
    pk: int,
    service: Callable[..., Partnership],
    success: str,
) -> HttpResponse:
    partnership = queries.get_partnership_for(user=request.user, pk=pk, perm="partnerships.respond")
    try:
        changed = service(partnership=partnership, by=acting_user(request))
    except CallClosed as error:
        # The bid's pages may be out of the user's reach: the way back is this page.
        return render(
            request,
            "applications/partnerships/closed.html",
            {"message": " ".join(error.messages)},
            status=403,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            success % {"acronym": changed.bid.acronym, "lead": changed.bid.lead_institution.name},
        )
    return redirect("applications:partnerships")


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _respond(
        request,
        pk,
        partnership_services.accept_partnership,
        _(
            "You are now a partner of %(acronym)s (led by %(lead)s): your institution's "
            "members can read the bid."
        ),
    )


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _respond(
        request,
        pk,
        partnership_services.decline_partnership,
        _("You declined to be a partner of %(acronym)s (led by %(lead)s)."),
    )


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    return _respond(
        request,
        pk,
        partnership_services.leave_partnership,
        _(
            "Your institution left %(acronym)s (led by %(lead)s): its members no longer see "
            "the bid."
        ),
    )
