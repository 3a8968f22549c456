from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        "demo_relax_mfa": settings.PORTAL_DEMO_RELAX_MFA,
        "is_juror": bool(user.is_authenticated and hasattr(user, "juror_profile")),
        "is_administrator": bool(user.is_authenticated and user.is_staff),
    }
