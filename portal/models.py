"""The portal's own records: one row per e-mail it sends (``portal.mail``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal import transitions


class OutgoingMail(models.Model):
    """One templated message to one address, from the request that asked for it to the mail
    server's answer: queued (waiting for a worker or for its next try), sent, or failed
    after every try. Administrators read it in the Django admin."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Failed mail goes back to the queue when an administrator resends it.
    TRANSITIONS = transitions.table(
        {
            Status.QUEUED: {Status.SENT, Status.FAILED},
            Status.SENT: set(),
            Status.FAILED: {Status.QUEUED},
        }
    )

    template = models.CharField(_("template"), max_length=200)
    to = models.EmailField(_("to"), max_length=254)
    language = models.CharField(_("language"), max_length=10)
    # The template's context as kombu's JSON (datetimes and Decimals round-trip), the same
    # text a task message would carry.
    context_json = models.TextField(_("context"))
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # When a worker should next try it: a queued row long past it lost its message (the
    # broker was down) and is published again by ``portal.mail.requeue_stalled_mail``.
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # A worker's claim while it talks to the mail server: another delivery of the same
    # message leaves the row alone until then.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoing_mail_due")]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.status})"
