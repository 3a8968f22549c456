"""Two-factor authentication (TOTP, django-allauth's MFA) for jurors and administrators: the gate.

Jurors and administrators see bids, scores and reviews: without TOTP (``needs_mfa`` in
``applications/rules.py``, which also reads the DEBUG-only demo relaxation) they reach
nothing but their account pages (``ACCOUNT_PAGE_PREFIXES``) and the public pages everyone
reads (``PUBLIC_PAGE_PREFIXES``: the published results, the calls' pages, the legal pages).
``TotpGateMiddleware`` is the one gate, for every page: programme, bids, institutions, jury
and the Django admin. A page is answered with a redirect to allauth's TOTP activation (the
page is offered back afterwards); a JSON endpoint (``json_endpoint``) with a 403 the script
can show.

Institution members are not asked for TOTP: the permission of each view decides. Anonymous
users pass through to the view's login requirement. Once an authenticator exists, allauth
itself asks for the TOTP code at every login.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.rules import needs_mfa

# allauth's activation ends on the recovery-codes page and ignores ``next``: the page the
# user wanted is kept in the session and offered once TOTP is on (portal/context_processors).
MFA_RETURN_SESSION_KEY = "portal_mfa_return_to"

# The account's own pages, reachable without TOTP: allauth (login, logout, password, TOTP
# setup, reauthentication), the language switch and the JavaScript catalog they use. The home
# page only sends a signed-in user on to their dashboard (which is gated). Static files never
# reach the middleware (WhiteNoise answers first); media files are not served by Django.
ACCOUNT_PAGE_PREFIXES = ("/accounts/", "/i18n/", "/jsi18n/")
ACCOUNT_PAGE_PATHS = ("/",)
# Pages open to everyone, signed in or not, which show nothing a visitor without an account
# cannot read: the published results and their open data (``review.views.results``), the
# calls' pages (``review.views.call_page``) and the legal pages (``portal.views``).
PUBLIC_PAGE_PREFIXES = ("/results/", "/calls/", "/legal/")


def json_endpoint(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Mark a view that answers scripts: the gate refuses it with a JSON 403, not a redirect."""
    view.answers_json = True  # type: ignore[attr-defined]  # read by TotpGateMiddleware
    return view


def _activation_message(request: HttpRequest) -> str:
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    if namespace == "review":
        return _(
            "Jury pages require two-factor authentication. Set up an authenticator app "
            "(TOTP) to continue."
        )
    if namespace == "admin":
        return _(
            "The administration shows bids and reviews: set up two-factor "
            "authentication (an authenticator app) to continue."
        )
    return _mfa_required_message()


def _mfa_required_message() -> str:
    return _(
        "Administrators and jurors need two-factor authentication: set up an authenticator "
        "app (TOTP) to continue."
    )


def redirect_to_mfa_activation(request: HttpRequest) -> HttpResponseRedirect:
    """Send the user to allauth's TOTP activation, and offer this page back afterwards."""
    messages.warning(request, _activation_message(request))
    request.session[MFA_RETURN_SESSION_KEY] = request.get_full_path()
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('mfa_activate_totp')}?{query}")


def mfa_required_json() -> JsonResponse:
    return JsonResponse(
        {
            "code": "mfa_required",
            "message": _mfa_required_message(),
            "activate_url": reverse("mfa_activate_totp"),
        },
        status=403,
    )


def is_account_page(path: str) -> bool:
    return path in ACCOUNT_PAGE_PATHS or path.startswith(ACCOUNT_PAGE_PREFIXES)


def is_public_page(path: str) -> bool:
    return path.startswith(PUBLIC_PAGE_PREFIXES)


class TotpGateMiddleware:
    """The one TOTP gate: a juror or administrator without TOTP reaches only account pages.

    Runs in ``process_view`` (after authentication, with the resolved view) so that every
    view, the Django admin's included, is covered without a decorator to forget.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        path = request.path_info
        if is_account_page(path) or is_public_page(path) or not needs_mfa(request.user):
            return None
        if getattr(view_func, "answers_json", False):
            return mfa_required_json()
        return redirect_to_mfa_activation(request)


def protect_admin_site(site) -> None:
    """Put the Django admin's login behind allauth's (so TOTP is asked at login).

    Django's own admin login form would accept a password alone; ``TotpGateMiddleware`` then
    keeps administrators without TOTP out of every admin page.
    """
    from allauth.account.decorators import secure_admin_login

    site.login = secure_admin_login(site.login)
