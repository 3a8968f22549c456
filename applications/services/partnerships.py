"""Partners of a bid: institutions of the portal, with their consent, and partners that are
not on the portal.

A partnership is a request (``Partnership``, its graph in ``Partnership.TRANSITIONS``):
- the lead's coordinator requests it (``request_partnership``); the partner institution's
  coordinators are e-mailed, in the institution's language of correspondence;
- a coordinator of the partner accepts or declines it (``accept_partnership``,
  ``decline_partnership``); only an accepted partnership shows the bid to the partner's
  members (``BidQuerySet.visible_to``);
- the lead's coordinator withdraws it, requested or accepted (``withdraw_partnership``), and
  the partner's coordinator leaves an accepted one (``leave_partnership``); the other side's
  coordinators are e-mailed.
Partners not on the portal (``ExternalPartner``) are listed by name, country and type
(``add_external_partner``, ``remove_external_partner``).

The consortium is part of the bid: every change is refused once the call accepts no more
writes (``check_bid_writable``, to the second), so the submitted version, the jury's
conflict check and who reads the bid agree after the deadline. Callers check the
permission (``bids.manage_partners``, ``partnerships.respond``, ``bids.edit``) first.

Errors: ``ValidationError`` with a message the user can act on (a duplicate request, a
request already answered or withdrawn), ``CallClosed`` (403) after the deadline.

Audit: every row is saved through the model, so django-auditlog records each change with its
actor; the rows carry who asked, who answered or ended and when; and every change is
appended to the tamper-evident record through the registered consortium hooks.
"""

import logging
from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Bid, ExternalPartner, Institution, Membership, Partnership
from applications.services.bids import check_bid_writable
from applications.validators import validate_clean_text
from portal import transitions
from portal.mail import absolute_url, send_templated_mail

logger = logging.getLogger(__name__)

S = Partnership.Status

# What another app records when the consortium changes: the review app appends the change to
# its tamper-evident record (``review.services.audit.record_consortium_change``), as a
# partner decides conflicts of interest. ``applications`` never imports ``review``, so review
# registers it when it starts (``ReviewConfig.ready``). A hook runs inside the service's
# transaction, after the change is saved: ``hook(bid=, by=, payload=)``, payload plain JSON.
ConsortiumHook = Callable[..., object]
_HOOKS: list[ConsortiumHook] = []


