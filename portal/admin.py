"""The portal's own records in the Django admin: the outgoing e-mails, read-only, for the
administrators (``jury.administer``): who was written to, when, and what the mail server
answered."""

from django.contrib import admin
from django.http import HttpRequest

from portal.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "template", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "template"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in OutgoingMail._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("jury.administer")

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("jury.administer")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
