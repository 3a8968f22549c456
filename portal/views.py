import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from applications.models import Call
from applications.rules import is_administrator, is_juror
from portal import legal


def home(request: HttpRequest) -> HttpResponse:
    """Landing page: open calls for everyone; signed-in users go to their own dashboard."""
    if request.user.is_authenticated:
        if is_administrator(request.user):
            return redirect("applications:admin_dashboard")
        if is_juror(request.user):
            return redirect("review:juror_dashboard")
        return redirect("applications:dashboard")
    calls = Call.objects.visible_to_applicants()
    return render(request, "home.html", {"calls": calls})


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for whatever the page links: the static icon."""
    return redirect(static("favicon.ico"))


# The legal pages every French public portal carries, open to everyone (the TOTP gate lets
# ``/legal/`` through); the operator's details come from settings (``portal.legal``).


@require_safe
def legal_notice(request: HttpRequest) -> HttpResponse:
    """Mentions légales: publisher, director of publication, host."""
    return render(request, "legal/notice.html", {"operator": legal.operator()})


@require_safe
def personal_data(request: HttpRequest) -> HttpResponse:
    """Données personnelles (RGPD): what is collected, why, for how long, rights, the DPO."""
    return render(request, "legal/personal_data.html", {"operator": legal.operator()})


@require_safe
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """Déclaration d'accessibilité (RGAA): partially compliant, what is tested, recourse."""
    return render(request, "legal/accessibility.html", {"operator": legal.operator()})


# The database refused or lost the connection (a restart, a failover, too many clients):
# the request cannot be served, the next one reconnects (CONN_HEALTH_CHECKS).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a styled page without request context (no user, no database). A lost
    database is a 503 "try again in a moment" (logged as one line, portal.log), anything
    else the 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
