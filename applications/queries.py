"""Reads of the applications app: bids and calls for institutions, programme pages and the
jury app.

Selectors take keyword-only arguments and return querysets or plain data; they never write.
"""

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import rules
from allauth.account.models import EmailAddress
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import connection, models
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
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from applications import bid_diff, text_limits
from applications.models import (
    INVITATION_VALIDITY,
    Attachment,
    Bid,
    BidSection,
    BidVersion,
    BudgetLine,
    Call,
    CallDocument,
    CallFAQ,
    DeadlineReminder,
    ExternalPartner,
    Institution,
    Invitation,
    Membership,
    Partnership,
    RequiredAttachment,
    SectionGuidance,
)
from applications.rules import note_role
from portal import rows as loaded_rows
from portal.formats import format_euros, format_paris_datetime
from portal.sealing import SealCheck, check_seal

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

    ``partners_count``: accepted partnerships and partners not on the portal (subqueries,
    so no join multiplies the rows).
    """
    latest_version = BidVersion.objects.filter(bid=OuterRef("pk")).order_by("-number")
    return (
        Bid.objects.filter(call=call)
        .select_related("lead_institution", "eligibility_decided_by")
        .annotate(
            partners_count=_count(Partnership.objects.accepted().filter(bid=OuterRef("pk")))
            + _count(ExternalPartner.objects.filter(bid=OuterRef("pk"))),
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


@dataclass(frozen=True)
class BidListFilter:
    """A filter of the programme's bid list that another app defines (applications never
    imports review): its choices (code, label) and how a code narrows the bids."""

    label: Any  # a lazy translation
    choices: list[tuple[str, Any]]
    apply: Callable[[QuerySet[Bid], str], QuerySet[Bid]]


# Registered at start-up (``review.apps.ReviewConfig.ready``): ``conflict_state``.
BID_LIST_FILTERS: dict[str, BidListFilter] = {}


def register_bid_list_filter(name: str, bid_filter: BidListFilter) -> None:
    """Offer ``bid_filter`` on the programme's bid list as the parameter ``name`` (once:
    ``ready()`` may run more than once)."""
    BID_LIST_FILTERS[name] = bid_filter


def filter_programme_bids(
    bids: QuerySet[Bid],
    *,
    status: str = "",
    eligibility: str = "",
    text: str = "",
    sort: str = "",
    extra: dict[str, str] | None = None,
) -> QuerySet[Bid]:
    """:func:`bids_for_programme` filtered and sorted by the list's form; empty means all.
    ``extra``: the registered filters' codes by name (:data:`BID_LIST_FILTERS`)."""
    if status:
        bids = bids.filter(status=status)
    if eligibility:
        bids = bids.filter(eligibility=eligibility)
    for name, code in (extra or {}).items():
        if code:
            bids = BID_LIST_FILTERS[name].apply(bids, code)
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


def budget_balanced(*, total_requested: int, requested_amount: int) -> bool:
    """The budget check of the checklist, the dashboard, the budget page and submission: a
    requested total equal, to the euro, to the bid's requested amount. An empty budget is not
    balanced, whatever the amount (a new bid's 0 € = 0 € is no budget)."""
    return total_requested > 0 and total_requested == requested_amount


def missing_items(bid: Bid) -> int:
    """Number of checklist items missing, from ``dashboard_bids`` annotations."""
    call = bid.call
    missing = len(SECTION_KEYS) - bid.filled_sections  # type: ignore[attr-defined]  # annotated by dashboard_bids
    missing += bid.required_total - bid.required_present  # type: ignore[attr-defined]  # annotated by dashboard_bids
    if not call.min_amount <= bid.requested_amount <= call.max_amount:
        missing += 1
    if not budget_balanced(
        total_requested=bid.budget_requested_total,  # type: ignore[attr-defined]  # annotated by dashboard_bids
        requested_amount=bid.requested_amount,
    ):
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
    return _check_bid_access(user=user, bid=bid, perm=perm)


def _check_bid_access(*, user, bid: Bid, perm: str) -> Bid:
    if not rules.has_perm("bids.view", user, bid):
        raise Http404
    if perm != "bids.view" and not rules.has_perm(perm, user, bid):
        raise PermissionDenied
    return bid


