"""Reads of the applications app: bids and calls for institutions, programme pages and the
jury app.

Selectors take keyword-only arguments and return querysets or plain data; they never write.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.models import (
    Attachment,
    Bid,
    BidSection,
    BidVersion,
    BudgetLine,
    Call,
    Institution,
    Membership,
    RequiredAttachment,
)
from portal.formats import format_euros

SECTION_KEYS: list[str] = list(BidSection.Key.values)
EDITOR_ROLES = (Membership.Role.COORDINATOR, Membership.Role.EDITOR)


def _count(queryset: QuerySet, *, outer: str = "bid") -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` grouped by its ``outer`` column."""
    return Coalesce(
        Subquery(queryset.values(outer).annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def calls_with_bid_counts() -> QuerySet[Call]:
    """Calls with their number of bids per status and per eligibility, in one query."""
    submitted = Q(bids__status=Bid.Status.SUBMITTED)
    return Call.objects.annotate(
        bids_total=Count("bids"),
        bids_draft=Count("bids", filter=Q(bids__status=Bid.Status.DRAFT)),
        bids_submitted=Count("bids", filter=submitted),
        bids_withdrawn=Count("bids", filter=Q(bids__status=Bid.Status.WITHDRAWN)),
        bids_eligible=Count(
            "bids", filter=submitted & Q(bids__eligibility=Bid.Eligibility.ELIGIBLE)
        ),
        bids_ineligible=Count(
            "bids", filter=submitted & Q(bids__eligibility=Bid.Eligibility.INELIGIBLE)
        ),
    ).order_by("-opens_at")


def bids_for_programme(*, call: Call) -> QuerySet[Bid]:
    """A call's bids for the administrators' list, one row per bid, in one query.

    ``partners`` is the only multi-valued join (versions come from subqueries), so the
    count needs no ``distinct``.
    """
    latest_version = BidVersion.objects.filter(bid=OuterRef("pk")).order_by("-number")
    return (
        Bid.objects.filter(call=call)
        .select_related("lead_institution", "eligibility_decided_by")
        .annotate(
            partners_count=Count("partners"),
            latest_version_number=Subquery(latest_version.values("number")[:1]),
            latest_submitted_at=Subquery(latest_version.values("submitted_at")[:1]),
        )
        .order_by("acronym")
    )


# The programme list's orders (``BidFilterForm.sort``); the acronym breaks ties.
PROGRAMME_ORDERS = {
    "acronym": ("acronym",),
    "requested": ("requested_amount", "acronym"),
    "-requested": ("-requested_amount", "acronym"),
    "-submitted": (F("latest_submitted_at").desc(nulls_last=True), "acronym"),
}


def filter_programme_bids(
    bids: QuerySet[Bid],
    *,
    status: str = "",
    eligibility: str = "",
    text: str = "",
    sort: str = "",
) -> QuerySet[Bid]:
    """:func:`bids_for_programme` filtered and sorted by the list's form; empty means all."""
    if status:
        bids = bids.filter(status=status)
    if eligibility:
        bids = bids.filter(eligibility=eligibility)
    if text:
        bids = bids.filter(Q(acronym__icontains=text) | Q(title__icontains=text))
    return bids.order_by(*PROGRAMME_ORDERS.get(sort or "acronym", PROGRAMME_ORDERS["acronym"]))


def dashboard_bids(*, user) -> QuerySet[Bid]:
    """The user's bids (lead or partner) with what the dashboard shows, in one query.

    Annotations: ``filled_sections``, ``budget_requested_total``, ``required_total``,
    ``required_present``, ``version_count`` and ``my_role`` (the user's role in the lead
    institution, None for a partner). ``missing_items(bid)`` turns them into a count that
    agrees with ``bid_checklist``.
    """
    # "Written" means at least one non-blank character, as in ``bid_checklist`` (str.strip).
    filled = BidSection.objects.filter(bid=OuterRef("pk"), content__regex=r"\S")
    budget = (
        BudgetLine.objects.filter(bid=OuterRef("pk"))
        .values("bid")
        .annotate(total=Sum("requested"))
        .values("total")[:1]
    )
    present = (
        Attachment.objects.filter(bid=OuterRef("pk"), required_attachment__isnull=False)
        .values("bid")
        .annotate(n=Count("required_attachment", distinct=True))
        .values("n")[:1]
    )
    role = Membership.objects.filter(user=user, institution=OuterRef("lead_institution")).values(
        "role"
    )[:1]
    return (
        Bid.objects.visible_to(user)
        .select_related("call", "lead_institution")
        .annotate(
            filled_sections=_count(filled),
            budget_requested_total=Coalesce(Subquery(budget), Value(0)),
            required_total=_count(
                RequiredAttachment.objects.filter(call=OuterRef("call")), outer="call"
            ),
            required_present=Coalesce(Subquery(present), Value(0), output_field=IntegerField()),
            version_count=_count(BidVersion.objects.filter(bid=OuterRef("pk"))),
            my_role=Subquery(role),
        )
        .order_by("call__closes_at", "acronym")
    )


def missing_items(bid: Bid) -> int:
    """Number of checklist items missing, from ``dashboard_bids`` annotations."""
    call = bid.call
    missing = len(SECTION_KEYS) - bid.filled_sections  # type: ignore[attr-defined]  # annotated by dashboard_bids
    missing += bid.required_total - bid.required_present  # type: ignore[attr-defined]  # annotated by dashboard_bids
    if not call.min_amount <= bid.requested_amount <= call.max_amount:
        missing += 1
    if bid.budget_requested_total != bid.requested_amount:  # type: ignore[attr-defined]  # annotated by dashboard_bids
        missing += 1
    return missing


def total_items(bid: Bid) -> int:
    return len(SECTION_KEYS) + bid.required_total + 2  # type: ignore[attr-defined]  # annotated by dashboard_bids


def user_institution_ids(*, user) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).values_list("institution_id", flat=True))


