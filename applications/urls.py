from django.urls import path

from applications.views import (
    attachments,
    bids,
    consortium,
    institutions,
    partnerships,
    programme,
    reading,
    receipts,
)

app_name = "applications"

# Institution-side pages (bids, institutions) and programme administration.
urlpatterns = [
    path("bids/", bids.dashboard, name="dashboard"),
    # The bid workspace (applications/views/bids.py, applications/views/attachments.py).
    path("bids/start/", bids.start, name="bid_start"),
    path("bids/<uuid:public_id>/", bids.detail, name="bid_detail"),
    # The consortium and its partners (applications/views/consortium.py).
    path("bids/<uuid:public_id>/consortium/", consortium.consortium, name="bid_consortium"),
    path(
        "bids/<uuid:public_id>/consortium/partners/",
        consortium.request_partner,
        name="bid_partner_request",
    ),
    path(
        "bids/<uuid:public_id>/consortium/partners/<int:pk>/withdraw/",
        consortium.withdraw_partner,
        name="bid_partner_withdraw",
    ),
    path(
        "bids/<uuid:public_id>/consortium/external/",
        consortium.add_external_partner,
        name="bid_external_partner_add",
    ),
    path(
        "bids/<uuid:public_id>/consortium/external/<int:pk>/remove/",
        consortium.remove_external_partner,
        name="bid_external_partner_remove",
    ),
    path("bids/<uuid:public_id>/sections/<slug:key>/", bids.section, name="bid_section"),
    path(
        "bids/<uuid:public_id>/sections/<slug:key>/autosave/",
        bids.section_autosave,
        name="bid_section_autosave",
    ),
    path("bids/<uuid:public_id>/budget/", bids.budget, name="bid_budget"),
    path(
        "bids/<uuid:public_id>/budget/autosave/",
        bids.budget_autosave,
        name="bid_budget_autosave",
    ),
    path("bids/<uuid:public_id>/attachments/", attachments.attachments, name="bid_attachments"),
    path(
        "bids/<uuid:public_id>/attachments/<int:pk>/download/",
        attachments.download,
        name="bid_attachment_download",
    ),
    path(
        "bids/<uuid:public_id>/attachments/<int:pk>/delete/",
        attachments.delete,
        name="bid_attachment_delete",
    ),
    path("bids/<uuid:public_id>/submit/", bids.submit, name="bid_submit"),
    path("bids/<uuid:public_id>/withdraw/", bids.withdraw, name="bid_withdraw"),
    path("bids/<uuid:public_id>/withdraw/undo/", bids.undo_withdrawal, name="bid_withdraw_undo"),
    path(
        "bids/<uuid:public_id>/versions/<int:number>/receipt/",
        bids.receipt,
        name="bid_receipt",
    ),
    path(
        "bids/<uuid:public_id>/versions/<int:number>/bid.pdf",
        bids.version_pdf,
        name="bid_version_pdf",
    ),
    # The whole bid as the jury reads it, its history and differences (views/reading.py).
    path("bids/<uuid:public_id>/preview/", reading.preview, name="bid_preview"),
    path("bids/<uuid:public_id>/preview/bid.pdf", reading.draft_pdf, name="bid_draft_pdf"),
    path(
        "bids/<uuid:public_id>/versions/<int:number>/",
        reading.version_preview,
        name="bid_version_preview",
    ),
    path("bids/<uuid:public_id>/history/", reading.history, name="bid_history"),
    path("bids/<uuid:public_id>/compare/", reading.compare, name="bid_compare"),
    # Public: anyone checks a receipt (applications/views/receipts.py).
    path("receipts/verify/", receipts.verify, name="receipt_verify"),
    path("programme/", programme.admin_dashboard, name="admin_dashboard"),
    # Institutions, members and invitations (applications/views/institutions.py).
    path("institutions/", institutions.my_institution, name="my_institution"),
    path("institutions/new/", institutions.register, name="institution_register"),
    path("institutions/<int:pk>/", institutions.detail, name="institution_detail"),
    path("institutions/<int:pk>/invite/", institutions.invite, name="institution_invite"),
    path("institutions/<int:pk>/language/", institutions.language, name="institution_language"),
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
    # Partnership requests received by the user's institutions (applications/views/partnerships.py).
    path("partnerships/", partnerships.incoming, name="partnerships"),
    path("partnerships/<int:pk>/accept/", partnerships.accept, name="partnership_accept"),
    path("partnerships/<int:pk>/decline/", partnerships.decline, name="partnership_decline"),
    path("partnerships/<int:pk>/leave/", partnerships.leave, name="partnership_leave"),
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
