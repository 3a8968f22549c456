from django.urls import path

from review.views import (
    assignments,
    audit,
    conflicts,
    consensus,
    dashboard,
    decisions,
    evaluation,
    exports,
    jurors,
    letters,
    panel,
    progress,
    ranking,
    reminders,
    reviews,
)

app_name = "review"

urlpatterns = [
    path("", dashboard.juror_dashboard, name="juror_dashboard"),
    # Jurors: invitations and profiles.
    path("profile/", jurors.own_profile, name="juror_profile"),
    path("admin/jurors/", jurors.juror_list, name="juror_list"),
    path("admin/jurors/invite/", jurors.juror_invite, name="juror_invite"),
    path("admin/jurors/import/", jurors.juror_import, name="juror_import"),
    path(
        "admin/jurors/import/<int:pk>/",
        jurors.juror_import_preview,
        name="juror_import_preview",
    ),
    path(
        "admin/jurors/import/template.<str:extension>",
        jurors.juror_import_template,
        name="juror_import_template",
    ),
    path("admin/jurors/<int:pk>/", jurors.juror_edit, name="juror_edit"),
    # Conflicts of interest.
    path("admin/calls/<slug:slug>/conflicts/", conflicts.conflict_list, name="conflict_list"),
    path(
        "admin/calls/<slug:slug>/conflicts/detect/",
        conflicts.conflict_detect,
        name="conflict_detect",
    ),
    path("admin/conflicts/<int:pk>/decide/", conflicts.conflict_decide, name="conflict_decide"),
    path("bids/<uuid:public_id>/declaration/", conflicts.declare, name="declare_conflict"),
    path(
        "bids/<uuid:public_id>/institution-conflicts/",
        conflicts.institution_declare,
        name="institution_declare",
    ),
    # Assignment.
    path(
        "admin/calls/<slug:slug>/assignments/",
        assignments.assignment_list,
        name="assignment_list",
    ),
    path(
        "admin/calls/<slug:slug>/assignments/add/",
        assignments.assignment_add,
        name="assignment_add",
    ),
    path(
        "admin/assignments/<int:pk>/remove/",
        assignments.assignment_remove,
        name="assignment_remove",
    ),
    path(
        "admin/assignments/<int:pk>/rapporteur/",
        assignments.assignment_rapporteur,
        name="assignment_rapporteur",
    ),
    path(
        "admin/calls/<slug:slug>/assignments/proposals/",
        assignments.proposal_create,
        name="proposal_create",
    ),
    path("admin/proposals/<int:pk>/", assignments.proposal_detail, name="proposal_detail"),
    path(
        "admin/proposals/<int:pk>/progress/",
        assignments.proposal_progress,
        name="proposal_progress",
    ),
    path("admin/proposals/<int:pk>/save/", assignments.proposal_save, name="proposal_save"),
    # Reading, scoring, consensus, progress.
    path("bids/<uuid:public_id>/", reviews.bid_detail, name="bid_detail"),
    path(
        "bids/<uuid:public_id>/evaluation/",
        evaluation.evaluation_summary,
        name="evaluation_summary",
    ),
    path(
        "bids/<uuid:public_id>/documents/<int:index>/",
        reviews.download_attachment,
        name="download_attachment",
    ),
    path("bids/<uuid:public_id>/review/", reviews.review_form, name="review_form"),
    path("bids/<uuid:public_id>/reviews/", reviews.bid_reviews, name="bid_reviews"),
    path("bids/<uuid:public_id>/consensus/", consensus.consensus, name="consensus"),
    path(
        "bids/<uuid:public_id>/consensus/comments/",
        consensus.comment,
        name="consensus_comment",
    ),
    path(
        "bids/<uuid:public_id>/consensus/approve/",
        consensus.approve,
        name="consensus_approve",
    ),
    path("admin/reviews/<int:review_id>/reopen/", reviews.reopen, name="reopen_review"),
    path("admin/calls/<slug:slug>/progress/", progress.call_progress, name="call_progress"),
    path("admin/calls/<slug:slug>/audit/", audit.audit_record, name="audit_record"),
    # Reminders and messages to the jury.
    path("admin/calls/<slug:slug>/reminders/", reminders.reminder_list, name="reminder_list"),
    path(
        "admin/calls/<slug:slug>/reminders/send/",
        reminders.reminder_send,
        name="reminder_send",
    ),
    path(
        "admin/calls/<slug:slug>/reminders/message/",
        reminders.jury_message,
        name="jury_message",
    ),
    # Ranking runs.
    path("admin/calls/<slug:slug>/ranking/", ranking.run_list, name="ranking_runs"),
    path(
        "admin/calls/<slug:slug>/ranking/compare/",
        ranking.run_compare,
        name="ranking_compare",
    ),
    path("admin/calls/<slug:slug>/ranking/<int:pk>/", ranking.run_detail, name="ranking_run"),
    path(
        "admin/calls/<slug:slug>/ranking/<int:pk>/status/",
        ranking.run_status,
        name="ranking_run_status",
    ),
    path(
        "admin/calls/<slug:slug>/ranking/<int:pk>/workbook/",
        ranking.run_workbook_request,
        name="ranking_workbook",
    ),
    path(
        "admin/calls/<slug:slug>/ranking/<int:pk>/export.<str:fmt>",
        ranking.run_export,
        name="ranking_export",
    ),
    path(
        "admin/calls/<slug:slug>/ranking/<int:pk>/input.json",
        ranking.run_input,
        name="ranking_input",
    ),
    path(
        "admin/calls/<slug:slug>/ranking/<int:pk>/result.json",
        ranking.run_result,
        name="ranking_result",
    ),
    # Decision letters and procedural appeals.
    path("admin/calls/<slug:slug>/letters/", letters.letter_list, name="call_letters"),
    path(
        "admin/calls/<slug:slug>/letters/<int:pk>/resend/",
        letters.letter_resend,
        name="letter_resend",
    ),
    path(
        "admin/calls/<slug:slug>/appeals/<int:pk>/answer/",
        letters.redress_answer,
        name="redress_answer",
    ),
    path("bids/<uuid:public_id>/letter/", letters.letter_download, name="letter_download"),
    path("bids/<uuid:public_id>/appeal/", letters.redress_file, name="redress_file"),
    # Exports of a call.
    path("admin/calls/<slug:slug>/exports/", exports.export_list, name="call_exports"),
    path(
        "admin/calls/<slug:slug>/exports/<int:pk>/status/",
        exports.export_status,
        name="call_export_status",
    ),
    path(
        "admin/calls/<slug:slug>/exports/<int:pk>/download/",
        exports.export_download,
        name="call_export_download",
    ),
    # The funding decision.
    path("admin/calls/<slug:slug>/decision/", decisions.decision_page, name="decision"),
    path(
        "admin/calls/<slug:slug>/decision/prepare/",
        decisions.decision_prepare,
        name="decision_prepare",
    ),
    path(
        "admin/calls/<slug:slug>/decision/revise/",
        decisions.decision_revise,
        name="decision_revise",
    ),
    path(
        "admin/calls/<slug:slug>/decision/v<int:number>/",
        decisions.decision_version,
        name="decision_version",
    ),
    path(
        "admin/calls/<slug:slug>/decision/v<int:number>/approve/",
        decisions.decision_approve,
        name="decision_approve",
    ),
    path(
        "admin/calls/<slug:slug>/decision/v<int:number>/promote/",
        decisions.decision_promote,
        name="decision_promote",
    ),
    path(
        "admin/calls/<slug:slug>/decision/v<int:number>/discard/",
        decisions.decision_discard,
        name="decision_discard",
    ),
    path(
        "admin/calls/<slug:slug>/decision/v<int:number>/withdraw/",
        decisions.decision_withdraw,
        name="decision_withdraw",
    ),
    # The panel meeting.
    path("admin/calls/<slug:slug>/panel/", panel.panel_page, name="panel"),
    path(
        "admin/calls/<slug:slug>/panel/bids/<uuid:public_id>/minutes/",
        panel.panel_minutes,
        name="panel_minutes",
    ),
    path(
        "admin/calls/<slug:slug>/panel/bids/<uuid:public_id>/adjust/",
        panel.panel_adjust,
        name="panel_adjust",
    ),
]
