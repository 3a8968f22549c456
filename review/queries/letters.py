"""Reads of the decision letters and procedural appeals of a published call.

- :func:`letter_content`: everything a letter prints, in the letter's language (the outcome,
  the amounts, the evaluation summary, the redress deadline). It reads the evaluation summary
  through ``review.queries.reviews.evaluation_summary_for``: the approved consensus only,
  never a juror's name or individual scores.
- :func:`letter_recipients`: the addresses a letter goes to (every member of the lead
  institution).
- :func:`letters_page`: the administrators' page of a call (each letter's state, each appeal).
- :func:`outcome_for`: what the institution's evaluation page shows once the call is
  published (letter, outcome, appeal, whether the window is open).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone, translation

from applications.models import Bid, Call, Membership
from review.decision.redress import redress_closes_at, redress_open
from review.models import DecisionLetter, Publication, RedressRequest
from review.queries.reviews import EvaluationSummary, evaluation_summary_for


@dataclass(frozen=True)
class LetterContent:
    language: str
    call_title: str
    acronym: str
    bid_title: str
    institution: str
    outcome: str
    amount_requested: int
    amount_awarded: int | None
    reserve_position: int | None
    ineligibility_reason: str
    summary: EvaluationSummary | None
    published_at: datetime
    redress_days: int
    redress_closes_at: datetime
    evaluation_path: str


def letter_content(
    *,
    letter: DecisionLetter,
    publication: Publication,
    evaluation_path: str,
    language: str | None = None,
) -> LetterContent:
    """What ``letter`` prints, read in ``language`` (default: the letter's own; criterion
    names included); the institution's page reads it in the reader's language."""
    bid = letter.bid
    call = letter.call
    language = language or letter.language
    with translation.override(language):
        summary = None if letter.outcome == "ineligible" else evaluation_summary_for(bid=bid)
        call_title = call.title
    return LetterContent(
        language=language,
        call_title=call_title,
        acronym=bid.acronym,
        bid_title=bid.title,
        institution=bid.lead_institution.name,
        outcome=letter.outcome,
        amount_requested=letter.amount_requested,
        amount_awarded=letter.amount_awarded,
        reserve_position=letter.reserve_position,
        ineligibility_reason=letter.ineligibility_reason,
        summary=summary,
        published_at=publication.published_at,
        redress_days=call.redress_days,
        redress_closes_at=redress_closes_at(publication.published_at, call.redress_days),
        evaluation_path=evaluation_path,
    )


def letter_recipients(*, letter: DecisionLetter) -> list[str]:
    """Every member of the bid's lead institution, by address (sorted, without duplicates)."""
    emails = Membership.objects.filter(institution_id=letter.bid.lead_institution_id).values_list(
        "user__email", flat=True
    )
    return sorted({email for email in emails if email})


def letters_page(*, call: Call) -> dict[str, Any]:
    """The administrators' letters page: the publication, every letter with its bid and
    institution, and every appeal of the call (three queries whatever the size)."""
    publication = (
        Publication.objects.select_related("published_by", "decision").filter(call=call).first()
    )
    letters = list(
        DecisionLetter.objects.filter(call=call)
        .select_related("bid__lead_institution")
        .order_by("bid__acronym")
    )
    appeals = list(
        RedressRequest.objects.filter(bid__call=call)
        .select_related("bid", "filed_by", "answered_by")
        .order_by("filed_at")
    )
    return {
        "publication": publication,
        "letters": letters,
        "appeals": appeals,
        "redress_closes_at": (
            redress_closes_at(publication.published_at, call.redress_days) if publication else None
        ),
    }


@dataclass(frozen=True)
class Outcome:
    letter: DecisionLetter | None
    appeal: RedressRequest | None
    redress_closes_at: datetime | None
    redress_open: bool


def outcome_for(*, bid: Bid, at: datetime | None = None) -> Outcome:
    """The published outcome of ``bid``: its letter, its appeal, the redress window."""
    publication = Publication.objects.filter(call_id=bid.call_id).first()
    letter = DecisionLetter.objects.filter(bid=bid).first()
    appeal = RedressRequest.objects.select_related("filed_by").filter(bid=bid).first()
    if publication is None:
        return Outcome(letter=letter, appeal=appeal, redress_closes_at=None, redress_open=False)
    days = bid.call.redress_days
    return Outcome(
        letter=letter,
        appeal=appeal,
        redress_closes_at=redress_closes_at(publication.published_at, days),
        redress_open=redress_open(publication.published_at, days, at or timezone.now()),
    )


# A queued letter never tried this long after it was written lost its task message (the
# broker was down when the call was published): review.tasks.task_requeue_stalled_letters.
STALLED_AFTER = timedelta(minutes=10)


def stalled_letter_ids() -> list[int]:
    """Queued letters no worker has tried, written more than ``STALLED_AFTER`` ago."""
    return list(
        DecisionLetter.objects.filter(
            status=DecisionLetter.Status.QUEUED,
            attempts=0,
            created_at__lt=timezone.now() - STALLED_AFTER,
        ).values_list("pk", flat=True)[:1000]
    )
