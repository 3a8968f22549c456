"""The funding decision (administrators): prepare from a run, edit, approve, revise,
promote from the reserve list, withdraw. Every write goes through
``review.services.decisions``; the page re-renders with the administrator's input and the
problems when a save is refused.
"""

from functools import cache
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Call
from applications.rules import permission_required
from portal.formats import format_euros, format_score
from portal.forms import PlainFields
from portal.pagination import paginate
from portal.users import acting_user
from review import decision as rules_of_decision
from review.forms.decisions import DecisionLineForm, PrepareDecisionForm, PromoteForm, ReasonForm
from review.models import BidDecision, Decision
from review.queries.decisions import (
    decision_figures,
    decision_lines,
    decision_lines_rows,
    decisions_of,
    pure_line,
)
from review.services import decisions as service


def _call(request: HttpRequest, slug: str) -> Call:
    return get_object_or_404(Call, slug=slug)


def _version(call: Call, number: int) -> Decision:
    return get_object_or_404(Decision.objects.select_related("run"), call=call, number=number)


def _current(versions: list[Decision], status: str) -> Decision | None:
    return next((version for version in versions if version.status == status), None)


def _line_forms(decision: Decision, data) -> list[DecisionLineForm]:
    """The forms of the lines posted: the page shows one page of lines, and the others keep
    what is stored (``save_decision`` applies the changes it is given)."""
    prefix, suffix = "bid-", "-outcome"
    posted = [
        int(key[len(prefix) : -len(suffix)])
        for key in data
        if key.startswith(prefix)
        and key.endswith(suffix)
        and key[len(prefix) : -len(suffix)].isdigit()
    ]
    return [
        DecisionLineForm(data, line=line)
        for line in decision_lines_rows(decision=decision).filter(bid_id__in=posted)
        if f"{DecisionLineForm.prefix_of(line)}-outcome" in data
    ]


def _bounds(call: Call) -> rules_of_decision.Bounds:
    return rules_of_decision.Bounds(
        envelope=int(call.envelope),
        min_winners=int(call.min_winners),
        max_winners=int(call.max_winners),
    )


def _outcome_options(chosen: object) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value == chosen else "", label)  # noqa: S308  # nosec B308 - a constant
            for value, label in BidDecision.Outcome.choices
        ),
    )


def _rows(
    lines: list[BidDecision],
    *,
    editable: bool,
    forms: dict[int, DecisionLineForm],
    problems: dict[int, list[str]],
) -> list[dict[str, Any]]:
    """The decision's lines as plain, formatted values (two hundred rows): numbers through
    ``portal.formats``, memoised for the page; the line's fields from its refused form when
    there is one, else from the stored line without building a form."""
    score = cache(lambda value: format_score(value))
    plain = PlainFields(DecisionLineForm)  # labels in the request's language
    euros = cache(format_euros)
    labels = dict(BidDecision.Outcome.choices)
    options = {value: _outcome_options(value) for value in labels}
    rows = []
    for line in lines:
        row: dict[str, Any] = {
            "acronym": line.bid.acronym,
            "lead": line.bid.lead_institution.name,
            "rank": line.rank,
            "score": score(line.score),
            "p_selected": score(line.p_selected),
            "reviews": line.reviews,
            "under_reviewed": line.under_reviewed,
            "requested": euros(line.bid.requested_amount),
            "minimum": euros(line.bid.minimum_amount),
            "requested_raw": line.bid.requested_amount,
            "recommended": line.recommended_outcome,
            "recommended_label": labels.get(line.recommended_outcome, ""),
            "recommended_raw": line.recommended_amount,
            "recommended_amount": euros(line.recommended_amount) if line.recommended_amount else "",
            "recommended_reserve": line.recommended_reserve,
        }
        if editable:
            form = forms.get(line.bid_id)
            fields = (
                plain.of(form=form)
                if form is not None
                else plain.of(
                    prefix=DecisionLineForm.prefix_of(line),
                    initial=DecisionLineForm.initial_of(line),
                )
            )
            chosen = fields["outcome"].value
            row["fields"] = fields
            row["outcome_options"] = (
                options[chosen] if chosen in options else _outcome_options(chosen)
            )
            row["problems"] = problems.get(line.bid_id, [])
        else:
            row["outcome_label"] = labels.get(line.outcome, "")
            row["awarded"] = euros(line.amount_awarded) if line.amount_awarded else ""
            row["reserve_position"] = line.reserve_position
            row["reason"] = line.reason
            row["override_reason"] = line.override_reason
        rows.append(row)
    return rows