@dataclass
class StartOption:
    call: Call
    institutions: list[Institution]


def start_options(*, user) -> list[StartOption]:
    """Calls accepting submissions on which one of the user's institutions (as coordinator/editor) has no bid."""
    institutions = [
        m.institution
        for m in Membership.objects.filter(user=user, role__in=EDITOR_ROLES).select_related(
            "institution"
        )
    ]
    if not institutions:
        return []
    calls = list(Call.objects.accepting_submissions())
    taken = set(
        Bid.objects.filter(call__in=calls, lead_institution__in=institutions).values_list(
            "call_id", "lead_institution_id"
        )
    )
    options = []
    for call in calls:
        free = [i for i in institutions if (call.pk, i.pk) not in taken]
        if free:
            options.append(StartOption(call=call, institutions=free))
    return options


def get_bid_for(*, user, public_id, perm: str = "bids.view") -> Bid:
    """Fetch a bid the user may see, then check ``perm`` (an access_* style selector).

    The rules are asked directly (``rules.has_perm``) rather than ``user.has_perm``, which
    grants everything to superusers: a programme administrator reads bids but never edits,
    submits or withdraws one.

    Raises ``Http404`` when the user may not even see the bid (its existence does not leak)
    and ``PermissionDenied`` when they may see it but not do ``perm``.
    """
    bid = get_object_or_404(
        Bid.objects.select_related("call", "lead_institution"), public_id=public_id
    )
    if not rules.has_perm("bids.view", user, bid):
        raise Http404
    if perm != "bids.view" and not rules.has_perm(perm, user, bid):
        raise PermissionDenied
    return bid


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: str
    ok: bool
    detail: str = ""
    url: str = ""


@dataclass
class Checklist:
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def missing(self) -> list[ChecklistItem]:
        return [item for item in self.items if not item.ok]


def bid_checklist(*, bid: Bid) -> Checklist:
    """What is still missing before ``bid`` can be submitted (partners are optional)."""
    call = bid.call
    args = [bid.public_id]
    items = []
    amount_ok = call.min_amount <= bid.requested_amount <= call.max_amount
    items.append(
        ChecklistItem(
            code="requested_amount",
            label=_("Requested amount within the call's limits (%(min)s to %(max)s)")
            % {"min": format_euros(call.min_amount), "max": format_euros(call.max_amount)},
            ok=amount_ok,
            detail=""
            if amount_ok
            else _("The requested amount is %(amount)s.")
            % {"amount": format_euros(bid.requested_amount)},
            url=reverse("applications:bid_consortium", args=args),
        )
    )
    contents = dict(BidSection.objects.filter(bid=bid).values_list("key", "content"))
    for key, label in BidSection.Key.choices:
        items.append(
            ChecklistItem(
                code=f"section:{key}",
                label=str(label),
                ok=bool(contents.get(key, "").strip()),
                detail="" if contents.get(key, "").strip() else _("This section is empty."),
                url=reverse("applications:bid_section", args=[*args, key]),
            )
        )
    total = BudgetLine.objects.filter(bid=bid).aggregate(t=Sum("requested"))["t"] or 0
    budget_ok = total == bid.requested_amount
    items.append(
        ChecklistItem(
            code="budget",
            label=_("Budget: requested total equals the requested amount"),
            ok=budget_ok,
            detail=""
            if budget_ok
            else _(
                "The budget's requested total is %(total)s but the requested amount is "
                "%(amount)s (difference %(diff)s)."
            )
            % {
                "total": format_euros(total),
                "amount": format_euros(bid.requested_amount),
                "diff": format_euros(abs(total - bid.requested_amount)),
            },
            url=reverse("applications:bid_budget", args=args),
        )
    )
    present = set(
        Attachment.objects.filter(bid=bid, required_attachment__isnull=False).values_list(
            "required_attachment_id", flat=True
        )
    )
    for required in RequiredAttachment.objects.filter(call=call):
        ok = required.pk in present
        items.append(
            ChecklistItem(
                code=f"attachment:{required.code}",
                label=_("Document: %(name)s") % {"name": required.name},
                ok=ok,
                detail="" if ok else _("Not uploaded yet."),
                url=reverse("applications:bid_attachments", args=args),
            )
        )
    return Checklist(items=items)


