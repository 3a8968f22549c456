from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from applications.models import Call


def home(request: HttpRequest) -> HttpResponse:
    """Landing page: open calls for everyone; signed-in users go to their own dashboard."""
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("applications:admin_dashboard")
        if hasattr(request.user, "juror_profile"):
            return redirect("review:juror_dashboard")
        return redirect("applications:dashboard")
    calls = Call.objects.visible_to_applicants()
    return render(request, "home.html", {"calls": calls})