def _page(
    request: HttpRequest,
    call: Call,
    *,
    forms: list[DecisionLineForm] | None = None,
    overall_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page; ``forms`` are the draft's lines as the administrator posted them (refused)."""
    versions = decisions_of(call=call)
    draft = _current(versions, Decision.Status.DRAFT)
    approved = _current(versions, Decision.Status.APPROVED)
    shown = draft or approved
    line_problems: dict[int, list[str]] = {}
    figures = None
    if forms is not None and shown is not None:
        # The totals follow what was typed where it is valid, the stored line elsewhere.
        figures = decision_figures(
            decision=shown,
            changes={form.line.bid_id: form.line_input() for form in forms if form.is_valid()},
        )
    elif shown is not None:
        figures = decision_figures(decision=shown)
        if draft is not None:
            # A prepared draft may already need work (an under-reviewed winner): say so.
            try:
                service.check_lines(call=call, lines=figures.lines, labels=figures.labels)
            except service.LineErrors as error:
                overall_errors = overall_errors or error.overall
                line_problems = {
                    bid_id: [m for ms in fields.values() for m in ms]
                    for bid_id, fields in error.by_bid.items()
                }
    # The promotion form's choices: the funded lines, in order (hundreds in a large call).
    funded = figures.funded() if draft is not None and figures is not None else []
    # 10 000 lines: the table shows a page (its rows read alone); the totals and checks cover
    # every line (``figures``: plain rows).
    page = paginate(request, decision_lines_rows(decision=shown) if shown is not None else [])
    return render(
        request,
        "review/decisions/decision.html",
        {
            "call": call,
            "versions": versions,
            "draft": draft,
            "approved": approved,
            "shown": shown,
            "page": page,
            "rows": _rows(
                list(page.object_list),
                editable=draft is not None,
                forms={form.line.bid_id: form for form in forms or []},
                problems=line_problems,
            ),
            "totals": rules_of_decision.totals(figures.lines, _bounds(call))
            if figures is not None and figures.lines
            else None,
            "overall_errors": overall_errors or [],
            "prepare_form": PrepareDecisionForm(call=call)
            if shown is None and call.status == Call.Status.UNDER_REVIEW
            else None,
            "promote_form": PromoteForm(funded=funded) if funded else None,
            "promote_options": format_html_join("", '<option value="{}">{}</option>', funded),
            "reason_form": ReasonForm(),
            "can_approve": draft is not None and draft.prepared_by_id != request.user.pk,
        },
        status=status,
    )


@permission_required("jury.administer")
def decision_page(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the decision in preparation (editable) or the approved one, and every version.
    POST: save the draft's lines, whole or not at all."""
    call = _call(request, slug)
    if request.method != "POST":
        return _page(request, call)
    draft = Decision.objects.filter(call=call, status=Decision.Status.DRAFT).first()
    if draft is None:
        messages.error(request, _("There is no draft decision to save."))
        return redirect("review:decision", slug=call.slug)
    forms = _line_forms(draft, request.POST)
    if not all(form.is_valid() for form in forms):
        return _page(
            request,
            call,
            forms=forms,
            overall_errors=[_("Some lines are not valid: see the fields marked below.")],
            status=400,
        )
    try:
        service.save_decision(
            decision=draft,
            changes={form.line.bid_id: form.line_input() for form in forms},
            by=acting_user(request),
        )
    except service.LineErrors as error:
        for form in forms:
            for field, field_messages in error.by_bid.get(form.line.bid_id, {}).items():
                for message in field_messages:
                    form.add_error(field, message)
        return _page(request, call, forms=forms, overall_errors=error.overall, status=400)
    except ValidationError as error:
        return _page(request, call, forms=forms, overall_errors=error.messages, status=400)
    messages.success(request, _("Draft decision saved. Another administrator must approve it."))
    return redirect(request.get_full_path())


def _refused(request: HttpRequest, call: Call, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("review:decision", slug=call.slug)


@require_POST
@permission_required("jury.administer")
def decision_prepare(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    form = PrepareDecisionForm(request.POST, call=call)
    if not form.is_valid():
        messages.error(request, _("Choose a completed ranking run of this call."))
        return redirect("review:decision", slug=call.slug)
    try:
        service.prepare_decision(call=call, run=form.cleaned_data["run"], by=acting_user(request))
    except ValidationError as error:
        return _refused(request, call, error)
    messages.success(request, _("Draft decision prepared from the run's recommendation."))
    return redirect("review:decision", slug=call.slug)


@require_POST
@permission_required("jury.administer")
def decision_approve(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    call = _call(request, slug)
    decision = _version(call, number)
    try:
        service.approve_decision(decision=decision, by=acting_user(request))
    except ValidationError as error:
        return _refused(request, call, error)
    messages.success(request, _("Decision approved. It can no longer change."))
    return redirect("review:decision", slug=call.slug)


@require_POST
@permission_required("jury.administer")
def decision_promote(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    call = _call(request, slug)
    decision = _version(call, number)
    form = PromoteForm(request.POST, funded=decision_figures(decision=decision).funded())
    if not form.is_valid():
        messages.error(request, _("Choose the funded bid that leaves and give the reason."))
        return redirect("review:decision", slug=call.slug)
    bid = next(
        line.bid
        for line in decision_lines(decision=decision)
        if line.bid_id == form.cleaned_data["leaving"]
    )
    try:
        service.promote_from_reserve(
            decision=decision,
            leaving=bid,
            reason=form.cleaned_data["reason"],
            by=acting_user(request),
        )
    except ValidationError as error:
        return _refused(request, call, error)
    messages.success(request, _("The first bid of the reserve list takes the place."))
    return redirect("review:decision", slug=call.slug)


@require_POST
@permission_required("jury.administer")
def decision_revise(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for a new version of the decision."))
        return redirect("review:decision", slug=call.slug)
    try:
        service.revise_decision(
            call=call, reason=form.cleaned_data["reason"], by=acting_user(request)
        )
    except ValidationError as error:
        return _refused(request, call, error)
    messages.success(request, _("New version in preparation: a copy of the approved one."))
    return redirect("review:decision", slug=call.slug)


@require_POST
@permission_required("jury.administer")
def decision_discard(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    call = _call(request, slug)
    try:
        service.discard_draft(decision=_version(call, number), by=acting_user(request))
    except ValidationError as error:
        return _refused(request, call, error)
    messages.success(request, _("Draft discarded."))
    return redirect("review:decision", slug=call.slug)


@require_POST
@permission_required("jury.administer")
def decision_withdraw(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    call = _call(request, slug)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for withdrawing the decision."))
        return redirect("review:decision", slug=call.slug)
    try:
        service.withdraw_decision(
            decision=_version(call, number),
            reason=form.cleaned_data["reason"],
            by=acting_user(request),
        )
    except ValidationError as error:
        return _refused(request, call, error)
    messages.success(request, _("Decision withdrawn: the evaluation is open again."))
    return redirect("review:decision", slug=call.slug)


@permission_required("jury.administer")
def decision_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    call = _call(request, slug)
    decision = _version(call, number)
    lines = decision_lines(decision=decision)
    if not lines and decision.status == Decision.Status.DISCARDED:
        raise Http404
    return render(
        request,
        "review/decisions/version.html",
        {
            "call": call,
            "decision": decision,
            "lines": lines,
            "totals": rules_of_decision.totals(
                [pure_line(line) for line in lines],
                _bounds(call),
            ),
        },
    )