@dataclass
class BudgetSummary:
    """The saved budget of a bid with totals per year, per category and overall."""

    years: list[int]
    categories: list[tuple[str, str]]
    cells: dict[tuple[int, str], tuple[int, int]]
    year_totals: dict[int, tuple[int, int]]
    category_totals: dict[str, tuple[int, int]]
    total_requested: int
    total_cofunding: int
    requested_amount: int

    @property
    def matches(self) -> bool:
        return self.total_requested == self.requested_amount

    @property
    def difference(self) -> int:
        return self.total_requested - self.requested_amount


def summarise_budget(
    *, years: int, lines: Iterable[tuple[int, str, int, int]], requested_amount: int
) -> BudgetSummary:
    """Totals of a budget table; ``lines`` are (year, category, requested, co-funding)."""
    year_list = list(range(1, years + 1))
    categories = [(str(v), str(label)) for v, label in BudgetLine.Category.choices]
    cells = {
        (year, category): (requested, cofunding)
        for year, category, requested, cofunding in lines
        if 1 <= year <= years
    }
    year_totals = {
        y: (
            sum(cells.get((y, c), (0, 0))[0] for c, _label in categories),
            sum(cells.get((y, c), (0, 0))[1] for c, _label in categories),
        )
        for y in year_list
    }
    category_totals = {
        c: (
            sum(cells.get((y, c), (0, 0))[0] for y in year_list),
            sum(cells.get((y, c), (0, 0))[1] for y in year_list),
        )
        for c, _label in categories
    }
    return BudgetSummary(
        years=year_list,
        categories=categories,
        cells=cells,
        year_totals=year_totals,
        category_totals=category_totals,
        total_requested=sum(t[0] for t in year_totals.values()),
        total_cofunding=sum(t[1] for t in year_totals.values()),
        requested_amount=requested_amount,
    )


def bid_budget(*, bid: Bid) -> BudgetSummary:
    lines = BudgetLine.objects.filter(bid=bid).values_list(
        "year", "category", "requested", "cofunding"
    )
    return summarise_budget(
        years=bid.call.budget_years, lines=lines, requested_amount=bid.requested_amount
    )


@dataclass
class AttachmentSlot:
    required: RequiredAttachment
    attachment: Attachment | None


def attachment_slots(*, bid: Bid) -> tuple[list[AttachmentSlot], list[Attachment]]:
    """Required documents of the call with the bid's file for each, and the extra files.

    Each attachment carries ``identical_to``: the names of the bid's other files with the
    same SHA-256 (the same file added twice is kept, and flagged on the page).
    """
    attachments = list(Attachment.objects.filter(bid=bid).select_related("uploaded_by"))
    for attachment in attachments:
        attachment.identical_to = [  # type: ignore[attr-defined]  # display-only annotation
            other.original_name
            for other in attachments
            if other.sha256 == attachment.sha256 and other.pk != attachment.pk
        ]
    by_required = {a.required_attachment_id: a for a in attachments if a.required_attachment_id}
    slots = [
        AttachmentSlot(required=r, attachment=by_required.get(r.pk))
        for r in RequiredAttachment.objects.filter(call_id=bid.call_id)
    ]
    extras = [a for a in attachments if a.required_attachment_id is None]
    return slots, extras


def identical_attachments(*, attachment: Attachment) -> list[Attachment]:
    """The other files of the attachment's bid with the same bytes (same SHA-256)."""
    return list(
        Attachment.objects.filter(bid_id=attachment.bid_id, sha256=attachment.sha256)
        .exclude(pk=attachment.pk)
        .order_by("pk")
    )


def get_attachment(*, bid: Bid, pk: int) -> Attachment:
    """An attachment of ``bid`` (404 otherwise). Check access to the bid first.

    The jury app reuses this with its own access check, then streams the file with
    ``applications.views.attachments.attachment_file_response``.
    """
    return get_object_or_404(Attachment.objects.select_related("bid"), bid=bid, pk=pk)


def bid_versions(*, bid: Bid) -> QuerySet[BidVersion]:
    return BidVersion.objects.filter(bid=bid).select_related("submitted_by").order_by("-number")
