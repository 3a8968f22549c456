from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def juror_dashboard(request: HttpRequest) -> HttpResponse:
    if not hasattr(request.user, "juror_profile"):
        raise PermissionDenied
    return render(request, "review/juror_dashboard.html", {})
