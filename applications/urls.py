from django.urls import path

from applications.views import bids, institutions, programme

app_name = "applications"

# Institution-side pages (bids, institutions) and programme administration.
urlpatterns = [
    path("bids/", bids.dashboard, name="dashboard"),
    path("programme/", programme.admin_dashboard, name="admin_dashboard"),
    # Institutions, members and invitations (applications/views/institutions.py).
    path("institutions/", institutions.my_institution, name="my_institution"),
    path("institutions/new/", institutions.register, name="institution_register"),
    path("institutions/<int:pk>/", institutions.detail, name="institution_detail"),
    path("institutions/<int:pk>/invite/", institutions.invite, name="institution_invite"),
    path(
        "institutions/<int:pk>/members/<int:membership_pk>/role/",
        institutions.change_role,
        name="institution_member_role",
    ),
    path(
        "institutions/<int:pk>/members/<int:membership_pk>/remove/",
        institutions.remove_member,
        name="institution_member_remove",
    ),
    path(
        "institutions/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        institutions.revoke_invitation,
        name="institution_invitation_revoke",
    ),
    path("invitations/<str:token>/", institutions.accept_invitation, name="invitation_accept"),
    # Programme administration (applications/views/programme.py).
    path("programme/calls/<slug:slug>/", programme.call_detail, name="programme_call"),
    path(
        "programme/calls/<slug:slug>/transition/",
        programme.call_transition,
        name="programme_call_transition",
    ),
    path("programme/calls/<slug:slug>/bids/", programme.call_bids, name="programme_call_bids"),
    path(
        "programme/calls/<slug:slug>/bids/<uuid:public_id>/screening/",
        programme.screen,
        name="programme_bid_screen",
    ),
]
