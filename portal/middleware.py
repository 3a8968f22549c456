"""Response headers every page carries besides the CSP (django-csp) and Django's own.

- ``Permissions-Policy``: the portal uses no camera, microphone, location or other device
  feature; the header (``settings.PORTAL_PERMISSIONS_POLICY``) turns them all off.
- ``Cache-Control: no-store`` on every response to a signed-in user: bids, reviews and scores
  must not stay in a shared or browser cache after sign-out. Public pages of anonymous
  visitors keep their caching; static files are answered by WhiteNoise, above this
  middleware, and never reach it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class PrivacyHeadersMiddleware:
    """Install after ``AuthenticationMiddleware`` (it reads ``request.user``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PORTAL_PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
