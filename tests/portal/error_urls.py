"""The portal's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_protect

from portal.urls import urlpatterns as portal_urlpatterns

SECRET = "secret-detail-7f3a: SELECT password FROM auth_user"


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET)


def refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404(SECRET)


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(SECRET)


@csrf_protect
def form(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("test-errors/crash/", crash),
    path("test-errors/refuse/", refuse),
    path("test-errors/missing/", missing),
    path("test-errors/suspicious/", suspicious),
    path("test-errors/form/", form),
    *portal_urlpatterns,
]
