"""The consortium page of a bid: its header fields, its partners on the portal (requests
that need the partner's consent) and its partners not on the portal.

Every view fetches the bid through ``get_bid_for`` (404 if the user may not see it, 403 if
they may see it but not do the action) and hands the write to one service; invalid input
re-renders the page with what the user typed and the message.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import queries
from applications.forms.bids import ConsortiumForm
from applications.forms.partnerships import ExternalPartnerForm, PartnershipRequestForm
from applications.models import Bid, ExternalPartner, Partnership
from applications.services import bids as bid_services
from applications.services import partnerships as partnership_services
from applications.views.bids import closed_response, workspace_context
from portal.editing import CallClosed
from portal.forms import add_errors
from portal.users import acting_user


def _page(
    request: HttpRequest,
    bid: Bid,
    *,
    form: ConsortiumForm | None = None,
    partner_form: PartnershipRequestForm | None = None,
    external_form: ExternalPartnerForm | None = None,
) -> HttpResponse:
    user = request.user
    context = workspace_context(request, bid, active="consortium")
    # The lead's members (and administrators) see the history; partners see who is in.
    lead_side = rules.has_perm("institutions.view", user, bid.lead_institution)
    can_manage = (
        rules.has_perm("bids.manage_partners", user, bid)
        and context["accepting"]
        and bid.status != Bid.Status.WITHDRAWN
    )
    context.update(
        {
            "form": form or ConsortiumForm(bid=bid),
            "partnerships": list(queries.bid_partnerships(bid=bid, with_history=lead_side)),
            "external_partners": list(queries.external_partners(bid=bid)),
            "can_manage_partners": can_manage,
            "partner_form": (
                partner_form
                or PartnershipRequestForm(institutions=queries.partner_choices(bid=bid))
            )
            if can_manage
            else None,
            "external_form": (external_form or ExternalPartnerForm())
            if context["writable"]
            else None,
        }
    )
    return render(request, "applications/bids/consortium.html", context)


@login_required
def consortium(request: HttpRequest, public_id) -> HttpResponse:
    perm = "bids.edit" if request.method == "POST" else "bids.view"
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm=perm)
    form = ConsortiumForm(request.POST or None, bid=bid)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bid_services.update_consortium(
                bid=bid,
                version=data["version"],
                acronym=data["acronym"],
                title=data["title"],
                requested_amount=data["requested_amount"],
                minimum_amount=data["minimum_amount"],
                by=acting_user(request),
            )
        except CallClosed as error:
            return closed_response(request, bid, error)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Consortium saved."))
            return redirect("applications:bid_consortium", public_id=bid.public_id)
    return _page(request, bid, form=form)


@login_required
@require_POST
def request_partner(request: HttpRequest, public_id) -> HttpResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.manage_partners")
    form = PartnershipRequestForm(request.POST, institutions=queries.partner_choices(bid=bid))
    if form.is_valid():
        institution = form.cleaned_data["institution"]
        try:
            partnership_services.request_partnership(
                bid=bid, institution=institution, by=acting_user(request)
            )
        except CallClosed as error:
            return closed_response(request, bid, error)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "%(institution)s is asked to join the consortium: its coordinators are "
                    "e-mailed. Its members see nothing of the bid until one of them accepts."
                )
                % {"institution": institution.name},
            )
            return redirect("applications:bid_consortium", public_id=bid.public_id)
    return _page(request, bid, partner_form=form)


@login_required
@require_POST
def withdraw_partner(request: HttpRequest, public_id, pk: int) -> HttpResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.manage_partners")
    partnership = get_object_or_404(Partnership, bid=bid, pk=pk)
    try:
        changed = partnership_services.withdraw_partnership(
            partnership=partnership, by=acting_user(request)
        )
    except CallClosed as error:
        return closed_response(request, bid, error)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(institution)s is no longer a partner of this bid; its coordinators are told.")
            % {"institution": changed.institution.name},
        )
    return redirect("applications:bid_consortium", public_id=bid.public_id)


@login_required
@require_POST
def add_external_partner(request: HttpRequest, public_id) -> HttpResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.edit")
    form = ExternalPartnerForm(request.POST)
    if form.is_valid():
        try:
            partnership_services.add_external_partner(
                bid=bid,
                name=form.cleaned_data["name"],
                country=form.cleaned_data["country"],
                kind=form.cleaned_data["kind"],
                by=acting_user(request),
            )
        except CallClosed as error:
            return closed_response(request, bid, error)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Partner added."))
            return redirect("applications:bid_consortium", public_id=bid.public_id)
    return _page(request, bid, external_form=form)


@login_required
@require_POST
def remove_external_partner(request: HttpRequest, public_id, pk: int) -> HttpResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.edit")
    partner = get_object_or_404(ExternalPartner, bid=bid, pk=pk)
    try:
        partnership_services.remove_external_partner(partner=partner, by=acting_user(request))
    except CallClosed as error:
        return closed_response(request, bid, error)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Partner removed."))
    return redirect("applications:bid_consortium", public_id=bid.public_id)