def get_bid_to_autosave(*, user, public_id, key: str) -> tuple[Bid, SectionGuidance | None]:
    """:func:`get_bid_for` with ``perm="bids.edit"`` and :func:`section_guidance` of ``key``,
    in one query, for the autosave endpoint (every ~1.5 s while someone types).

    The bid comes with its call (the columns ``AUTOSAVE_SQL`` reads; any other field is
    loaded on first use, as a deferred field), the user's role in the lead institution
    (handed to the permission predicates, ``rules.note_role``, so that the same ``bids.view``
    and ``bids.edit`` rules decide without loading every membership) and the section's
    length limit. The guidance is an unsaved ``SectionGuidance`` holding the limit and its unit, what
    ``services.bids.check_section_length`` reads (``None`` when the section has no limit,
    which that check reads alike).

    Raises ``Http404`` and ``PermissionDenied`` as :func:`get_bid_for` does.
    """
    public_id_field = Bid._meta.get_field("public_id")
    with connection.cursor() as cursor:
        cursor.execute(
            AUTOSAVE_SQL,
            [user.pk, key, public_id_field.get_db_prep_value(public_id, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404
    pk, bid_status, call_id, lead_id, call_status, opens_at, closes_at, role, limit, unit = row
    call = loaded_rows.instance(
        Call,
        id=call_id,
        status=call_status,
        opens_at=loaded_rows.converted(Call, "opens_at", opens_at),
        closes_at=loaded_rows.converted(Call, "closes_at", closes_at),
    )
    bid = loaded_rows.instance(
        Bid,
        id=pk,
        public_id=public_id,
        status=bid_status,
        call_id=call_id,
        lead_institution_id=lead_id,
    )
    bid.call = call
    note_role(user, lead_id, role)
    _check_bid_access(user=user, bid=bid, perm="bids.edit")
    guidance = None
    if limit is not None:
        guidance = SectionGuidance(call_id=call_id, section=key, limit=limit, limit_unit=unit)
    return bid, guidance


# The one query of get_bid_to_autosave, written out: the ORM spent more CPU composing and
# compiling it (two subqueries and three joins, or three queries) than the rest of the request
# together (bench/profile_autosave.py). Standard SQL, the same on SQLite and PostgreSQL
# (tests/applications/test_bid_autosave.py runs on both); the parameters are the user's id,
# the section key and the bid's public id. Membership and SectionGuidance are unique on the
# joined columns: one row at most.
AUTOSAVE_SQL = """
SELECT b.id, b.status, b.call_id, b.lead_institution_id,
       c.status, c.opens_at, c.closes_at,
       m.role, g."limit", g.limit_unit
  FROM applications_bid b
  JOIN applications_call c ON c.id = b.call_id
  LEFT JOIN applications_membership m
    ON m.institution_id = b.lead_institution_id AND m.user_id = %s
  LEFT JOIN applications_sectionguidance g ON g.call_id = b.call_id AND g.section = %s
 WHERE b.public_id = %s
"""


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
    # Each section with its call's limit, in one query. A limit is enforced on every save; a
    # text over it exists only if the limit was lowered after it was written (the dashboard's
    # count, in SQL, does not see that case).
    guidance = SectionGuidance.objects.filter(call_id=bid.call_id, section=OuterRef("key"))
    rows = BidSection.objects.filter(bid=bid).annotate(
        limit=Subquery(guidance.values("limit")[:1]),
        limit_unit=Subquery(guidance.values("limit_unit")[:1]),
    )
    sections = {
        key: (content, limit, unit)
        for key, content, limit, unit in rows.values_list("key", "content", "limit", "limit_unit")
    }
    for key, label in BidSection.Key.choices:
        content, limit, unit = sections.get(key, ("", None, None))
        detail = ""
        if not content.strip():
            detail = _("This section is empty.")
        elif limit is not None and text_limits.count_text(content, unit) > limit:
            detail = _(
                "This section is over its limit (%(count)s for %(limit)s %(unit)s): shorten it."
            ) % {
                "count": text_limits.count_text(content, unit),
                "limit": limit,
                "unit": SectionGuidance.LimitUnit(unit).label,
            }
        items.append(
            ChecklistItem(
                code=f"section:{key}",
                label=str(label),
                ok=not detail,
                detail=detail,
                url=reverse("applications:bid_section", args=[*args, key]),
            )
        )
    total = BudgetLine.objects.filter(bid=bid).aggregate(t=Sum("requested"))["t"] or 0
    budget_ok = budget_balanced(total_requested=total, requested_amount=bid.requested_amount)
    if budget_ok:
        budget_detail = ""
    elif not total:
        budget_detail = _("The budget is empty: enter the amounts requested for each year.")
    else:
        budget_detail = _(
            "The budget's requested total is %(total)s but the requested amount is "
            "%(amount)s (difference %(diff)s)."
        ) % {
            "total": format_euros(total),
            "amount": format_euros(bid.requested_amount),
            "diff": format_euros(abs(total - bid.requested_amount)),
        }
    items.append(
        ChecklistItem(
            code="budget",
            label=_("Budget: requested total equals the requested amount"),
            ok=budget_ok,
            detail=budget_detail,
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
        return budget_balanced(
            total_requested=self.total_requested, requested_amount=self.requested_amount
        )

    @property
    def is_empty(self) -> bool:
        return not self.total_requested and not self.total_cofunding

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


def section_guidance(*, call_id: int, key: str) -> SectionGuidance | None:
    """The guidance of one section of a call's bid form (help text, limit), or ``None``.

    One query; the page that shows the criteria prefetches them with
    :func:`section_guidance_with_criteria`.
    """
    return SectionGuidance.objects.filter(call_id=call_id, section=key).first()


def section_guidance_with_criteria(*, call_id: int, key: str) -> SectionGuidance | None:
    """:func:`section_guidance` with the criteria the section is judged on (the jury's grid,
    in its order), for the section editor."""
    return (
        SectionGuidance.objects.filter(call_id=call_id, section=key)
        .prefetch_related("criteria")
        .first()
    )


# --------------------------------------------------------------------------- the whole bid


@dataclass
class SnapshotAttachment:
    index: int  # position in the snapshot's list: the jury's download URL's key
    name: str
    sha256: str
    file: str  # stored file name (kept for as long as a version refers to it)
    pages: int | None
    size: int | None
    kind: str  # required document's code, then its name for the page, or ""
    url: str = ""  # where the reader downloads it ("" when the file cannot be served)


@dataclass
class BidDocuments:
    """The whole bid as the jury reads it, flattened for ``templates/partials/bid_reading_*``:
    a submitted version's snapshot, or the working copy in the same format (a preview)."""

    version: BidVersion | None
    acronym: str = ""
    title: str = ""
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # key, label, text
    budget: list[dict[str, Any]] = field(default_factory=list)
    budget_requested: int = 0
    budget_cofunding: int = 0
    partners: list[str] = field(default_factory=list)
    attachments: list[SnapshotAttachment] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return next((text for key, _label, text in self.sections if key == "summary"), "")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _label(choices: type[models.TextChoices], key: str) -> str:
    try:
        return str(choices(key).label)
    except ValueError:
        return key


def snapshot_attachments(snapshot: dict[str, Any]) -> list[SnapshotAttachment]:
    """The PDFs frozen in a version (``applications.services.submission.bid_content``)."""
    result = []
    for index, item in enumerate(snapshot.get("attachments") or []):
        if not isinstance(item, dict):
            continue
        result.append(
            SnapshotAttachment(
                index=index,
                name=_text(item.get("name")),
                sha256=_text(item.get("sha256")),
                file=_text(item.get("file")),
                pages=item.get("pages"),
                size=item.get("size"),
                kind=_text(item.get("required")),
            )
        )
    return result


def snapshot_documents(
    *,
    call_id: int,
    snapshot: dict[str, Any],
    version: BidVersion | None,
    attachment_url: Callable[[SnapshotAttachment], str] | None = None,
) -> BidDocuments:
    """Flatten a snapshot (format of ``applications.services.submission.bid_content``:
    ``sections`` as ``{key: text}``, ``budget`` lines, ``partners`` as institutions,
    ``attachments`` with their hashes) for the one rendering of the whole bid.

    ``attachment_url`` gives each file's link for the page's reader (the jury's download, the
    institution's); one query names the required documents.
    """
    documents = BidDocuments(version=version)
    if not isinstance(snapshot, dict):
        return documents
    header = snapshot.get("bid")
    if not isinstance(header, dict):
        header = {}
    documents.acronym, documents.title = _text(header.get("acronym")), _text(header.get("title"))
    sections = snapshot.get("sections") or {}
    for key in [*BidSection.Key.values, *(k for k in sections if k not in BidSection.Key.values)]:
        if key in sections:
            documents.sections.append((key, _label(BidSection.Key, key), _text(sections[key])))

    for line in snapshot.get("budget") or []:
        if not isinstance(line, dict):
            continue
        requested = _as_int(line.get("requested"))
        cofunding = _as_int(line.get("cofunding"))
        documents.budget.append(
            {
                "year": line.get("year"),
                "category": _label(BudgetLine.Category, _text(line.get("category"))),
                "requested": requested,
                "cofunding": cofunding,
            }
        )
        documents.budget_requested += requested
        documents.budget_cofunding += cofunding

    for partner in snapshot.get("partners") or []:
        if not isinstance(partner, dict):
            documents.partners.append(_text(partner))
        elif partner.get("external"):  # not on the portal: the jury sees the country too
            documents.partners.append(
                f"{_text(partner.get('name'))} ({_text(partner.get('country'))})"
            )
        else:
            documents.partners.append(_text(partner.get("name")))
    attachments = snapshot_attachments(snapshot)
    french = (get_language() or "en").startswith("fr")
    names = dict(
        RequiredAttachment.objects.filter(
            call_id=call_id, code__in={a.kind for a in attachments if a.kind}
        ).values_list("code", "name_fr" if french else "name_en")
    )
    for attachment in attachments:
        attachment.kind = names.get(attachment.kind, attachment.kind)
        attachment.url = attachment_url(attachment) if attachment_url else ""
    documents.attachments = attachments
    return documents


def institution_attachment_urls(*, bid: Bid) -> Callable[[SnapshotAttachment], str]:
    """Links for the institution's preview: a file of the snapshot links to the bid's current
    file with the same SHA-256 (the same bytes); a file replaced since has no link. One query."""
    current = dict(Attachment.objects.filter(bid=bid).values_list("sha256", "pk"))

    def url(attachment: SnapshotAttachment) -> str:
        pk = current.get(attachment.sha256)
        if pk is None:
            return ""
        return reverse("applications:bid_attachment_download", args=[bid.public_id, pk])

    return url


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryEvent:
    """A submission, a withdrawal or its undoing, with who did it and when."""

    kind: str  # "submitted", "withdrawn", "restored"
    at: Any  # datetime
    by: Any  # User | None
    version: BidVersion | None = None
    reason: str = ""


def bid_history(*, bid: Bid) -> list[HistoryEvent]:
    """The bid's submitted versions and its withdrawals (with their undoing), newest first.

    Submissions are the versions themselves; withdrawals are read from the audit log's
    status changes (``applications.audit`` registers ``Bid``), so one made before the log
    existed does not appear. Two queries whatever the history's length.
    """
    events = [
        HistoryEvent(kind="submitted", at=v.submitted_at, by=v.submitted_by, version=v)
        for v in bid_versions(bid=bid)
    ]
    entries = (
        LogEntry.objects.get_for_object(bid)
        .filter(action=LogEntry.Action.UPDATE, changes__has_key="status")
        .select_related("actor")
    )
    for entry in entries:
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        before, after = (list(changes.get("status") or []) + [None, None])[:2]
        if after == Bid.Status.WITHDRAWN:
            reason = (list(changes.get("withdrawal_reason") or []) + ["", ""])[1]
            events.append(
                HistoryEvent(
                    kind="withdrawn", at=entry.timestamp, by=entry.actor, reason=reason or ""
                )
            )
        elif before == Bid.Status.WITHDRAWN:
            events.append(HistoryEvent(kind="restored", at=entry.timestamp, by=entry.actor))
    return sorted(events, key=lambda event: event.at, reverse=True)


def section_edits(*, bid: Bid) -> list[tuple[str, BidSection | None]]:
    """Each section's label with its row (who saved it last, when), in the form's order."""
    rows = {s.key: s for s in BidSection.objects.filter(bid=bid).select_related("updated_by")}
    return [(str(label), rows.get(key)) for key, label in BidSection.Key.choices]


# --------------------------------------------------------------------------- differences

DRAFT = "draft"


def comparable_states(*, bid: Bid) -> list[tuple[str, str]]:
    """What a difference view may compare: the working copy and every submitted version."""
    choices = [(DRAFT, _("Working copy (not submitted)"))]
    for number, submitted_at in (
        BidVersion.objects.filter(bid=bid).order_by("-number").values_list("number", "submitted_at")
    ):
        choices.append(
            (
                str(number),
                _("Version %(number)s, submitted %(time)s")
                % {"number": number, "time": format_paris_datetime(submitted_at)},
            )
        )
    return choices


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: Any
    new: Any
    is_amount: bool = False


@dataclass(frozen=True)
class SectionChange:
    key: str
    label: str
    segments: list[bid_diff.Segment]

    @property
    def changed(self) -> bool:
        return bid_diff.changed(self.segments)


@dataclass
class BidComparison:
    fields: list[FieldChange]
    sections: list[SectionChange]
    budget: list[dict[str, Any]]
    budget_totals: dict[str, int]
    attachments_removed: list[SnapshotAttachment]
    attachments_added: list[SnapshotAttachment]

    @property
    def identical(self) -> bool:
        return not (
            self.fields
            or any(section.changed for section in self.sections)
            or self.budget
            or self.attachments_removed
            or self.attachments_added
        )


def _cells(snapshot: dict[str, Any]) -> bid_diff.Cells:
    cells: bid_diff.Cells = {}
    for line in snapshot.get("budget") or []:
        if isinstance(line, dict):
            cells[(_as_int(line.get("year")), _text(line.get("category")))] = (
                _as_int(line.get("requested")),
                _as_int(line.get("cofunding")),
            )
    return cells


def compare_snapshots(*, old: dict[str, Any], new: dict[str, Any]) -> BidComparison:
    """``old`` → ``new`` (snapshots in ``bid_content``'s format: a version's, or the working
    copy's): the header fields that changed, every section's text difference
    (``bid_diff.diff_text``), the budget cells that changed, the PDFs removed and added
    (told apart by SHA-256). No query."""
    old_bid, new_bid = old.get("bid") or {}, new.get("bid") or {}
    fields = []
    for key, label, is_amount in (
        ("acronym", _("Acronym"), False),
        ("title", _("Title"), False),
        ("requested_amount", _("Requested amount"), True),
        ("minimum_amount", _("Minimum viable amount"), True),
    ):
        if old_bid.get(key) != new_bid.get(key):
            fields.append(FieldChange(str(label), old_bid.get(key), new_bid.get(key), is_amount))
    old_partners = [_text(p.get("name")) for p in old.get("partners") or [] if isinstance(p, dict)]
    new_partners = [_text(p.get("name")) for p in new.get("partners") or [] if isinstance(p, dict)]
    if old_partners != new_partners:
        fields.append(
            FieldChange(str(_("Partners")), ", ".join(old_partners), ", ".join(new_partners))
        )

    old_sections, new_sections = old.get("sections") or {}, new.get("sections") or {}
    keys = [*BidSection.Key.values]
    keys += [k for k in [*old_sections, *new_sections] if k not in keys]
    sections = [
        SectionChange(
            key=key,
            label=_label(BidSection.Key, key),
            segments=bid_diff.diff_text(_text(old_sections.get(key)), _text(new_sections.get(key))),
        )
        for key in dict.fromkeys(keys)
        if key in old_sections or key in new_sections
    ]

    old_cells, new_cells = _cells(old), _cells(new)
    budget = [
        {
            "year": change.year,
            "category": _label(BudgetLine.Category, change.category),
            "old_requested": change.old_requested,
            "new_requested": change.new_requested,
            "old_cofunding": change.old_cofunding,
            "new_cofunding": change.new_cofunding,
        }
        for change in bid_diff.diff_budget(
            old_cells, new_cells, categories=list(BudgetLine.Category.values)
        )
    ]
    totals = {
        "old_requested": sum(cell[0] for cell in old_cells.values()),
        "new_requested": sum(cell[0] for cell in new_cells.values()),
        "old_cofunding": sum(cell[1] for cell in old_cells.values()),
        "new_cofunding": sum(cell[1] for cell in new_cells.values()),
    }

    old_files, new_files = snapshot_attachments(old), snapshot_attachments(new)
    old_keys = {(a.sha256, a.name) for a in old_files}
    new_keys = {(a.sha256, a.name) for a in new_files}
    return BidComparison(
        fields=fields,
        sections=sections,
        budget=budget,
        budget_totals=totals,
        attachments_removed=[a for a in old_files if (a.sha256, a.name) not in new_keys],
        attachments_added=[a for a in new_files if (a.sha256, a.name) not in old_keys],
    )


# --------------------------------------------------------------------------- partners


def accepted_partners(*, bid: Bid) -> QuerySet[Institution]:
    """The institutions of the portal that accepted to be partners of ``bid``, by name."""
    return Institution.objects.filter(
        partnerships__bid=bid, partnerships__status=Partnership.Status.ACCEPTED
    ).order_by("name", "pk")


def external_partners(*, bid: Bid) -> QuerySet[ExternalPartner]:
    return ExternalPartner.objects.filter(bid=bid).order_by("name", "pk")


def partner_names(*, bid: Bid) -> list[str]:
    """Every partner's name, accepted institutions first, then partners not on the portal
    (with their country), as the jury lists them."""
    names = list(accepted_partners(bid=bid).values_list("name", flat=True))
    names += [f"{p.name} ({p.country})" for p in external_partners(bid=bid)]
    return names


def bid_partnerships(*, bid: Bid, with_history: bool) -> QuerySet[Partnership]:
    """The bid's partnerships for its consortium page: open ones (requested, accepted), and
    with ``with_history`` the declined, withdrawn and left ones too (the lead's members)."""
    rows = Partnership.objects.filter(bid=bid)
    if not with_history:
        rows = rows.open()
    return rows.select_related("institution", "requested_by", "decided_by").order_by(
        "institution__name", "-requested_at"
    )


def partner_choices(*, bid: Bid) -> QuerySet[Institution]:
    """Institutions the lead may ask: not the lead, not already asked or partner."""
    asked = Partnership.objects.open().filter(bid=bid).values("institution")
    return Institution.objects.exclude(pk=bid.lead_institution_id).exclude(pk__in=asked)


def incoming_partnerships(*, user) -> QuerySet[Partnership]:
    """Partnerships asked of the user's institutions, newest first, in one query.

    Each row carries ``my_role`` (the user's role in the partner institution: a coordinator
    answers) and what the partner may see of a request: the bid's acronym and title, its
    call, lead institution, who asked and when.
    """
    role = Membership.objects.filter(user=user, institution=OuterRef("institution")).values("role")[
        :1
    ]
    return (
        Partnership.objects.filter(
            institution__in=Membership.objects.filter(user=user).values("institution")
        )
        .select_related(
            "bid__call", "bid__lead_institution", "institution", "requested_by", "decided_by"
        )
        .annotate(my_role=Subquery(role))
        .order_by("-requested_at", "-pk")
    )


def requests_awaiting(*, user) -> int:
    """Requests the user, as a coordinator of the partner institution, may answer."""
    if not user.is_authenticated:
        return 0
    coordinated = Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR)
    return (
        Partnership.objects.requested()
        .filter(institution__in=coordinated.values("institution"))
        .count()
    )


def get_partnership_for(*, user, pk: int, perm: str = "partnerships.view") -> Partnership:
    """A partnership the user may see (404 otherwise, its existence does not leak), then
    ``perm`` (403)."""
    partnership = get_object_or_404(
        Partnership.objects.select_related("bid__call", "bid__lead_institution", "institution"),
        pk=pk,
    )
    if not rules.has_perm("partnerships.view", user, partnership):
        raise Http404
    if perm != "partnerships.view" and not rules.has_perm(perm, user, partnership):
        raise PermissionDenied
    return partnership


# The call's public page (shown by ``review.views.call_page``, which adds the jury's grid).


def access_public_call(*, slug: str) -> Call:
    """The call with this slug if applicants may see it (not a draft); ``Http404`` otherwise."""
    return get_object_or_404(Call.objects.visible_to_applicants(), slug=slug)


def call_documents(*, call: Call) -> list[CallDocument]:
    return list(CallDocument.objects.filter(call=call).order_by("order", "pk"))


def call_faqs(*, call: Call) -> list[CallFAQ]:
    return list(CallFAQ.objects.filter(call=call).order_by("order", "pk"))


def get_call_document(*, call: Call, pk: int) -> CallDocument:
    return get_object_or_404(CallDocument, call=call, pk=pk)


# Reminders to coordinators before the deadline (``applications.services.deadline_reminders``).


def bids_near_their_deadline(*, now: datetime, horizon: timedelta) -> QuerySet[Bid]:
    """Draft and submitted bids of calls accepting submissions that close within ``horizon``."""
    calls = Call.objects.accepting_submissions(at=now).filter(closes_at__lte=now + horizon)
    return (
        Bid.objects.filter(call__in=calls, status__in=[Bid.Status.DRAFT, Bid.Status.SUBMITTED])
        .select_related("call", "lead_institution")
        .order_by("call__closes_at", "pk")
    )


def reminded_thresholds(*, bids: Iterable[Bid]) -> set[tuple[int, int]]:
    """``(bid id, days before)`` of the reminders already sent to these bids."""
    return set(
        DeadlineReminder.objects.filter(bid__in=[bid.pk for bid in bids]).values_list(
            "bid_id", "days_before"
        )
    )


def member_emails(*, institution_id: int, roles: Iterable[str] | None = None) -> list[str]:
    """The addresses of an institution's members (of ``roles`` only, if given), once, sorted."""
    memberships = Membership.objects.filter(institution=institution_id).exclude(user__email="")
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return sorted(set(memberships.values_list("user__email", flat=True)))


@dataclass(frozen=True)
class ReceiptCheck:
    """What the public verification page says about a receipt or a version's SHA-256.

    ``version`` is the version the portal issued with that SHA-256 (``None``: none was);
    ``seal`` the check of the dropped file's signature (``None`` when only a SHA-256 was
    entered). A dropped file is genuine when both hold: its seal is the portal's and intact,
    and the SHA-256 its metadata name is one the portal issued.
    """

    sha256: str | None
    version: BidVersion | None
    seal: SealCheck | None = None

    @property
    def genuine(self) -> bool:
        return self.version is not None and self.seal is not None and self.seal.valid


# A receipt names its version in its PDF keywords: ``sha256:<hex>``
# (written by ``applications.services.receipts``).
RECEIPT_KEYWORD_PREFIX = "sha256:"
_RECEIPT_KEYWORD = re.compile(RECEIPT_KEYWORD_PREFIX + r"([0-9a-f]{64})")


def receipt_sha256(data: bytes) -> str | None:
    """The version SHA-256 a receipt's metadata name, or ``None`` (not a receipt, unreadable)."""
    try:
        metadata = PdfReader(io.BytesIO(data)).metadata
        keywords = str(metadata.get("/Keywords", "")) if metadata is not None else ""
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return None
    found = _RECEIPT_KEYWORD.search(keywords)
    return found.group(1) if found else None


def issued_version(*, sha256: str) -> BidVersion | None:
    """The submitted version whose SHA-256 is ``sha256``, with its bid."""
    return BidVersion.objects.select_related("bid").filter(sha256=sha256).order_by("pk").first()


def check_receipt(*, data: bytes) -> ReceiptCheck:
    """Check a dropped receipt: its seal and the version it names.

    Raises ``portal.sealing.NotAPdf`` when ``data`` is not a PDF.
    """
    seal = check_seal(data)
    sha256 = receipt_sha256(data)
    version = issued_version(sha256=sha256) if sha256 else None
    return ReceiptCheck(sha256=sha256, version=version, seal=seal)


def check_version_hash(*, sha256: str) -> ReceiptCheck:
    return ReceiptCheck(sha256=sha256, version=issued_version(sha256=sha256))


def verified_emails(*, user) -> set[str]:
    """The user's verified addresses, lower-cased; a user created outside allauth
    (``createsuperuser``, the admin) has no ``EmailAddress`` row and is trusted with their
    account e-mail."""
    addresses = list(EmailAddress.objects.filter(user=user).values_list("email", "verified"))
    if not addresses:
        return {user.email.lower()} if user.email else set()
    return {email.lower() for email, verified in addresses if verified}


def usable_invitations() -> QuerySet[Invitation]:
    """Invitations whose link still works: not used, not expired."""
    return Invitation.objects.filter(
        accepted_at=None, created_at__gt=timezone.now() - INVITATION_VALIDITY
    )


def invitations_awaiting(*, user) -> QuerySet[Invitation]:
    """Usable invitations sent to one of ``user``'s verified addresses, for institutions they
    do not belong to yet, oldest first: what to offer them right after they sign in."""
    emails = verified_emails(user=user)
    if not emails:
        return Invitation.objects.none()
    addressed = Q()
    for email in emails:
        addressed |= Q(email__iexact=email)
    return (
        usable_invitations()
        .filter(addressed)
        .exclude(institution__memberships__user=user)
        .select_related("institution")
        .order_by("created_at", "pk")
    )


def memberships_of(*, user) -> QuerySet[Membership]:
    """The user's memberships with their institutions, in the order they joined."""
    return (
        Membership.objects.filter(user=user)
        .select_related("institution")
        .order_by("joined_at", "pk")
    )
