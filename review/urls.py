from django.urls import path

from review.views import dashboard

app_name = "review"

urlpatterns = [
    path("", dashboard.juror_dashboard, name="juror_dashboard"),
]
