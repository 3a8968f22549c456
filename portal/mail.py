"""E-mail, sent one way: a templated message per address, recorded, through a Celery task,
after commit.

``send_templated_mail(template=..., to=..., context=..., language=...)`` records one
``portal.models.OutgoingMail`` row (status *queued*) and, when the current transaction
commits, hands its id to the worker (a rolled-back request sends nothing). The worker
renders ``<template>_subject.txt`` and ``<template>_email.txt`` in ``language`` and sends
them, the subject after ``EMAIL_SUBJECT_PREFIX`` ("[IA-cluster portal] "). The row is the
message's state, listed for administrators in the Django admin:

- The mail server fails (refused, timeout, an SMTP error): the attempt and the error are
  recorded and the task retries with exponential backoff (30 s, 1 min, 2 min … then every
  25 minutes: about 3 hours in all), then the row is *failed*. The request that caused the e-mail never
  fails: an outage delays a receipt, an invitation or a reminder.
- The broker is down when the request commits (``portal.queue.publish_on_commit``): the row
  stays *queued*; the beat task ``task_requeue_stalled_mail`` publishes every queued row
  whose next attempt is long overdue, once the broker is back.
- A worker claims a row before sending (a conditional ``UPDATE`` of ``claimed_until``, a
  lease), so two deliveries of one message send it once; a worker killed between the send
  and the record may send it twice (at-least-once).

``context`` is stored as kombu's JSON (strings, numbers, booleans, lists, dicts, datetimes,
``Decimal``), so callers pass what the template shows, never model instances; the worker
reads exactly what a task message would have carried. Attachments are files of the default
storage, read by the worker.

``absolute_url(path)`` builds links for e-mails from the ``PORTAL_SITE_URL`` setting (set from
``PORT`` by ``make run``), the same in a request and in a worker. allauth's own e-mails
(address confirmation, password reset) are still sent by allauth.
"""

import logging
import smtplib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from kombu.utils import json

from portal import queue, transitions
from portal.models import OutgoingMail

logger = logging.getLogger(__name__)

# Transient failures of the mail server: retried. Anything else is a bug and fails at once.
RETRIED_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
# 30 s, 1, 2, 4, 8, 16 min, then every 25 min (below the broker's visibility timeout, so a
# waiting retry is not delivered twice): about 3 hours in all.
MAX_RETRIES = 12
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 1500
# A worker's claim on a row while it talks to the mail server (EMAIL_TIMEOUT is well below).
CLAIM_SECONDS = 300
# A queued row this far past its next attempt lost its task message: publish it again.
STALLED_AFTER = timedelta(minutes=10)


def absolute_url(path: str) -> str:
    """``PORTAL_SITE_URL`` + ``path`` (a path from ``reverse()``, starting with ``/``)."""
    return settings.PORTAL_SITE_URL.rstrip("/") + path


def send_templated_mail(
    *,
    template: str,
    to: str,
    context: Mapping[str, Any],
    language: str,
    attachments: Sequence[tuple[str, str, str]] = (),
) -> OutgoingMail:
    """Record the e-mail ``template`` to ``to``, rendered in ``language``, and queue it for
    after the commit. ``attachments`` are ``(filename, storage name, MIME type)`` triples."""
    mail = OutgoingMail.objects.create(
        template=template,
        to=to,
        language=language,
        context_json=json.dumps(context),
        attachments=[list(item) for item in attachments],
        next_attempt_at=timezone.now(),
    )
    queue.publish_on_commit(task_send_templated_mail, mail_id=mail.pk)
    return mail


def render_templated_mail(
    *,
    template: str,
    to: str,
    context: Mapping[str, Any],
    language: str,
    attachments: Sequence[Sequence[str]] = (),
) -> EmailMessage:
    """The message ``send_templated_mail`` sends: subject on one line, body, attachments."""
    with translation.override(language):
        subject_text = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_email.txt", context)
    subject = settings.EMAIL_SUBJECT_PREFIX + " ".join(subject_text.split())
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    for filename, name, mimetype in attachments:
        with default_storage.open(name, "rb") as handle:
            message.attach(filename, handle.read(), mimetype)
    return message


