"""Plain helpers for jury tests: people with TOTP enabled, bids the jury assesses."""

from applications.models import Bid, Call
from review.models import JurorProfile
from tests.factories import (
    AdministratorFactory,
    BidFactory,
    JurorProfileFactory,
    MembershipFactory,
    enable_totp,
)


def administrator_with_totp():
    user = AdministratorFactory()
    enable_totp(user)
    return user


def juror_with_totp(*, call: Call | None = None, **kwargs) -> JurorProfile:
    juror = JurorProfileFactory(**kwargs)
    if call is not None:
        juror.calls.add(call)
    enable_totp(juror.user)
    return juror


def submitted_bid(*, call: Call, **kwargs) -> Bid:
    return BidFactory(call=call, status=Bid.Status.SUBMITTED, **kwargs)


def institution_member(*, bid: Bid | None = None, role: str = "coordinator"):
    """A member of the bid's lead institution (or of an unrelated one)."""
    if bid is None:
        return MembershipFactory(role=role).user
    return MembershipFactory(institution=bid.lead_institution, role=role).user
