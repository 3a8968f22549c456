from django.urls import path

from applications.views import bids, programme

app_name = "applications"

# Institution-side pages (bids, institutions) and programme administration.
urlpatterns = [
    path("bids/", bids.dashboard, name="dashboard"),
    path("programme/", programme.admin_dashboard, name="admin_dashboard"),
]
