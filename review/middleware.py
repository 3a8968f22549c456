"""The jury works in English: on jury pages, jurors and administrators get English unless they
chose a language (the language cookie). LocaleMiddleware would otherwise follow the browser's
Accept-Language header.

Runs in ``process_view``, before ``applications.mfa.TotpGateMiddleware``, so that the gate's
message on a jury page is in English too.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from applications.rules import is_administrator, is_juror


def is_jury_page(request: HttpRequest) -> bool:
    return bool(request.resolver_match and request.resolver_match.namespace == "review")


class JuryLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES or not is_jury_page(request):
            return
        if is_juror(request.user) or is_administrator(request.user):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