def register_consortium_hook(hook: ConsortiumHook) -> None:
    """Add ``hook`` once (``ready()`` may run more than once)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def _recorded(*, bid: Bid, by: User, payload: dict) -> None:
    for hook in _HOOKS:
        hook(bid=bid, by=by, payload=payload)


def _partnership_payload(partnership: Partnership) -> dict:
    return {
        "partnership": partnership.pk,
        "institution": partnership.institution_id,
        "status": str(partnership.status),
    }


def _coordinator_emails(institution_id: int) -> list[str]:
    return sorted(
        Membership.objects.filter(
            institution_id=institution_id, role=Membership.Role.COORDINATOR
        ).values_list("user__email", flat=True)
    )


def _mail_context(partnership: Partnership, by: User) -> dict:
    bid = partnership.bid
    return {
        "acronym": bid.acronym,
        "title": bid.title,
        "lead": bid.lead_institution.name,
        "partner": partnership.institution.name,
        "by": by.get_full_name() or by.email,
        "status": partnership.status,
    }


def _notify_partner(partnership: Partnership, *, template: str, by: User) -> None:
    institution = partnership.institution
    context = {
        **_mail_context(partnership, by),
        "url": absolute_url(reverse("applications:partnerships")),
    }
    for email in _coordinator_emails(institution.pk):
        send_templated_mail(
            template=template, to=email, context=context, language=institution.language
        )


def _notify_lead(partnership: Partnership, *, by: User) -> None:
    lead = partnership.bid.lead_institution
    context = {
        **_mail_context(partnership, by),
        "url": absolute_url(
            reverse("applications:bid_consortium", args=[partnership.bid.public_id])
        ),
    }
    for email in _coordinator_emails(lead.pk):
        send_templated_mail(
            template="applications/partnerships/answered",
            to=email,
            context=context,
            language=lead.language,
        )


def request_partnership(*, bid: Bid, institution: Institution, by: User) -> Partnership:
    """Ask ``institution`` to be a partner of ``bid`` and e-mail its coordinators."""
    check_bid_writable(bid=bid)
    if institution.pk == bid.lead_institution_id:
        raise ValidationError({"institution": _("The lead institution cannot also be a partner.")})
    open_one = Partnership.objects.open().filter(bid=bid, institution=institution).first()
    if open_one is not None:
        raise ValidationError({"institution": _duplicate_message(open_one)})
    partnership = Partnership(bid=bid, institution=institution, requested_by=by)
    try:
        with transaction.atomic():
            partnership.save()
            _recorded(bid=bid, by=by, payload=_partnership_payload(partnership))
            _notify_partner(partnership, template="applications/partnerships/requested", by=by)
    except IntegrityError as error:  # a concurrent request for the same institution won
        current = Partnership.objects.open().filter(bid=bid, institution=institution).first()
        message = _duplicate_message(current) if current else _("Try again.")
        raise ValidationError({"institution": message}) from error
    logger.info("Bid %s: partnership %s requested by user %s", bid.pk, partnership.pk, by.pk)
    return partnership


def _duplicate_message(partnership: Partnership) -> str:
    if partnership.status == S.ACCEPTED:
        return _("%(institution)s is already a partner of this bid.") % {
            "institution": partnership.institution.name
        }
    return _("%(institution)s has already been asked and has not answered yet.") % {
        "institution": partnership.institution.name
    }


def _change(*, partnership: Partnership, to_status: str, by: User, refused: str) -> Partnership:
    """Move ``partnership`` to ``to_status`` with the row locked, recording who and when.

    Precondition: inside ``transaction.atomic()``. The status is re-read under the lock, so
    an answer and a withdrawal that cross each other cannot both win.
    """
    locked = (
        Partnership.objects.select_for_update()
        .select_related("bid__call", "bid__lead_institution", "institution")
        .get(pk=partnership.pk)
    )
    check_bid_writable(bid=locked.bid)
    transitions.check_transition(locked, to_status, refused=refused)
    locked.status = to_status
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    _recorded(bid=locked.bid, by=by, payload=_partnership_payload(locked))
    logger.info("Partnership %s %s by user %s", locked.pk, to_status, by.pk)
    return locked


_ALREADY = gettext_lazy(
    "This request is no longer open: it is “%(from)s”. Reload the page to see it."
)


def accept_partnership(*, partnership: Partnership, by: User) -> Partnership:
    """The partner's coordinator consents: the partner's members now read the bid."""
    with transaction.atomic():
        changed = _change(
            partnership=partnership, to_status=S.ACCEPTED, by=by, refused=str(_ALREADY)
        )
        _notify_lead(changed, by=by)
    return changed


def decline_partnership(*, partnership: Partnership, by: User) -> Partnership:
    with transaction.atomic():
        changed = _change(
            partnership=partnership, to_status=S.DECLINED, by=by, refused=str(_ALREADY)
        )
        _notify_lead(changed, by=by)
    return changed


def leave_partnership(*, partnership: Partnership, by: User) -> Partnership:
    """The partner's coordinator ends an accepted partnership: its members lose the bid."""
    with transaction.atomic():
        changed = _change(
            partnership=partnership,
            to_status=S.LEFT,
            by=by,
            refused=_("Only an accepted partnership can be left; it is “%(from)s”."),
        )
        _notify_lead(changed, by=by)
    return changed


def withdraw_partnership(*, partnership: Partnership, by: User) -> Partnership:
    """The lead's coordinator withdraws a request, or removes an accepted partner."""
    with transaction.atomic():
        changed = _change(
            partnership=partnership,
            to_status=S.WITHDRAWN,
            by=by,
            refused=_("This partnership is already closed: it is “%(from)s”."),
        )
        _notify_partner(changed, template="applications/partnerships/withdrawn", by=by)
    return changed


def add_external_partner(
    *, bid: Bid, name: str, country: str, kind: str, by: User
) -> ExternalPartner:
    """List a partner that has no account on the portal (a company, a foreign university)."""
    check_bid_writable(bid=bid)
    for text in (name, country):
        validate_clean_text(text)
    partner = ExternalPartner(
        bid=bid,
        name=" ".join(name.split()),
        country=" ".join(country.split()),
        kind=kind,
        added_by=by,
    )
    partner.full_clean()
    if ExternalPartner.objects.filter(bid=bid, name__iexact=partner.name).exists():
        raise ValidationError({"name": _("This partner is already listed.")})
    with transaction.atomic():
        partner.save()
        _recorded(bid=bid, by=by, payload=_external_payload(partner, added=True))
    logger.info("Bid %s: external partner %s added by user %s", bid.pk, partner.pk, by.pk)
    return partner


def remove_external_partner(*, partner: ExternalPartner, by: User) -> None:
    check_bid_writable(bid=partner.bid)
    logger.info("Bid %s: external partner %s removed by user %s", partner.bid_id, partner.pk, by.pk)
    with transaction.atomic():
        payload = _external_payload(partner, added=False)
        partner.delete()
        _recorded(bid=partner.bid, by=by, payload=payload)


def _external_payload(partner: ExternalPartner, *, added: bool) -> dict:
    return {
        "external_partner": partner.pk,
        "name": partner.name,
        "country": partner.country,
        "kind": partner.kind,
        "action": "added" if added else "removed",
    }
