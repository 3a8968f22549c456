"""Who may see a bid as a juror, read from the one rule in ``review.models``.

A juror reaches a bid only through an assignment, and loses it once
``review.models.juror_excluded`` holds for the pair (a confirmed conflict, or a conflict the
juror declared). The predicates of ``review.rules`` and the jury views fetch through here.
"""

from applications.models import Bid, Call
from review.models import Assignment, Conflict, ConflictDeclaration, JurorProfile


def active_assignment(user, bid: Bid | None) -> Assignment | None:
    """The user's assignment on the bid, unless a conflict removes them from it (one query)."""
    if bid is None or not user.is_authenticated or not hasattr(user, "juror_profile"):
        return None
    return Assignment.objects.active().filter(juror=user.juror_profile, bid=bid).first()


def excluded_juror_ids(bid: Bid) -> set[int]:
    """Jurors removed from the bid, whether or not they are assigned to it."""
    return set(JurorProfile.objects.excluded_from(bid).values_list("pk", flat=True))


def excluded_pairs(*, call: Call, bid_ids: list[int] | None = None) -> set[tuple[int, int]]:
    """(juror id, bid id) of every pair of the call that a conflict removes (one query);
    ``bid_ids`` narrows the question to those bids (a page).

    ``juror_excluded`` is "an excluding conflict or an excluding declaration exists for the
    pair", so the pairs of the excluding rows of both tables are every removed pair, assigned
    or not (read directly: no subquery per row).
    """
    conflicts, declarations = (
        rows.filter(bid__call=call)
        .filter(**({} if bid_ids is None else {"bid_id__in": bid_ids}))
        .order_by()
        .values_list("juror_id", "bid_id")
        for rows in (Conflict.objects.excluding(), ConflictDeclaration.objects.excluding())
    )
    return set(conflicts.union(declarations))
