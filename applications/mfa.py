"""Two-factor authentication (TOTP, django-allauth's MFA) for jurors and administrators.

Jurors and administrators see bids, scores and reviews: they must have TOTP enabled before
any such page. ``mfa_satisfied`` (in ``applications/rules.py``) reads the local demo's
relaxation flag, which settings only honour while DEBUG is on. The jury pages
(``review/mfa.py``), the programme pages and the Django admin all use this one gate.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.rules import is_administrator, is_juror, mfa_satisfied


def needs_mfa(user) -> bool:
    """True when the user is a juror or an administrator without TOTP (and no demo relax)."""
    return bool((is_juror(user) or is_administrator(user)) and not mfa_satisfied(user))


# allauth's activation ends on the recovery-codes page and ignores ``next``: the page the
# user wanted is kept in the session and offered once TOTP is on (portal/context_processors).
MFA_RETURN_SESSION_KEY = "portal_mfa_return_to"


def redirect_to_mfa_activation(request: HttpRequest, *, message: str) -> HttpResponseRedirect:
    """Send the user to allauth's TOTP activation, and offer this page back afterwards."""
    messages.warning(request, message)
    request.session[MFA_RETURN_SESSION_KEY] = request.get_full_path()
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('mfa_activate_totp')}?{query}")


def protect_admin_site(site) -> None:
    """Put the Django admin behind allauth's login (so TOTP is asked) and the TOTP rule.

    Django's own admin login form would accept a password alone; the admin shows bids and
    reviews, so administrators without TOTP are sent to the activation page instead.
    """
    from allauth.account.decorators import secure_admin_login

    login = secure_admin_login(site.login)
    has_permission = site.has_permission

    def login_with_totp(request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated and needs_mfa(request.user):
            return redirect_to_mfa_activation(
                request,
                message=_(
                    "The administration shows bids and reviews: set up two-factor "
                    "authentication (an authenticator app) to continue."
                ),
            )
        return login(request, extra_context)

    def has_permission_with_totp(request: HttpRequest) -> bool:
        return bool(has_permission(request)) and not needs_mfa(request.user)

    site.login = login_with_totp
    site.has_permission = has_permission_with_totp
