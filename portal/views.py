from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from applications.models import Call
from applications.rules import is_administrator, is_juror


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
