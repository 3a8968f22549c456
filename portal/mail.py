"""E-mail, sent one way: a templated message per address, through a Celery task, after commit.

``send_templated_mail(template=..., to=..., context=..., language=...)`` queues one message to
one address when the current transaction commits (a rolled-back request sends nothing). The
worker renders ``<template>_subject.txt`` and ``<template>_email.txt`` in ``language`` and
sends them. An SMTP failure is retried with exponential backoff, in the worker: an outage
delays a receipt, an invitation or a reminder, it never fails the request that caused it.

``context`` crosses the broker as JSON (kombu's encoder: strings, numbers, booleans, lists,
dicts, datetimes, ``Decimal``), so callers pass what the template shows, never model
instances; it is round-tripped through that encoder here, so an eager run in the tests sees
exactly what a worker would. Attachments are files of the default storage, read by the
worker.

``absolute_url(path)`` builds links for e-mails from the ``PORTAL_SITE_URL`` setting (set from
``PORT`` by ``make run``), the same in a request and in a worker. allauth's own e-mails
(address confirmation, password reset) are still sent by allauth.
"""

import logging
import smtplib
from collections.abc import Mapping, Sequence
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from kombu.utils import json

logger = logging.getLogger(__name__)

# Transient failures of the mail server: retried. Anything else is a bug and fails at once.
RETRIED_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
MAX_RETRIES = 8  # 30 s, 1 min, 2 min … then hourly: about 5 hours in all


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
) -> None:
    """Queue the e-mail ``template`` to ``to``, rendered in ``language``, after the commit.

    ``attachments`` are ``(filename, storage name, MIME type)`` triples.
    """
    task_send_templated_mail.delay_on_commit(
        template=template,
        to=to,
        context=json.loads(json.dumps(context)),
        language=language,
        attachments=[list(item) for item in attachments],
    )


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
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_email.txt", context)
    message = EmailMessage(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [to])
    for filename, name, mimetype in attachments:
        with default_storage.open(name, "rb") as handle:
            message.attach(filename, handle.read(), mimetype)
    return message


@shared_task(
    acks_late=True,
    autoretry_for=RETRIED_ERRORS,
    max_retries=MAX_RETRIES,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
)
def task_send_templated_mail(
    *,
    template: str,
    to: str,
    context: dict[str, Any],
    language: str,
    attachments: Sequence[Sequence[str]] = (),
) -> None:
    """Render and send one message; a redelivered message may reach its recipient twice."""
    message = render_templated_mail(
        template=template, to=to, context=context, language=language, attachments=attachments
    )
    message.send()
    logger.info("Sent e-mail %s to %s", template, to)
