"""The portal's URLs plus a view whose database is gone, for the 503 tests."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import handler500  # noqa: F401 - Django reads it from the URLconf module
from portal.urls import urlpatterns as portal_urlpatterns

DETAIL = "connection to server at 127.0.0.1, port 5432 failed: Connection refused"


def database_gone(request: HttpRequest) -> HttpResponse:
    raise OperationalError(DETAIL)


urlpatterns = [path("test-errors/database-gone/", database_gone), *portal_urlpatterns]
