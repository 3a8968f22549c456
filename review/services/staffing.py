"""Telling the administrators when a bid falls below its planned jurors.

A conflict that removes a juror from a bid (declared by the juror, or confirmed by an
administrator) may leave the bid *understaffed* (``review.queries.staffing``). The service
that removed the assignment calls :func:`notify_if_understaffed` afterwards, inside its
transaction: the e-mails leave on commit, so a refused or rolled-back change sends nothing.
"""

import logging

from django.conf import settings
from django.urls import reverse

from applications.models import Bid
from portal.mail import absolute_url, send_templated_mail
from review.queries.staffing import administrators_to_notify, understaffed_bids

logger = logging.getLogger(__name__)


def notify_if_understaffed(*, bid: Bid) -> bool:
    """E-mail every administrator (``administrators_to_notify``) if ``bid`` now has fewer
    active jurors than its call plans; return whether it does.

    Precondition: called right after an assignment of the bid was removed (a bid already
    understaffed is reported again: each removal widens the gap).
    """
    call = bid.call
    active = understaffed_bids(call=call, bid_ids=[bid.pk]).get(bid.pk)
    if active is None:
        return False
    context = {
        "bid": {"acronym": bid.acronym, "title": bid.title},
        "call": {"title_en": call.title_en, "title_fr": call.title_fr},
        "active_jurors": active,
        "planned_jurors": call.jurors_per_bid,
        "assignments_url": absolute_url(reverse("review:assignment_list", args=[call.slug])),
    }
    for user in administrators_to_notify():
        send_templated_mail(
            template="review/assignments/understaffed",
            to=user.email,
            context=context,
            language=settings.LANGUAGE_CODE,
        )
    logger.info(
        "Bid %s has %s of %s planned jurors: administrators notified",
        bid.pk,
        active,
        call.jurors_per_bid,
    )
    return True
