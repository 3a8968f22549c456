from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest

from applications.mfa import MFA_RETURN_SESSION_KEY
from applications.rules import is_administrator, is_juror


def portal(request: HttpRequest) -> dict[str, object]:
    """The navigation follows the roles of ``applications/rules.py`` (an administrator without
    TOTP sees the administrators' links; the TOTP gate stops them at the door)."""
    user = request.user
    return {
        "demo_relax_mfa": settings.PORTAL_DEMO_RELAX_MFA,
        "is_juror": is_juror(user),
        "is_administrator": is_administrator(user),
        "mfa_return_url": _mfa_return_url(request),
    }


def _mfa_return_url(request: HttpRequest) -> str:
    """The page a juror or administrator wanted before setting up TOTP, offered once it is on.

    Only paths this site stored itself (``request.get_full_path()``) are ever kept.
    """
    session = getattr(request, "session", None)
    if session is None or MFA_RETURN_SESSION_KEY not in session:
        return ""
    if not (request.user.is_authenticated and is_mfa_enabled(request.user)):
        return ""
    return session.pop(MFA_RETURN_SESSION_KEY)
