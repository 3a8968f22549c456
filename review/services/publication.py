"""Publishing a call's results: the call moves "decided" → "published" and every submitted bid
of the approved decision gets its decision letter.

Rules:
- ``publish_call`` is ``applications.services.calls.transition_call`` to "published"; the
  programme page's button goes the same way. The letters are written by a hook that
  ``transition_call`` runs inside its transaction (registered by :func:`register_publication`
  from ``ReviewConfig.ready``, since ``applications`` never imports ``review``), so every way
  of publishing writes them, and a failure to write them refuses the publication as a whole.
- One letter per line of the approved decision (every submitted bid): the outcome, amount
  awarded and reserve position are the line's; a line "ineligible" carries the bid's screening
  reason. The language is the lead institution's. The PDF is built then, its SHA-256 kept:
  what was published is what is sent, and sent again.
- The letters are e-mailed after the commit, one Celery task per letter
  (``review.tasks.task_send_decision_letter``).

Error contract: ``ValidationError`` from the call's guards (no approved decision).
"""

import hashlib
import logging

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from applications.models import Call
from applications.services.calls import register_transition_hook, transition_call
from portal import queue
from review.models import BidDecision, Decision, DecisionLetter, Publication
from review.queries.letters import letter_content
from review.services.audit import record_publication
from review.services.letter_pdf import decision_letter_pdf
from review.tasks import task_send_decision_letter

logger = logging.getLogger(__name__)


def publish_call(*, call: Call, by: User) -> Call:
    """Publish ``call``'s results (its approved decision) and queue its decision letters."""
    return transition_call(call=call, to_status=Call.Status.PUBLISHED, by=by)


def write_decision_letters(call: Call, by: User) -> None:
    """The publication hook: record the publication, write every letter, queue the sending.

    Precondition: inside ``transition_call``'s transaction, the call row locked, its guards
    passed (so exactly one approved decision exists).
    """
    decision = Decision.objects.get(call=call, status=Decision.Status.APPROVED)
    publication = Publication.objects.create(
        call=call, decision=decision, published_by=by, published_at=timezone.now()
    )
    record_publication(call=call, by=by)
    lines = (
        BidDecision.objects.filter(decision=decision)
        .select_related("bid__lead_institution", "bid__call")
        .order_by("bid__acronym")
    )
    letters = [_write_letter(line=line, publication=publication) for line in lines]
    for letter in letters:
        queue.publish_on_commit(task_send_decision_letter, letter_id=letter.pk)
    logger.info("Call %s published by user %s: %s letters queued", call.pk, by.pk, len(letters))


def _write_letter(*, line: BidDecision, publication: Publication) -> DecisionLetter:
    bid = line.bid
    ineligible = line.outcome == BidDecision.Outcome.INELIGIBLE
    letter = DecisionLetter(
        call=publication.call,
        bid=bid,
        decision=publication.decision,
        language=bid.lead_institution.language,
        outcome=line.outcome,
        amount_requested=bid.requested_amount,
        amount_awarded=line.amount_awarded if line.outcome == BidDecision.Outcome.FUNDED else None,
        reserve_position=(
            line.reserve_position if line.outcome == BidDecision.Outcome.RESERVE else None
        ),
        ineligibility_reason=bid.eligibility_reason if ineligible else "",
    )
    content = letter_content(
        letter=letter,
        publication=publication,
        evaluation_path=reverse("review:evaluation_summary", args=[bid.public_id]),
    )
    data = decision_letter_pdf(content)
    letter.sha256 = hashlib.sha256(data).hexdigest()
    letter.pdf.save(f"{bid.acronym}-{letter.language}.pdf", ContentFile(data), save=False)
    letter.full_clean()
    letter.save()
    return letter


def register_publication() -> None:
    """Publishing a call writes its letters (see ``applications.services.calls``)."""
    register_transition_hook(
        from_status=Call.Status.DECIDED,
        to_status=Call.Status.PUBLISHED,
        hook=write_decision_letters,
    )
