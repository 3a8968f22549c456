"""Django admin: the call is configured here, as data.

``Call.status`` is not a form field (``editable=False``): it changes only through the
admin actions below (or the programme page), which call ``transition_call``. Bids and
their versions are shown read-only: institutions write them through the portal's services.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.models import (
    Bid,
    BidVersion,
    Call,
    CallDocument,
    CallFAQ,
    DeadlineReminder,
    ExternalPartner,
    Institution,
    Invitation,
    Membership,
    Partnership,
    RequiredAttachment,
)
from applications.services import call_documents
from applications.services.calls import transition_call
from portal.users import acting_user


class RequiredAttachmentInline(admin.TabularInline):
    model = RequiredAttachment
    extra = 0
    fields = ["order", "code", "name_en", "name_fr", "max_pages"]


class CallDocumentForm(forms.ModelForm):
    """A document of the call's page: its format is checked from its content on upload."""

    class Meta:
        model = CallDocument
        fields = ["order", "title_en", "title_fr", "file"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and "file" in self.changed_data:
            facts = call_documents.check_call_document(upload=upload)
            call_documents.apply_facts(self.instance, upload=upload, facts=facts)
        return upload


class CallDocumentInline(admin.TabularInline):
    model = CallDocument
    form = CallDocumentForm
    extra = 0
    fields = ["order", "title_en", "title_fr", "file", "original_name", "size", "content_type"]
    readonly_fields = ["original_name", "size", "content_type"]


class CallFAQInline(admin.StackedInline):
    model = CallFAQ
    extra = 0
    fields = ["order", ("question_en", "question_fr"), ("answer_en", "answer_fr")]


def _transition_action(to_status: str, description):
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        for call in queryset:
            try:
                transition_call(call=call, to_status=to_status, by=acting_user(request))
            except ValidationError as error:
                modeladmin.message_user(
                    request, f"{call.slug}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                modeladmin.message_user(
                    request,
                    gettext("%(call)s is now “%(status)s”.")
                    % {"call": call.slug, "status": Call.Status(to_status).label},
                    messages.SUCCESS,
                )

    action.__name__ = f"move_to_{to_status}"
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "title_en",
        "status",
        "opens_at",
        "closes_at",
        "envelope",
        "bid_count",
    ]
    list_filter = ["status"]
    search_fields = ["slug", "title_en", "title_fr"]
    date_hierarchy = "closes_at"
    prepopulated_fields = {"slug": ["title_en"]}
    readonly_fields = ["status", "programme_page", "public_page", "created_at"]
    inlines = [RequiredAttachmentInline, CallDocumentInline, CallFAQInline]
    fieldsets = [
        (None, {"fields": ["slug", "status", "programme_page", "public_page"]}),
        (_("Texts"), {"fields": ["title_en", "title_fr", "description_en", "description_fr"]}),
        (
            _("The call's public page (documents and questions below)"),
            {"fields": ["rules_en", "rules_fr", "contact_email"]},
        ),
        (
            _("Dates (entered and shown in Europe/Paris, stored in UTC)"),
            {"fields": ["opens_at", "closes_at"]},
        ),
        (
            _("Money and winners (euros)"),
            {
                "fields": [
                    "envelope",
                    ("min_winners", "max_winners"),
                    ("min_amount", "max_amount"),
                    "budget_years",
                    "max_attachment_bytes",
                ]
            },
        ),
        (
            _("Jury"),
            {
                "fields": [
                    "review_deadline",
                    "jurors_per_bid",
                    "jury_visibility",
                    "overall_threshold",
                ]
            },
        ),
    ]
    actions = [
        _transition_action(Call.Status.OPEN, _("Open the selected calls")),
        _transition_action(
            Call.Status.CLOSED, _("Close the selected calls (after their deadline)")
        ),
        _transition_action(Call.Status.UNDER_REVIEW, _("Start the review of the selected calls")),
        _transition_action(Call.Status.DECIDED, _("Mark the selected calls as decided")),
        _transition_action(Call.Status.PUBLISHED, _("Publish the results of the selected calls")),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_bid_count=Count("bids"))

    @admin.display(description=_("bids"), ordering="_bid_count")
    def bid_count(self, obj: Call) -> int:
        return obj._bid_count  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.display(description=_("status changes"))
    def programme_page(self, obj: Call) -> str:
        if obj.pk is None:
            return gettext("A new call starts as a draft.")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("applications:programme_call", kwargs={"slug": obj.slug}),
            gettext("Change the status on the programme page"),
        )

    @admin.display(description=_("public page"))
    def public_page(self, obj: Call) -> str:
        if obj.pk is None or obj.status == Call.Status.DRAFT:
            return gettext("Visible to everyone once the call is open.")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("calls:page", kwargs={"slug": obj.slug}),
            gettext("See the call's public page"),
        )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["joined_at"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "identifier_type", "identifier", "email_domain"]
    list_filter = ["kind", "identifier_type"]
    search_fields = ["name", "city", "identifier", "email_domain"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "institution", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "institution__name"]
    list_select_related = ["user", "institution"]
    autocomplete_fields = ["user", "institution"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent from the institution's page (which e-mails the link)."""

    list_display = ["email", "institution", "role", "invited_by", "created_at", "accepted_at"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "institution__name"]
    list_select_related = ["institution", "invited_by"]
    readonly_fields = ["token", "invited_by", "created_at", "accepted_at", "accepted_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PartnershipInline(_ReadOnlyInline):
    """Partnerships change only with consent, through ``services.partnerships``."""

    model = Partnership
    readonly_fields = (
        "institution",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    fields = readonly_fields


class ExternalPartnerInline(_ReadOnlyInline):
    model = ExternalPartner
    readonly_fields = ("name", "country", "kind", "added_by", "added_at")
    fields = readonly_fields


@admin.register(Bid)
class BidAdmin(admin.ModelAdmin):
    """Read-only: bids change only through the portal's services (deadline, versions)."""

    inlines = [PartnershipInline, ExternalPartnerInline]

    list_display = [
        "acronym",
        "call",
        "lead_institution",
        "status",
        "eligibility",
        "requested_amount",
        "updated_at",
    ]
    list_filter = ["call", "status", "eligibility"]
    search_fields = ["acronym", "title", "lead_institution__name"]
    list_select_related = ["call", "lead_institution"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Bid | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Bid | None = None) -> bool:
        return False


@admin.register(BidVersion)
class BidVersionAdmin(admin.ModelAdmin):
    """Submitted versions are immutable."""

    list_display = ["bid", "number", "submitted_at", "submitted_by", "sha256"]
    list_filter = ["bid__call"]
    search_fields = ["bid__acronym", "sha256"]
    list_select_related = ["bid", "bid__lead_institution", "submitted_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: BidVersion | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: BidVersion | None = None) -> bool:
        return False


@admin.register(DeadlineReminder)
class DeadlineReminderAdmin(admin.ModelAdmin):
    """Written by the hourly reminder run only (``applications.services.deadline_reminders``)."""

    list_display = ["bid", "days_before", "reason", "recipients", "sent_at"]
    list_filter = ["bid__call", "days_before", "reason"]
    search_fields = ["bid__acronym", "bid__lead_institution__name"]
    list_select_related = ["bid", "bid__lead_institution"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: DeadlineReminder | None = None
    ) -> bool:
        return False
