"""Whether each bid has the jurors its call plans for: the one definition of *understaffed*.

A bid the jury assesses (``Bid.objects.assessable()``) is understaffed when it has fewer
active jurors (``Assignment.objects.active()``) than its call's ``jurors_per_bid``. The
assignment page, the progress page and the administrators' e-mail
(``review.services.staffing.notify_if_understaffed``) all read it here.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from applications.models import Bid, Call
from review.models import Assignment, BidReviewFigures, Conflict, ConflictDeclaration


def _active_jurors() -> Coalesce:
    """The bid's active jurors (``Assignment.objects.active()``), for a bid queryset: the one
    count both ``with_staffing`` and ``understaffed_list`` use."""
    active = (
        Assignment.objects.active()
        .filter(bid_id=OuterRef("pk"))
        .order_by()
        .values("bid_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(active, output_field=IntegerField()), Value(0))


def with_staffing(bids: QuerySet[Bid]) -> QuerySet[Bid]:
    """Annotate ``active_jurors`` (assignments not cancelled by a conflict) and
    ``understaffed`` (fewer than the call's ``jurors_per_bid``; only for assessable bids)."""
    assessable = Exists(Bid.objects.assessable().filter(pk=OuterRef("pk")))
    return bids.annotate(active_jurors=_active_jurors()).annotate(
        understaffed=ExpressionWrapper(
            assessable & Q(active_jurors__lt=F("call__jurors_per_bid")),
            output_field=BooleanField(),
        )
    )


def _understaffed(
    *, call: Call, bid_ids: list[int] | None = None
) -> list[tuple[int, str, Any, int]]:
    """(bid id, acronym, public id, active jurors) of the call's understaffed bids, by acronym
    (one query).

    The same rule as ``with_staffing`` (active jurors below the plan, assessable bids), asked
    without counting every bid's active jurors: a bid's active jurors are among its assigned
    ones, so only a bid with fewer assignments than the plan, or with an excluding conflict
    or declaration (the bids of ``excluded_pairs``, a handful), can be understaffed. Each
    bid's assignments are counted by the database itself (``BidReviewFigures``, kept by
    triggers); the active jurors, with the conflict rule's subqueries, are counted for those
    candidates only, and compared with the plan here. ``tests/review/test_staffing.py``
    checks the result equals ``with_staffing``'s.
    """
    bids = Bid.objects.assessable().filter(call=call)
    if bid_ids is not None:
        bids = bids.filter(pk__in=bid_ids)
    # Bids with at least the plan's assignments (their count kept by the database).
    at_plan = BidReviewFigures.objects.filter(
        call=call, assignments__gte=call.jurors_per_bid
    ).values("bid_id")
    touched = Q(pk__in=Conflict.objects.excluding().filter(bid__call=call).values("bid_id")) | Q(
        pk__in=ConflictDeclaration.objects.excluding().filter(bid__call=call).values("bid_id")
    )
    candidates = (
        bids.filter(~Q(pk__in=at_plan) | touched)
        .annotate(active_jurors=_active_jurors())
        .order_by("acronym", "pk")
        .values_list("pk", "acronym", "public_id", "active_jurors")
    )
    return [row for row in candidates if row[3] < call.jurors_per_bid]


def understaffed_bids(*, call: Call, bid_ids: list[int] | None = None) -> dict[int, int]:
    """Bid id → active jurors, for the call's understaffed bids (one query); ``bid_ids``
    narrows the question to those bids."""
    return {pk: active for pk, _, _, active in _understaffed(call=call, bid_ids=bid_ids)}


def understaffed_list(*, call: Call) -> list[tuple[int, str, Any, int]]:
    """(bid id, acronym, public id, active jurors) of the call's understaffed bids, by acronym
    (one query)."""
    return _understaffed(call=call)


def administrators_to_notify() -> list[User]:
    """Who hears of staffing problems: every active programme administrator with an address.

    Not only those with TOTP on: one who has not activated it yet still needs to know, and
    the e-mail names a bid's acronym and a count, nothing the gate protects.
    """
    return list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .order_by("pk")
    )
