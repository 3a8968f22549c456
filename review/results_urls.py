"""The public results, mounted at ``/results/`` (``portal/urls.py``): open to everyone."""

from django.urls import path

from review.views import results

app_name = "results"

urlpatterns = [
    path("", results.results_index, name="index"),
    path("<slug:slug>/", results.results_page, name="call"),
    path("<slug:slug>/results.csv", results.results_csv, name="csv"),
    path("<slug:slug>/results.json", results.results_json, name="json"),
]
