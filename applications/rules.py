"""Who may do what with institutions and bids: django-rules predicates.

Permission names are ``bids.*`` / ``institutions.*`` so they never shadow Django's model
permissions that the admin checks.

Roles: institution members (coordinator, editor, reader, per institution), jurors (a
``JurorProfile``) and programme administrators (``is_staff``). Administrators act only with
TOTP on (``is_verified_administrator``); jurors and administrators without it reach nothing
but their account pages (``needs_mfa``, enforced by ``applications.mfa.TotpGateMiddleware``).

Views declare their permission with ``permission_required`` below, the one style for every
view; navigation (``portal.context_processors``) and ``BidQuerySet.visible_to`` call the same
predicates.
"""

from collections.abc import Callable
from functools import wraps

import rules
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from applications.models import Bid, Institution, Membership, Partnership


def _role_in(user, institution_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    # Cached per request object on the user to avoid a query per check.
    cache = getattr(user, "_membership_roles", None)
    if cache is None:
        known = getattr(user, "_known_roles", None)
        if known is not None and institution_id in known:
            return known[institution_id]
        cache = dict(Membership.objects.filter(user=user).values_list("institution_id", "role"))
        user._membership_roles = cache
    return cache.get(institution_id)


def note_role(user, institution_id: int, role: str | None) -> None:
    """Record ``user``'s role in one institution (``None``: not a member), read by the caller
    in a query of its own (the autosave's one query, ``applications.queries.get_bid_to_autosave``),
    so that the predicates asking about that institution need not load every membership.

    Call with the role read from the database for this request's user object only: the
    predicates trust it as they trust their own per-request cache.
    """
    if user.is_authenticated:
        known = getattr(user, "_known_roles", None)
        if known is None:
            known = user._known_roles = {}
        known[institution_id] = role


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
    # Cached on the user object (one per request), as the gate and the rules both ask.
    cached = getattr(user, "_mfa_enabled", None)
    if cached is None:
        cached = user._mfa_enabled = is_mfa_enabled(user)
    return cached


# A programme administrator with TOTP on: the only way an administrator acts or reads bids.
is_verified_administrator = is_administrator & mfa_satisfied

# Jurors and administrators see bids, scores and reviews: without TOTP they reach nothing but
# their account pages.
needs_mfa = (is_juror | is_administrator) & ~mfa_satisfied


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


def _accepted_partner_ids(bid: Bid) -> set[int]:
    # Cached on the bid object (one per request), as a page asks several rules of one bid.
    cached = getattr(bid, "_accepted_partner_ids", None)
    if cached is None:
        cached = set(
            Partnership.objects.accepted().filter(bid=bid).values_list("institution_id", flat=True)
        )
        bid._accepted_partner_ids = cached  # type: ignore[attr-defined]  # per-request cache
    return cached


@rules.predicate
def is_bid_partner_member(user, bid: Bid) -> bool:
    """Members of an institution whose partnership the institution *accepted*: a request not
    yet answered (or declined, withdrawn, left) shows nothing of the bid, as for anyone."""
    if bid is None or not user.is_authenticated:
        return False
    return any(_role_in(user, pk) is not None for pk in _accepted_partner_ids(bid))


@rules.predicate
def is_bid_editor(user, bid: Bid) -> bool:
    return _bid_role(user, bid) in {Membership.Role.COORDINATOR, Membership.Role.EDITOR}


@rules.predicate
def is_bid_coordinator(user, bid: Bid) -> bool:
    return _bid_role(user, bid) == Membership.Role.COORDINATOR


@rules.predicate
def is_partnership_party(user, partnership: Partnership | None) -> bool:
    """Members of the partner institution or of the bid's lead: they see the request."""
    if partnership is None:
        return False
    return (
        _role_in(user, partnership.institution_id) is not None
        or _role_in(user, partnership.bid.lead_institution_id) is not None
    )


@rules.predicate
def is_partner_coordinator(user, partnership: Partnership | None) -> bool:
    """A coordinator of the institution asked to be a partner: they answer for it."""
    return (
        partnership is not None
        and _role_in(user, partnership.institution_id) == Membership.Role.COORDINATOR
    )


rules.add_perm("institutions.view", is_institution_member | is_verified_administrator)
# Administrators manage any institution's members (e.g. appoint a coordinator when the last
# one left).
rules.add_perm("institutions.manage", is_institution_coordinator | is_verified_administrator)
# Jurors get their bids through review/rules.py.
rules.add_perm("bids.view", is_bid_member | is_bid_partner_member | is_verified_administrator)
rules.add_perm("bids.edit", is_bid_editor)
rules.add_perm("bids.submit", is_bid_coordinator)
rules.add_perm("bids.withdraw", is_bid_coordinator)
# Asking another institution to be a partner, or withdrawing the request: the lead's
# coordinator. Partners not on the portal are part of the bid's content (``bids.edit``).
rules.add_perm("bids.manage_partners", is_bid_coordinator)
rules.add_perm("partnerships.view", is_partnership_party | is_verified_administrator)
# Accepting, declining or leaving: the partner institution's coordinator only.
rules.add_perm("partnerships.respond", is_partner_coordinator)
rules.add_perm("bids.screen", is_verified_administrator)
rules.add_perm("calls.manage", is_verified_administrator)


ViewFunction = Callable[..., HttpResponseBase]


def permission_required(
    perm: str, fn: Callable[..., object] | None = None
) -> Callable[[ViewFunction], ViewFunction]:
    """Declare a view's permission: anonymous users go to the login page, others need ``perm``.

    ``fn(request, *args, **kwargs)`` returns the object the rule is checked against (it may
    raise ``Http404``). The rules are asked directly (``rules.has_perm``), not through
    ``user.has_perm``: Django's ModelBackend grants superusers every permission, which would
    let an administrator score, edit or submit. A refusal is a 403.
    """

    def decorator(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
            obj = fn(request, *args, **kwargs) if fn is not None else None
            if not rules.has_perm(perm, request.user, obj):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator
