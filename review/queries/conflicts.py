"""Reads for the administrators' list of conflicts of interest, and the conflict state of
bids on the programme's bid list."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from applications.models import Bid, Call
from applications.queries import BidListFilter
from review.models import Assignment, Conflict, ConflictDeclaration

# A bid's conflict state: a juror is removed from it (``review.models.juror_excluded``: a
# confirmed conflict or the juror's own declaration), a suggested conflict awaits an
# administrator's decision, or neither (dismissed conflicts only, or none at all). A bid may
# be both removing and awaiting.
CONFLICT_EXCLUDING = "excluding"
CONFLICT_AWAITING = "awaiting"
CONFLICT_NONE = "none"


def conflict_rows(*, call: Call, status: str = "") -> list[tuple[Conflict, bool]]:
    """The call's conflicts (of one ``status``, or all), each with whether the pair is
    assigned; by bid, juror, source and kind; two queries."""
    conflicts = (
        Conflict.objects.filter(bid__call=call)
        .select_related("juror__user", "bid__lead_institution", "decided_by")
        .order_by("bid__acronym", "juror__display_name", "source", "kind")
    )
    if status:
        conflicts = conflicts.filter(status=status)
    assigned = set(Assignment.objects.filter(bid__call=call).values_list("juror_id", "bid_id"))
    return [(conflict, (conflict.juror_id, conflict.bid_id) in assigned) for conflict in conflicts]


def _excluding(bid: OuterRef) -> Q:
    return Q(Exists(Conflict.objects.excluding().filter(bid_id=bid))) | Q(
        Exists(ConflictDeclaration.objects.excluding().filter(bid_id=bid))
    )


def _awaiting(bid: OuterRef) -> Q:
    return Q(Exists(Conflict.objects.undecided().filter(bid_id=bid)))


def bids_in_conflict_state(bids: QuerySet[Bid], state: str) -> QuerySet[Bid]:
    """``bids`` in the conflict ``state`` (subqueries: no join multiplies the rows); an
    unknown state leaves them as they are (the form offers the three)."""
    bid = OuterRef("pk")
    if state == CONFLICT_EXCLUDING:
        return bids.filter(_excluding(bid))
    if state == CONFLICT_AWAITING:
        return bids.filter(_awaiting(bid))
    if state == CONFLICT_NONE:
        return bids.exclude(_excluding(bid)).exclude(_awaiting(bid))
    return bids


CONFLICT_STATE_FILTER = BidListFilter(
    label=_("conflict of interest"),
    choices=[
        (CONFLICT_EXCLUDING, _("A juror is removed by a conflict")),
        (CONFLICT_AWAITING, _("A suggested conflict awaits a decision")),
        (CONFLICT_NONE, _("No conflict (or dismissed ones only)")),
    ],
    apply=bids_in_conflict_state,
)
