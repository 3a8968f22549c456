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
from review.models import Assignment


def with_staffing(bids: QuerySet[Bid]) -> QuerySet[Bid]:
    """Annotate ``active_jurors`` (assignments not cancelled by a conflict) and
    ``understaffed`` (fewer than the call's ``jurors_per_bid``; only for assessable bids)."""
    active = (
        Assignment.objects.active()
        .filter(bid_id=OuterRef("pk"))
        .order_by()
        .values("bid_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    assessable = Exists(Bid.objects.assessable().filter(pk=OuterRef("pk")))
    return bids.annotate(
        active_jurors=Coalesce(Subquery(active, output_field=IntegerField()), Value(0))
    ).annotate(
        understaffed=ExpressionWrapper(
            assessable & Q(active_jurors__lt=F("call__jurors_per_bid")),
            output_field=BooleanField(),
        )
    )


def _understaffed(*, call: Call, bid_ids: list[int] | None = None) -> QuerySet[Bid]:
    bids = Bid.objects.assessable().filter(call=call)
    if bid_ids is not None:
        bids = bids.filter(pk__in=bid_ids)
    return with_staffing(bids).filter(understaffed=True)  # type: ignore[misc]  # annotated by with_staffing


def understaffed_bids(*, call: Call, bid_ids: list[int] | None = None) -> dict[int, int]:
    """Bid id → active jurors, for the call's understaffed bids (one query); ``bid_ids``
    narrows the question to those bids."""
    rows = _understaffed(call=call, bid_ids=bid_ids)
    return dict(rows.values_list("pk", "active_jurors"))  # type: ignore[misc]  # annotated by with_staffing


def understaffed_list(*, call: Call) -> list[tuple[int, str, Any, int]]:
    """(bid id, acronym, public id, active jurors) of the call's understaffed bids, by acronym
    (one query)."""
    return list(
        _understaffed(call=call)
        .order_by("acronym", "pk")
        .values_list("pk", "acronym", "public_id", "active_jurors")  # type: ignore[misc]  # annotated by with_staffing
    )


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
