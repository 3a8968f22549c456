from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from applications.mfa import protect_admin_site
from portal import views

# The admin shows bids and reviews: allauth's login (with TOTP) and the TOTP rule apply.
protect_admin_site(admin.site)

handler500 = "portal.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("applications.urls")),
    path("jury/", include("review.urls")),
    path("results/", include("review.results_urls")),
    path("calls/", include("review.call_urls")),
    path("legal/notice/", views.legal_notice, name="legal_notice"),
    path("legal/personal-data/", views.personal_data, name="personal_data"),
    path("legal/accessibility/", views.accessibility_statement, name="accessibility_statement"),
]
