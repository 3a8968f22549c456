"""The calls' public pages, mounted at ``/calls/`` (``portal/urls.py``): open to everyone."""

from django.urls import path

from review.views import call_page

app_name = "calls"

urlpatterns = [
    path("<slug:slug>/", call_page.page, name="page"),
    path("<slug:slug>/documents/<int:pk>/", call_page.document, name="document"),
]
