"""Reads for the administrators' list of conflicts of interest."""

from applications.models import Call
from review.models import Assignment, Conflict


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
