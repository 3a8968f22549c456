"""The bid workspace: dashboard, overview, sections (with autosave), budget, submission,
withdrawal and receipts (the consortium page: ``applications/views/consortium.py``).

Every view fetches the bid through ``get_bid_for`` (404 if the user may not see it, 403 if
they may see it but not do the action) and hands writes to one service. Writes refused
because the call has closed get a 403 page (or 403 JSON for autosave) saying so.
"""

import json

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from applications import queries
from applications.forms.bids import (
    BudgetForm,
    SectionForm,
    StartBidForm,
    WithdrawForm,
)
from applications.mfa import json_endpoint
from applications.models import Bid, BidSection, BidVersion, Call, Institution
from applications.queries import BudgetSummary
from applications.services import bids as bid_services
from applications.services import submission as submission_services
from applications.services.bid_pdf import whole_bid_pdf
from applications.validators import validate_clean_text
from portal import transitions
from portal.editing import CallClosed, StaleEdit
from portal.formats import euro_script_formats, format_euros, format_paris_time
from portal.forms import add_errors
from portal.users import acting_user


def closed_response(request: HttpRequest, bid: Bid, error: ValidationError) -> HttpResponse:
    """403 page for a write that arrived after the deadline (or while the call is not open)."""
    return render(
        request,
        "applications/bids/closed.html",
        {"bid": bid, "message": " ".join(error.messages)},
        status=403,
    )


def workspace_context(request: HttpRequest, bid: Bid, *, active: str) -> dict:
    """What every page of the workspace shows: header, side navigation, permissions."""
    user = request.user
    can_edit = rules.has_perm("bids.edit", user, bid)
    accepting = bid.call.is_accepting_submissions()
    return {
        "bid": bid,
        "call": bid.call,
        "active": active,
        "sections": BidSection.Key.choices,
        "can_edit": can_edit,
        "can_submit": rules.has_perm("bids.submit", user, bid),
        "accepting": accepting,
        "writable": can_edit and accepting and bid.status != Bid.Status.WITHDRAWN,
    }


@login_required
def dashboard(request: HttpRequest, start_form: StartBidForm | None = None) -> HttpResponse:
    user = request.user
    bids = list(queries.dashboard_bids(user=user))
    for bid in bids:
        bid.missing = queries.missing_items(bid)  # type: ignore[attr-defined]  # read by the dashboard template
        bid.total_items = queries.total_items(bid)  # type: ignore[attr-defined]  # read by the dashboard template
    options = queries.start_options(user=user)
    if start_form is None and options:
        start_form = _start_form(request, options)
    context = {
        "bids": bids,
        "start_options": options,
        "start_form": start_form,
        "has_membership": bool(queries.user_institution_ids(user=user)),
        "partnership_requests": queries.requests_awaiting(user=user),
    }
    return render(request, "applications/dashboard.html", context)


