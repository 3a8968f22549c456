"""Who may see and do what in the jury: django-rules predicates.

A juror reaches a bid only through an active assignment (``Assignment.objects.active()``,
which a conflict cancels: ``review.models.juror_excluded``). Beyond the title and summary, a
juror must first declare "no conflict". Jurors and administrators must have TOTP enabled
(``mfa_satisfied``) unless the local demo relaxes it (never in production: see settings).
"""

import rules

from applications.models import Bid
from applications.rules import is_administrator, is_juror, mfa_satisfied
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


# Title and summary only: enough to declare a conflict.
rules.add_perm("jury.see_bid_summary", mfa_satisfied & is_juror & is_assigned_juror)
rules.add_perm("jury.declare_conflict", mfa_satisfied & is_juror & is_assigned_juror)
# Form sections, budget, PDFs of the submitted version; and scoring.
rules.add_perm(
    "jury.read_bid", mfa_satisfied & is_juror & is_assigned_juror & has_declared_no_conflict
)
rules.add_perm(
    "jury.review_bid", mfa_satisfied & is_juror & is_assigned_juror & has_declared_no_conflict
)
rules.add_perm("jury.administer", mfa_satisfied & is_administrator)
