"""Audit trail: every change to these models is logged with its actor (django-auditlog)."""

from auditlog.registry import auditlog

from applications import models

auditlog.register(models.Institution)
auditlog.register(models.Membership)
auditlog.register(models.Call)
auditlog.register(models.RequiredAttachment)
auditlog.register(models.Bid)
auditlog.register(models.Partnership)
auditlog.register(models.ExternalPartner)
auditlog.register(models.BidSection, exclude_fields=["updated_at"])
auditlog.register(models.BudgetLine)
auditlog.register(models.Attachment)
auditlog.register(models.BidVersion)