def _start_form(request: HttpRequest, options, data=None) -> StartBidForm:
    calls = Call.objects.accepting_submissions()
    institution_ids = {i.pk for option in options for i in option.institutions}
    form = StartBidForm(
        data,
        calls=calls,
        institutions=Institution.objects.filter(pk__in=institution_ids),
    )
    if data is None and len(options) == 1:
        form.initial = {"call": options[0].call.pk}
        if len(options[0].institutions) == 1:
            form.initial["institution"] = options[0].institutions[0].pk
    return form


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    options = queries.start_options(user=request.user)
    if not options:
        raise PermissionDenied
    form = _start_form(request, options, data=request.POST)
    if form.is_valid():
        institution = form.cleaned_data["institution"]
        if not rules.has_perm("institutions.view", request.user, institution):
            raise PermissionDenied
        try:
            bid = bid_services.start_bid(
                call=form.cleaned_data["call"],
                lead_institution=institution,
                acronym=form.cleaned_data["acronym"],
                title=form.cleaned_data["title"],
                by=acting_user(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Bid started: write it section by section."))
            return redirect("applications:bid_detail", public_id=bid.public_id)
    return dashboard(request, start_form=form)


@login_required
def detail(request: HttpRequest, public_id) -> HttpResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id)
    versions = list(queries.bid_versions(bid=bid))
    context = workspace_context(request, bid, active="overview")
    context.update(
        {
            "checklist": queries.bid_checklist(bid=bid),
            "versions": versions,
            "partners": list(queries.accepted_partners(bid=bid)),
            "unsubmitted_changes": submission_services.has_unsubmitted_changes(
                bid=bid, version=versions[0] if versions else None
            ),
            "can_withdraw": rules.has_perm("bids.withdraw", request.user, bid),
            # A submitted bid only: a draft never submitted has nothing to withdraw.
            "withdrawable": transitions.allows(bid, bid.status, Bid.Status.WITHDRAWN),
        }
    )
    return render(request, "applications/bids/detail.html", context)


def _section_or_404(bid: Bid, key: str) -> BidSection:
    if key not in BidSection.Key.values:
        raise Http404
    # A missing row (bids created outside ``start_bid``) reads as an empty, unsaved section;
    # ``save_section`` creates it on the first write.
    section = BidSection.objects.select_related("updated_by").filter(bid=bid, key=key).first()
    return section or BidSection(bid=bid, key=key)


@login_required
def section(request: HttpRequest, public_id, key: str) -> HttpResponse:
    perm = "bids.edit" if request.method == "POST" else "bids.view"
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm=perm)
    current = _section_or_404(bid, key)
    guidance = queries.section_guidance_with_criteria(call_id=bid.call_id, key=key)
    form = SectionForm(request.POST or None, section=current, guidance=guidance)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            bid_services.save_section(
                bid=bid,
                key=key,
                content=form.cleaned_data["content"],
                version=form.cleaned_data["version"],
                by=acting_user(request),
            )
        except CallClosed as error:
            return closed_response(request, bid, error)
        except StaleEdit as error:
            # Show the saved text next to the user's, and let the next save (after the user
            # has merged the two by hand) start from the saved version.
            conflict = BidSection.objects.get(bid=bid, key=key)
            data = request.POST.copy()
            data["version"] = str(conflict.version)
            form = SectionForm(data, section=current, guidance=guidance)
            form.is_valid()
            add_errors(form, error)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Section saved."))
            return redirect("applications:bid_section", public_id=bid.public_id, key=key)
    context = workspace_context(request, bid, active=key)
    context.update(
        {
            "form": form,
            "section": current,
            "guidance": guidance,
            "count": guidance.count(form["content"].value() or "") if guidance else 0,
            "conflict": conflict,
            "autosave_url": reverse("applications:bid_section_autosave", args=[bid.public_id, key]),
            "login_url": reverse("account_login") + "?next=" + request.path,
        }
    )
    return render(request, "applications/bids/section.html", context)


def _json_error(code: str, message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **extra}, status=status)


@json_endpoint
@require_POST
def section_autosave(request: HttpRequest, public_id, key: str) -> JsonResponse:
    """Autosave endpoint for one section (``static/js/autosave.js``).

    Answers ``200 {version, saved_at, saved_at_iso}``; ``409`` when the page's version is
    stale; ``403`` when the call has closed or the user may not edit (``mfa_required`` from
    the TOTP gate for a juror without TOTP); ``401`` when the
    session has expired (the script then keeps the text in the browser); ``400`` for
    malformed input and ``422`` for refused content.
    """
    if not request.user.is_authenticated:
        return _json_error(
            "session_expired",
            _("Your session expired: sign in again (your text is kept)."),
            401,
            login_url=reverse("account_login"),
        )
    if key not in BidSection.Key.values:
        return _json_error("not_found", _("Unknown section."), 404)
    try:
        bid, guidance = queries.get_bid_to_autosave(user=request.user, public_id=public_id, key=key)
    except Http404:
        return _json_error("not_found", _("This bid does not exist."), 404)
    except PermissionDenied:
        return _json_error("forbidden", _("You may read this bid but not edit it."), 403)
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _json_error("invalid", _("The request could not be read."), 400)
        if not isinstance(payload, dict):
            return _json_error("invalid", _("The request could not be read."), 400)
    else:
        payload = request.POST
    content, version = payload.get("content"), payload.get("version")
    try:
        version = int(version)
    except (TypeError, ValueError):
        version = None
    if not isinstance(content, str) or version is None or version < 0:
        return _json_error("invalid", _("The request could not be read."), 400)
    try:
        validate_clean_text(content)
    except ValidationError as error:
        return _json_error("invalid", " ".join(error.messages), 400)
    try:
        saved = bid_services.save_section(
            bid=bid,
            key=key,
            content=content,
            version=version,
            by=acting_user(request),
            guidance=guidance,
        )
    except CallClosed as error:
        return _json_error("closed", " ".join(error.messages), 403)
    except StaleEdit as error:
        return _json_error(
            "conflict",
            " ".join(error.messages),
            409,
            version=error.current_version,
            saved_at=format_paris_time(error.saved_at, seconds=True) if error.saved_at else None,
        )
    except ValidationError as error:
        return _json_error("invalid", " ".join(error.messages), 422)
    return JsonResponse(
        {
            "version": saved.version,
            "saved_at": format_paris_time(saved.updated_at, seconds=True),
            "saved_at_iso": saved.updated_at.isoformat(),
        }
    )


