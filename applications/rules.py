"""Who may do what with institutions and bids: django-rules predicates.

Permission names are ``bids.*`` / ``institutions.*`` so they never shadow Django's model
permissions that the admin checks.

Roles: institution members (coordinator, editor, reader, per institution), jurors (a
``JurorProfile``) and programme administrators (``is_staff``).
"""

import rules
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from applications.models import Bid, Institution, Membership


def _role_in(user, institution_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    # Cached per request object on the user to avoid a query per check.
    cache = getattr(user, "_membership_roles", None)
    if cache is None:
        cache = dict(Membership.objects.filter(user=user).values_list("institution_id", "role"))
        user._membership_roles = cache
    return cache.get(institution_id)


@rules.predicate
def is_administrator(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


@rules.predicate
def is_juror(user) -> bool:
    return bool(user.is_authenticated and hasattr(user, "juror_profile"))


@rules.predicate
def mfa_satisfied(user) -> bool:
    """TOTP is enabled, or the local demo relaxes it (only honoured while DEBUG is on)."""
    if not user.is_authenticated:
        return False
    if settings.PORTAL_DEMO_RELAX_MFA:
        return True
    return is_mfa_enabled(user)


@rules.predicate
def is_institution_member(user, institution: Institution | None) -> bool:
    return institution is not None and _role_in(user, institution.pk) is not None


@rules.predicate
def is_institution_coordinator(user, institution: Institution | None) -> bool:
    return institution is not None and _role_in(user, institution.pk) == Membership.Role.COORDINATOR


def _bid_role(user, bid: Bid | None) -> str | None:
    if bid is None:
        return None
    return _role_in(user, bid.lead_institution_id)


@rules.predicate
def is_bid_member(user, bid: Bid) -> bool:
    """Members of the lead institution (who write the bid)."""
    return _bid_role(user, bid) is not None


@rules.predicate
def is_bid_partner_member(user, bid: Bid) -> bool:
    if bid is None or not user.is_authenticated:
        return False
    partner_ids = {p.pk for p in bid.partners.all()}
    return any(_role_in(user, pk) is not None for pk in partner_ids)


@rules.predicate
def is_bid_editor(user, bid: Bid) -> bool:
    return _bid_role(user, bid) in {Membership.Role.COORDINATOR, Membership.Role.EDITOR}


@rules.predicate
def is_bid_coordinator(user, bid: Bid) -> bool:
    return _bid_role(user, bid) == Membership.Role.COORDINATOR


rules.add_perm("institutions.view", is_institution_member | is_administrator)
rules.add_perm("institutions.manage", is_institution_coordinator)
# Administrators read bids only with TOTP on (jurors get theirs through review/rules.py).
rules.add_perm(
    "bids.view", is_bid_member | is_bid_partner_member | (is_administrator & mfa_satisfied)
)
rules.add_perm("bids.edit", is_bid_editor)
rules.add_perm("bids.submit", is_bid_coordinator)
rules.add_perm("bids.withdraw", is_bid_coordinator)
rules.add_perm("bids.screen", is_administrator)
rules.add_perm("calls.manage", is_administrator)