def retry_countdown(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones."""
    return min(RETRY_BACKOFF_MAX_SECONDS, RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def _claim(mail_id: int) -> OutgoingMail | None:
    now = timezone.now()
    claimed = (
        OutgoingMail.objects.filter(pk=mail_id, status=OutgoingMail.Status.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(
            attempts=F("attempts") + 1,
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
            # Overdue from the end of the claim: a worker killed while sending is swept.
            next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
        )
    )
    return OutgoingMail.objects.filter(pk=mail_id).first() if claimed else None


def deliver_mail(*, mail_id: int) -> int | None:
    """Send one queued e-mail if no other worker holds it; record the outcome. Returns the
    seconds before the next try when the mail server failed, else ``None``."""
    mail = _claim(mail_id)
    if mail is None:  # sent, failed, gone, or being sent by another delivery
        return None
    try:
        render_templated_mail(
            template=mail.template,
            to=mail.to,
            context=json.loads(mail.context_json),
            language=mail.language,
            attachments=mail.attachments,
        ).send()
    except RETRIED_ERRORS as error:
        error_text = f"{type(error).__name__}: {error}"[:2000]
        if mail.attempts > MAX_RETRIES:
            _record(mail, status=OutgoingMail.Status.FAILED, last_error=error_text)
            logger.warning("E-mail %s to %s failed for good: %s", mail.pk, mail.to, error_text)
            return None
        countdown = retry_countdown(mail.attempts)
        OutgoingMail.objects.filter(pk=mail.pk).update(
            last_error=error_text,
            claimed_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=countdown),
        )
        logger.warning(
            "E-mail %s to %s not sent (attempt %s, next in %s s): %s",
            mail.pk,
            mail.to,
            mail.attempts,
            countdown,
            error_text,
        )
        return countdown
    except Exception as error:  # noqa: BLE001 - a bug (a missing template…): recorded, not retried
        logger.exception("E-mail %s (%s) cannot be built", mail.pk, mail.template)
        _record(
            mail,
            status=OutgoingMail.Status.FAILED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return None
    _record(mail, status=OutgoingMail.Status.SENT, last_error="", sent_at=timezone.now())
    logger.info("Sent e-mail %s to %s", mail.template, mail.to)
    return None


def _record(mail: OutgoingMail, *, status: str, **fields: Any) -> None:
    transitions.check_transition(mail, status)
    OutgoingMail.objects.filter(pk=mail.pk, status=mail.status).update(
        status=status, claimed_until=None, **fields
    )


def requeue_stalled_mail() -> int:
    """Publish again every queued e-mail whose next attempt is long overdue (its message was
    lost: the broker was down at the commit, or a worker died holding it); how many."""
    stalled = list(
        OutgoingMail.objects.filter(
            status=OutgoingMail.Status.QUEUED, next_attempt_at__lt=timezone.now() - STALLED_AFTER
        ).values_list("pk", flat=True)[:1000]
    )
    published = sum(queue.publish(task_send_templated_mail, mail_id=pk) for pk in stalled)
    if stalled:
        logger.info("Requeued %s of %s stalled e-mails", published, len(stalled))
    return published


# The row counts the attempts (MAX_RETRIES): Celery does not cap the retries itself.
@shared_task(bind=True, acks_late=True, max_retries=None)
def task_send_templated_mail(self, *, mail_id: int) -> None:
    """Send one recorded e-mail; retried while the mail server fails; safe to run twice."""
    countdown = deliver_mail(mail_id=mail_id)
    if countdown is not None:
        raise self.retry(countdown=countdown)


@shared_task
def task_requeue_stalled_mail() -> None:
    """Beat: publish queued e-mails whose task message was lost."""
    requeue_stalled_mail()
