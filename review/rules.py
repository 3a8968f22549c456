"""Who may see and do what in the jury: django-rules predicates.

A juror reaches a bid only through an active assignment (``Assignment.objects.active()``,
which a conflict cancels: ``review.models.juror_excluded``). Beyond the title and summary, a
juror must first declare "no conflict". Administrators (``is_verified_administrator``) see
and read every bid but score none. Jurors and administrators must have TOTP enabled
(``mfa_satisfied``) unless the local demo relaxes it (never in production: see settings).
"""

import rules

from applications.models import Bid
from applications.rules import (
    is_bid_coordinator,
    is_juror,
    is_verified_administrator,
    mfa_satisfied,
)
from review.models import ConflictDeclaration
from review.queries.visibility import active_assignment


@rules.predicate
def is_assigned_juror(user, bid: Bid | None) -> bool:
    return active_assignment(user, bid) is not None


@rules.predicate
def has_declared_no_conflict(user, bid: Bid | None) -> bool:
    if bid is None or not hasattr(user, "juror_profile"):
        return False
    return (
        ConflictDeclaration.objects.no_conflict().filter(juror=user.juror_profile, bid=bid).exists()
    )


is_verified_juror = mfa_satisfied & is_juror
is_active_juror_of_bid = is_verified_juror & is_assigned_juror
is_cleared_juror_of_bid = is_active_juror_of_bid & has_declared_no_conflict

rules.add_perm("jury.administer", is_verified_administrator)
# A procedural appeal after publication (the window is ``review.services.redress``).
rules.add_perm("bids.appeal", is_bid_coordinator)
# The juror's list (administrators see the calls there).
rules.add_perm("jury.see_dashboard", is_verified_juror | is_verified_administrator)
rules.add_perm("jury.edit_own_profile", is_verified_juror)
# Title and summary only: enough to declare a conflict.
rules.add_perm("jury.see_bid_summary", is_active_juror_of_bid | is_verified_administrator)
rules.add_perm("jury.declare_conflict", is_active_juror_of_bid)
# Form sections, budget, PDFs of the submitted version; and scoring (jurors only).
rules.add_perm("jury.read_bid", is_cleared_juror_of_bid | is_verified_administrator)
rules.add_perm("jury.review_bid", is_cleared_juror_of_bid)
