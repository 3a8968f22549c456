from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("bids/", views.dashboard, name="dashboard"),
    path("programme/", views.admin_dashboard, name="admin_dashboard"),
]
