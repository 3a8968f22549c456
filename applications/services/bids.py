"""Writing a bid: starting it, the consortium, the free-text sections and the budget table.

Every write goes through ``check_bid_writable`` first: the deadline is enforced here, to the
second, whatever page the request came from. Concurrent editors are told apart with a
version number per editable part (``BidSection.version``, ``Bid.consortium_version``,
``Bid.budget_version``): a write names the version it started from and is refused with
``StaleEdit`` when someone saved in between (``portal.editing.swap_version``), and with
``CallClosed`` when the call accepts no writes.
"""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applications.models import (
    Bid,
    BidSection,
    BudgetLine,
    Call,
    Institution,
    Membership,
    SectionGuidance,
)
from applications.queries import section_guidance
from applications.text_limits import normalise_line_endings
from applications.validators import validate_clean_text
from portal.editing import CallClosed, StaleEdit, swap_row_version, swap_version
from portal.formats import format_euros, format_paris_datetime, format_paris_time

logger = logging.getLogger(__name__)

MAX_SECTION_CHARS = 60_000
# Amounts are stored in PositiveBigIntegerField; a sane ceiling keeps typos visible.
MAX_AMOUNT = 10**12


def closed_message(*, call: Call) -> str:
    return _(
        "The call closed on %(deadline)s: changes are no longer accepted. What was submitted "
        "before the deadline is kept."
    ) % {"deadline": format_paris_datetime(call.closes_at)}


def check_bid_writable(*, bid: Bid, at: datetime | None = None) -> None:
    """Raise unless the bid may be changed now (call accepting submissions, not withdrawn).

    ``at`` defaults to now; the comparison is to the second (``Call.is_accepting_submissions``).
    """
    now = at or timezone.now()
    call = bid.call
    if not call.is_accepting_submissions(at=now):
        if not call.has_opened(at=now) or call.status == Call.Status.DRAFT:
            raise CallClosed(_("The call is not open yet."))
        raise CallClosed(closed_message(call=call))
    if bid.status == Bid.Status.WITHDRAWN:
        raise ValidationError(
            _("This bid is withdrawn: its coordinator must undo the withdrawal before editing."),
            code="withdrawn",
        )


def start_bid(
    *, call: Call, lead_institution: Institution, acronym: str, title: str, by: User
) -> Bid:
    """Create a draft bid led by ``lead_institution`` with its empty sections.

    Only a coordinator or editor of the institution may start it; one bid per lead
    institution per call (the database constraint is the last word under concurrency).
    """
    role = Membership.objects.filter(user=by, institution=lead_institution).values_list(
        "role", flat=True
    )
    if not set(role) & {Membership.Role.COORDINATOR, Membership.Role.EDITOR}:
        raise PermissionDenied(_("Only coordinators and editors of the institution start a bid."))
    if not call.is_accepting_submissions():
        raise CallClosed(_("This call does not accept new bids."))
    bid = Bid(
        call=call,
        lead_institution=lead_institution,
        acronym=acronym.strip(),
        title=title.strip(),
        created_by=by,
    )
    try:
        bid.full_clean()
    except ValidationError as error:
        if (
            "__all__" in getattr(error, "error_dict", {})
            and Bid.objects.filter(call=call, lead_institution=lead_institution).exists()
        ):
            raise ValidationError(
                _("%(institution)s already has a bid on this call: open it from your dashboard.")
                % {"institution": lead_institution}
            ) from error
        raise
    with transaction.atomic():
        bid.save()
        BidSection.objects.bulk_create(
            [BidSection(bid=bid, key=key, updated_by=by) for key in BidSection.Key.values]
        )
    logger.info("Bid %s started by user %s", bid.pk, by.pk)
    return bid