def budget_totals(summary: BudgetSummary) -> dict[str, str]:
    """The budget page's totals as the server computes them, keyed like the page's
    ``data-total`` cells (``requested-staff``, ``requested-year-1``, ``requested``)."""
    totals: dict[str, str] = {}
    for index, kind in enumerate(("requested", "cofunding")):
        for category, _label in summary.categories:
            totals[f"{kind}-{category}"] = format_euros(summary.category_totals[category][index])
        for year in summary.years:
            totals[f"{kind}-year-{year}"] = format_euros(summary.year_totals[year][index])
        totals[kind] = format_euros((summary.total_requested, summary.total_cofunding)[index])
    return totals


@json_endpoint
@require_POST
def budget_autosave(request: HttpRequest, public_id) -> JsonResponse:
    """Autosave endpoint of the budget table (``static/js/autosave.js``), the same cells as
    the page's form.

    Answers ``200 {version, saved_at, totals, check_html}`` (the server's totals and budget
    check replace what the script computed while typing); ``409`` when the page's version is
    stale; ``403`` when the call has closed or the user may not edit; ``401`` when the session
    has expired; ``422 {errors}`` for amounts that are not whole euros (nothing is saved).
    """
    if not request.user.is_authenticated:
        return _json_error(
            "session_expired",
            _("Your session expired: sign in again (your text is kept)."),
            401,
            login_url=reverse("account_login"),
        )
    try:
        bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.edit")
    except Http404:
        return _json_error("not_found", _("This bid does not exist."), 404)
    except PermissionDenied:
        return _json_error("forbidden", _("You may read this bid but not edit it."), 403)
    form = BudgetForm(request.POST, bid=bid, summary=queries.bid_budget(bid=bid))
    if not form.is_valid():
        if "version" in form.errors:
            return _json_error("invalid", _("The request could not be read."), 400)
        return _json_error(
            "invalid",
            _("Some amounts are not valid: correct the highlighted cells. Nothing was saved."),
            422,
            errors={name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()},
        )
    try:
        saved = bid_services.save_budget(
            bid=bid, version=form.cleaned_data["version"], cells=form.cells(), by=request.user
        )
    except CallClosed as error:
        return _json_error("closed", " ".join(error.messages), 403)
    except StaleEdit as error:
        return _json_error("conflict", " ".join(error.messages), 409, version=error.current_version)
    except ValidationError as error:
        return _json_error("invalid", " ".join(error.messages), 422)
    summary = queries.bid_budget(bid=bid)
    return JsonResponse(
        {
            "version": saved.budget_version,
            "saved_at": format_paris_time(saved.updated_at, seconds=True),
            "totals": budget_totals(summary),
            "check_html": render_to_string(
                "applications/bids/_budget_check.html", {"summary": summary}, request=request
            ),
        }
    )


