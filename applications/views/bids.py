from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications.models import Bid


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    bids = Bid.objects.visible_to(request.user).select_related("call", "lead_institution")
    return render(request, "applications/dashboard.html", {"bids": bids})
