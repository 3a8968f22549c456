"""Procedural appeals (redress) after publication.

Rules:
- Only once the call's results are published, and within ``Call.redress_days`` of the
  publication, to the second (``review.decision.redress``): an appeal at or after
  ``published_at + redress_days`` is refused (:class:`portal.editing.DeadlinePassed`, a 403).
- The bid's coordinator files it (``bids.redress``, checked by the view); one appeal per bid,
  a text that says what in the procedure is contested.
- The administrators answer it once, in writing; the appeal and its answer are kept with the
  call's record (shown on the institution's page and the letters page).
- Appeals are not evaluation writes: the evaluation freeze does not apply.

Error contract: ``ValidationError`` keyed by ``text`` / ``answer`` for an empty text;
``ClosedForEdits`` (403) for an appeal outside the window, a second appeal, or a second answer.
"""

import logging
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Bid, Call
from portal.editing import ClosedForEdits, DeadlinePassed, Locked
from portal.formats import format_paris_datetime
from review.decision.redress import redress_closes_at, redress_open
from review.models import Publication, RedressRequest

logger = logging.getLogger(__name__)


def check_redress_open(*, bid: Bid, at: datetime | None = None) -> None:
    """Raise ``ClosedForEdits`` unless an appeal on ``bid`` may be filed at ``at`` (now)."""
    now = at or timezone.now()
    publication = Publication.objects.filter(call_id=bid.call_id).first()
    if bid.call.status != Call.Status.PUBLISHED or publication is None:
        raise ClosedForEdits(_("An appeal can be filed once the call's results are published."))
    if not redress_open(publication.published_at, bid.call.redress_days, now):
        closes = redress_closes_at(publication.published_at, bid.call.redress_days)
        raise DeadlinePassed(
            _("The time to file an appeal ended on %(deadline)s.")
            % {"deadline": format_paris_datetime(closes, seconds=True)}
        )
    if RedressRequest.objects.filter(bid=bid).exists():
        raise Locked(_("An appeal on this bid has already been filed."))


def file_redress(*, bid: Bid, text: str, by: User, at: datetime | None = None) -> RedressRequest:
    """Record the coordinator's procedural appeal on ``bid``."""
    now = at or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Say which step of the procedure you contest, and why.")})
    with transaction.atomic():
        check_redress_open(bid=bid, at=now)
        try:
            with transaction.atomic():
                appeal = RedressRequest.objects.create(
                    bid=bid, filed_by=by, text=text, filed_at=now
                )
        except IntegrityError:  # two submissions at once: the second finds the first
            raise Locked(_("An appeal on this bid has already been filed.")) from None
    logger.info("Appeal %s on bid %s filed by user %s", appeal.pk, bid.pk, by.pk)
    return appeal


def answer_redress(*, appeal: RedressRequest, answer: str, by: User) -> RedressRequest:
    """Record the administrators' written answer to ``appeal`` (once)."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer to the appeal.")})
    with transaction.atomic():
        locked = RedressRequest.objects.select_for_update().get(pk=appeal.pk)
        if locked.answered_at is not None:
            raise Locked(_("This appeal has already been answered."))
        locked.answer = answer
        locked.answered_by = by
        locked.answered_at = timezone.now()
        locked.save(update_fields=["answer", "answered_by", "answered_at"])
    logger.info("Appeal %s answered by user %s", locked.pk, by.pk)
    return locked