def update_consortium(
    *,
    bid: Bid,
    version: int,
    acronym: str,
    title: str,
    requested_amount: int,
    minimum_amount: int,
    by: User,
) -> Bid:
    """Save the header fields of ``bid`` if ``version`` is current.

    Partners are not saved here: a partnership needs the partner's consent
    (``applications.services.partnerships``).
    """
    now = timezone.now()
    check_bid_writable(bid=bid, at=now)
    call = bid.call
    errors: dict[str, list[str]] = {}
    if not call.min_amount <= requested_amount <= call.max_amount:
        errors.setdefault("requested_amount", []).append(
            _("The requested amount must be between %(min)s and %(max)s for this call.")
            % {"min": format_euros(call.min_amount), "max": format_euros(call.max_amount)}
        )
    if minimum_amount > requested_amount:
        errors.setdefault("minimum_amount", []).append(
            _("The minimum viable amount cannot exceed the requested amount.")
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rows = Bid.objects.filter(pk=bid.pk)
        if not swap_version(rows, expected=version, field="consortium_version", updated_at=now):
            current = rows.only("updated_at", "consortium_version").get()
            raise StaleEdit(
                _(
                    "Someone else saved the consortium at %(time)s (Europe/Paris) after you "
                    "opened this page. Note your changes, reload the page and enter them again."
                )
                % {"time": format_paris_time(current.updated_at, seconds=True)},
                saved_at=current.updated_at,
                version=current.consortium_version,
            )
        bid.acronym = acronym.strip()
        bid.title = title.strip()
        bid.requested_amount = requested_amount
        bid.minimum_amount = minimum_amount
        bid.consortium_version = version + 1
        edited = ["acronym", "title", "requested_amount", "minimum_amount"]
        bid.full_clean(exclude=[f.name for f in Bid._meta.fields if f.name not in edited])
        bid.save(update_fields=[*edited, "consortium_version", "updated_at"])
    logger.info("Bid %s consortium saved by user %s (v%s)", bid.pk, by.pk, bid.consortium_version)
    return bid


def merge_instruction() -> str:
    """What to do after an edit conflict on a section or the budget, the same words for both:
    the page (static/js/autosave.js) kept the user's changes and shows them beside the saved
    version after a reload."""
    return _(
        "Nothing you typed is lost: reload the page, the saved version is then shown beside "
        "yours to merge."
    )


def _section_conflict(section: BidSection, by: User) -> StaleEdit:
    when = format_paris_time(section.updated_at, seconds=True)
    if section.updated_by_id == getattr(by, "pk", None):
        message = _(
            "You saved this section at %(time)s (Europe/Paris) from another window or tab."
        ) % {"time": when}
    else:
        who = section.updated_by.email if section.updated_by else _("someone")
        message = _(
            "Someone else (%(who)s) saved this section at %(time)s (Europe/Paris) after you "
            "opened it."
        ) % {"who": who, "time": when}
    return StaleEdit(
        f"{message} {merge_instruction()}", saved_at=section.updated_at, version=section.version
    )


def check_section_length(*, guidance: SectionGuidance | None, content: str) -> None:
    """Refuse ``content`` over the call's limit for the section (``SectionGuidance.limit``,
    counted by ``applications.text_limits.count_text``, the count the editor shows).

    The message says by how much; the caller keeps the text (the form re-renders it, the
    autosave script leaves it in the editor and in the browser).
    """
    if guidance is None or guidance.limit is None:
        return
    over = guidance.exceeded_by(content)
    if not over:
        return
    numbers = {
        "limit": number_format(guidance.limit, force_grouping=True),
        "count": number_format(guidance.count(content), force_grouping=True),
        "over": number_format(over, force_grouping=True),
    }
    if guidance.limit_unit == SectionGuidance.LimitUnit.WORDS:
        message = ngettext(
            "Not saved: this section is limited to %(limit)s words and your text has "
            "%(count)s. Remove %(over)s word to save it; your text is kept in the editor.",
            "Not saved: this section is limited to %(limit)s words and your text has "
            "%(count)s. Remove %(over)s words to save it; your text is kept in the editor.",
            over,
        )
    else:
        message = ngettext(
            "Not saved: this section is limited to %(limit)s characters and your text has "
            "%(count)s. Remove %(over)s character to save it; your text is kept in the editor.",
            "Not saved: this section is limited to %(limit)s characters and your text has "
            "%(count)s. Remove %(over)s characters to save it; your text is kept in the "
            "editor.",
            over,
        )
    raise ValidationError(message % numbers, code="over_limit")


# ``save_section(guidance=...)`` left out: the guidance is read here.
READ_GUIDANCE: Any = object()


def save_section(
    *,
    bid: Bid,
    key: str,
    content: str,
    version: int,
    by: User,
    guidance: SectionGuidance | None = READ_GUIDANCE,
) -> BidSection:
    """Save one free-text section if ``version`` is still the saved one; bump the version.

    Used by the autosave endpoint (every ~1.5 s while typing) and the plain form alike.
    Line endings are stored normalised (``text_limits.normalise_line_endings``); a text over
    the call's limit for the section is refused (``check_section_length``). ``guidance`` is
    the section's guidance when the caller has read it already (the autosave reads it with
    the bid, ``applications.queries.get_bid_to_autosave``); ``None`` if the section has none.
    """
    if key not in BidSection.Key.values:
        raise ValidationError(_("Unknown section."), code="invalid")
    validate_clean_text(content)
    content = normalise_line_endings(content)
    if len(content) > MAX_SECTION_CHARS:
        raise ValidationError(
            _("This section is limited to %(max)s characters (it has %(count)s).")
            % {"max": f"{MAX_SECTION_CHARS:,}", "count": f"{len(content):,}"},
            code="too_long",
        )
    if guidance is READ_GUIDANCE:
        guidance = section_guidance(call_id=bid.call_id, key=key)
    check_section_length(guidance=guidance, content=content)
    now = timezone.now()
    check_bid_writable(bid=bid, at=now)
    # One conditional UPDATE, atomic on its own: the version check and the write cannot be
    # separated, and autosave (the hot path) costs a single round trip.
    changes: dict[str, Any] = {"content": content, "updated_at": now, "updated_by": by}
    where: dict[str, Any] = {"bid": bid, "key": key}
    if not swap_row_version(BidSection, where=where, expected=version, **changes):
        # Off the hot path from here: the ORM's queryset is built only when the swap failed.
        rows = BidSection.objects.filter(**where)
        current = rows.select_related("updated_by").first()
        if current is not None:
            raise _section_conflict(current, by)
        # Sections are created with the bid; a missing one starts at version 1, as shown.
        BidSection.objects.get_or_create(**where)
        if not swap_row_version(BidSection, where=where, expected=version, **changes):
            raise _section_conflict(rows.select_related("updated_by").get(), by)
    return BidSection(
        bid=bid, key=key, content=content, version=version + 1, updated_at=now, updated_by=by
    )


def save_budget(
    *, bid: Bid, version: int, cells: Mapping[tuple[int, str], tuple[int, int]], by
) -> Bid:
    """Replace the budget table of ``bid`` with ``cells`` if ``version`` is current.

    ``cells`` maps (year, category) to (requested, co-funding), whole euros. A budget whose
    requested total differs from the requested amount is saved all the same (a draft is
    never refused for being incomplete); the checklist flags it and submission refuses it.
    """
    now = timezone.now()
    check_bid_writable(bid=bid, at=now)
    years = range(1, bid.call.budget_years + 1)
    categories = set(BudgetLine.Category.values)
    for (year, category), (requested, cofunding) in cells.items():
        if year not in years or category not in categories:
            raise ValidationError(_("The budget table has an unknown row or column."))
        for amount in (requested, cofunding):
            if not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
                raise ValidationError(_("Budget amounts are whole, non-negative euros."))
    with transaction.atomic():
        rows = Bid.objects.filter(pk=bid.pk)
        if not swap_version(rows, expected=version, field="budget_version", updated_at=now):
            current = rows.only("updated_at", "budget_version").get()
            message = _(
                "Someone else saved the budget at %(time)s (Europe/Paris) after you opened "
                "this page."
            ) % {"time": format_paris_time(current.updated_at, seconds=True)}
            raise StaleEdit(
                f"{message} {merge_instruction()}",
                saved_at=current.updated_at,
                version=current.budget_version,
            )
        existing = {(line.year, line.category): line for line in bid.budget_lines.all()}
        for cell, (requested, cofunding) in cells.items():
            line = existing.pop(cell, None)
            if line is None:
                BudgetLine.objects.create(
                    bid=bid,
                    year=cell[0],
                    category=cell[1],
                    requested=requested,
                    cofunding=cofunding,
                )
            elif (line.requested, line.cofunding) != (requested, cofunding):
                line.requested, line.cofunding = requested, cofunding
                line.save(update_fields=["requested", "cofunding"])
        # Cells outside the grid (e.g. the call now has fewer years) are dropped.
        stale = [line.pk for cell, line in existing.items() if cell[0] not in years]
        if stale:
            BudgetLine.objects.filter(pk__in=stale).delete()
    bid.budget_version = version + 1
    bid.updated_at = now
    logger.info("Bid %s budget saved by user %s (v%s)", bid.pk, by.pk, bid.budget_version)
    return bid
