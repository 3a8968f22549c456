"""Gate for every jury page: signed in, TOTP enabled, English unless the user chose a language.

Jurors and administrators must have two-factor authentication (TOTP, django-allauth's MFA)
before they see any jury page or bid content. Without it they are sent to allauth's TOTP
activation page with a message, and come back afterwards. The local demo may relax this
(``settings.PORTAL_DEMO_RELAX_MFA``, only honoured while DEBUG is on; base.html shows a
banner); the shared gate is ``applications/mfa.py``.

Other users (institution members) are not asked for TOTP here: the object-level permission
check that follows decides what they may see.

Once an authenticator exists, allauth itself asks for the TOTP code at every login.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.translation import gettext as _

from applications.mfa import needs_mfa, redirect_to_mfa_activation
from applications.rules import is_administrator, is_juror

ViewFunction = Callable[..., HttpResponse]


def mfa_activation_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return redirect_to_mfa_activation(
        request,
        message=_(
            "Jury pages require two-factor authentication. Set up an authenticator app "
            "(TOTP) to continue."
        ),
    )


def _activate_english_unless_chosen(request: HttpRequest) -> None:
    """The jury works in English: without an explicit choice (language cookie), use English.

    LocaleMiddleware would otherwise follow the browser's Accept-Language header.
    """
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate("en")
        request.LANGUAGE_CODE = "en"


def jury_page(view: ViewFunction) -> ViewFunction:
    """Decorate a jury view: login required, English by default, TOTP required.

    Put it outermost, before the permission check, so that a user without TOTP is sent to
    the activation page instead of getting a bare 403.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_juror(request.user) or is_administrator(request.user):
            _activate_english_unless_chosen(request)
        if needs_mfa(request.user):
            return mfa_activation_redirect(request)
        return view(request, *args, **kwargs)

    return login_required(wrapper)
