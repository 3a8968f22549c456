"""Sending the decision letters: each one e-mailed, with its PDF, to every member of the lead
institution; its state (queued, sent, failed) shown to the administrators, who may send it
again.

Rules:
- :func:`send_decision_letter` (the task's body) sends a queued letter to each address it has
  not reached yet in this sending (``delivered_to``), so a retried or redelivered task never
  e-mails someone twice, and a letter already sent is not sent again. It holds the letter's
  row lock while sending: two workers on one letter take turns.
- A failure of the mail server is recorded (``attempts``, ``last_error``) and retried by the
  task with backoff; after ``MAX_ATTEMPTS`` the letter is "failed".
- :func:`resend_letter` puts a failed or sent letter back in the queue for every member
  (``DecisionLetter.TRANSITIONS``: failed → queued, sent → queued); the view enqueues the
  task on commit, as for exports.

Error contract: ``ValidationError`` (from ``portal.transitions``) for a letter already queued.
"""

import logging
from enum import Enum

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import transitions
from portal.mail import RETRIED_ERRORS, absolute_url, render_templated_mail
from review.models import DecisionLetter
from review.queries.letters import letter_recipients
from review.services.audit import record_letter_sent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # 30 s, 1, 2, 4, 8 min apart: about a quarter of an hour


class Sending(Enum):
    DONE = "done"  # sent now, or nothing to do (sent already, gone, failed for good)
    RETRY = "retry"  # the mail server failed; the task tries again later


def letter_filename(letter: DecisionLetter) -> str:
    return f"{letter.call.slug}-{letter.bid.acronym}-{letter.language}.pdf"


def send_decision_letter(*, letter_id: int) -> Sending:
    """Send a queued letter to every member not reached yet; record the outcome."""
    with transaction.atomic():
        letter = (
            DecisionLetter.objects.select_for_update(of=("self",))
            .select_related("call", "bid__lead_institution")
            .filter(pk=letter_id)
            .first()
        )
        if letter is None or letter.status != DecisionLetter.Status.QUEUED:
            return Sending.DONE
        delivered = list(letter.delivered_to)
        context = {
            "acronym": letter.bid.acronym,
            "call_title": letter.call.title_fr if letter.language == "fr" else letter.call.title_en,
            "url": absolute_url(reverse("review:evaluation_summary", args=[letter.bid.public_id])),
        }
        attachment = (letter_filename(letter), str(letter.pdf.name), "application/pdf")
        letter.attempts += 1
        try:
            for address in letter_recipients(letter=letter):
                if address in delivered:
                    continue
                render_templated_mail(
                    template="review/letters/letter",
                    to=address,
                    context=context,
                    language=letter.language,
                    attachments=[attachment],
                ).send()
                delivered.append(address)
        except RETRIED_ERRORS as error:
            letter.delivered_to = delivered
            letter.last_error = f"{type(error).__name__}: {error}"[:2000]
            if letter.attempts >= MAX_ATTEMPTS:
                transitions.check_transition(letter, DecisionLetter.Status.FAILED)
                letter.status = DecisionLetter.Status.FAILED
            letter.save(update_fields=["delivered_to", "last_error", "attempts", "status"])
            logger.warning(
                "Decision letter %s not sent (attempt %s): %s", letter.pk, letter.attempts, error
            )
            return Sending.DONE if letter.status == DecisionLetter.Status.FAILED else Sending.RETRY
        transitions.check_transition(letter, DecisionLetter.Status.SENT)
        letter.status = DecisionLetter.Status.SENT
        letter.delivered_to = delivered
        letter.last_error = ""
        letter.sent_at = timezone.now()
        letter.save(update_fields=["status", "delivered_to", "last_error", "attempts", "sent_at"])
        record_letter_sent(
            bid=letter.bid, to=", ".join(delivered), language=letter.language, sha256=letter.sha256
        )
    logger.info("Decision letter %s sent to %s addresses", letter.pk, len(delivered))
    return Sending.DONE


def resend_letter(*, letter: DecisionLetter, by: User) -> DecisionLetter:
    """Put ``letter`` back in the queue for every member of the institution (after a
    failure, or on request). The caller enqueues ``task_send_decision_letter`` on commit."""
    with transaction.atomic():
        locked = DecisionLetter.objects.select_for_update().get(pk=letter.pk)
        transitions.check_transition(
            locked,
            DecisionLetter.Status.QUEUED,
            refused=_("This letter is already waiting to be sent."),
        )
        locked.status = DecisionLetter.Status.QUEUED
        locked.delivered_to = []
        locked.attempts = 0
        locked.last_error = ""
        locked.save(update_fields=["status", "delivered_to", "attempts", "last_error"])
    logger.info("Decision letter %s queued again by user %s", locked.pk, by.pk)
    return locked