@login_required
def budget(request: HttpRequest, public_id) -> HttpResponse:
    perm = "bids.edit" if request.method == "POST" else "bids.view"
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm=perm)
    summary = queries.bid_budget(bid=bid)
    form = BudgetForm(request.POST or None, bid=bid, summary=summary)
    if request.method == "POST" and form.is_valid():
        try:
            bid_services.save_budget(
                bid=bid,
                version=form.cleaned_data["version"],
                cells=form.cells(),
                by=request.user,
            )
        except CallClosed as error:
            return closed_response(request, bid, error)
        except ValidationError as error:
            add_errors(form, error)
        else:
            saved = queries.bid_budget(bid=bid)
            if saved.matches:
                messages.success(request, _("Budget saved."))
            else:
                messages.warning(
                    request,
                    _(
                        "Budget saved, but its requested total (%(total)s) differs from the "
                        "requested amount (%(amount)s): the bid cannot be submitted until "
                        "they are equal."
                    )
                    % {
                        "total": format_euros(saved.total_requested),
                        "amount": format_euros(saved.requested_amount),
                    },
                )
            return redirect("applications:bid_budget", public_id=bid.public_id)
    context = workspace_context(request, bid, active="budget")
    context.update(
        {
            "form": form,
            "summary": summary,
            "autosave_url": reverse("applications:bid_budget_autosave", args=[bid.public_id]),
            "login_url": reverse("account_login") + "?next=" + request.path,
            "euro_formats": euro_script_formats(),
        }
    )
    return render(request, "applications/bids/budget.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, public_id) -> HttpResponse:
    """GET: the confirmation step (what is submitted, that it can be replaced until the
    deadline); POST: submit. The confirmation is a page, so it works without JavaScript."""
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.submit")
    if request.method == "GET":
        versions = list(queries.bid_versions(bid=bid))
        context = workspace_context(request, bid, active="overview")
        context.update(
            {
                "checklist": queries.bid_checklist(bid=bid),
                "next_number": (versions[0].number + 1) if versions else 1,
                "versions": versions,
            }
        )
        return render(request, "applications/bids/submit_confirm.html", context)
    try:
        version = submission_services.submit_bid(bid=bid, by=acting_user(request))
    except CallClosed as error:
        return closed_response(request, bid, error)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _(
                "Version %(number)s submitted. Every member of %(institution)s receives the "
                "receipt by e-mail; you can also download it below."
            )
            % {"number": version.number, "institution": bid.lead_institution},
        )
    return redirect("applications:bid_detail", public_id=bid.public_id)


@login_required
def withdraw(request: HttpRequest, public_id) -> HttpResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.withdraw")
    if not transitions.allows(bid, bid.status, Bid.Status.WITHDRAWN):
        # A draft never submitted, or a bid already withdrawn: nothing to withdraw.
        if bid.status == Bid.Status.DRAFT:
            messages.info(request, submission_services.never_submitted_message())
        return redirect("applications:bid_detail", public_id=bid.public_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submission_services.withdraw_bid(
                bid=bid, reason=form.cleaned_data["reason"], by=acting_user(request)
            )
        except CallClosed as error:
            return closed_response(request, bid, error)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("The bid is withdrawn. You can undo this until the deadline.")
            )
            return redirect("applications:bid_detail", public_id=bid.public_id)
    context = workspace_context(request, bid, active="overview")
    context["form"] = form
    return render(request, "applications/bids/withdraw.html", context)


@login_required
@require_POST
def undo_withdrawal(request: HttpRequest, public_id) -> HttpResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.withdraw")
    try:
        submission_services.undo_withdrawal(bid=bid, by=acting_user(request))
    except CallClosed as error:
        return closed_response(request, bid, error)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The withdrawal is undone."))
    return redirect("applications:bid_detail", public_id=bid.public_id)


@login_required
def receipt(request: HttpRequest, public_id, number: int) -> FileResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id)
    version = get_object_or_404(BidVersion, bid=bid, number=number)
    # Built by a task after the submission; a download that comes first builds the same
    # receipt now (from the frozen snapshot) rather than failing.
    version = submission_services.ensure_receipt(version=version)
    response = FileResponse(
        version.receipt_pdf.open("rb"),
        as_attachment=True,
        filename=f"receipt-{bid.acronym}-v{version.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def version_pdf(request: HttpRequest, public_id, number: int) -> HttpResponse:
    """The whole submitted version as a PDF (the jury's reading), for whoever sees the bid."""
    bid = queries.get_bid_for(user=request.user, public_id=public_id)
    version = get_object_or_404(BidVersion, bid=bid, number=number)
    response = HttpResponse(whole_bid_pdf(version), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="bid-{slugify(bid.acronym) or bid.pk}-v{version.number}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
