"""Submitting, withdrawing and un-withdrawing a bid.

Submission freezes an immutable ``BidVersion``: a JSON snapshot of every field, section,
budget cell, partner and attachment (with its SHA-256), the SHA-256 of that snapshot's
canonical JSON, and a receipt PDF. Resubmission before the deadline adds a version; older
versions are kept. Members of the lead institution are e-mailed, in the submitter's language.

The request that submits only writes the version: the receipt PDF and the e-mails cost
seconds under load, so ``applications.tasks.task_deliver_receipt`` (queued on commit) builds
the receipt (``ensure_receipt``) and then queues the e-mails once (``deliver_receipt``). A
download that arrives before the task has run builds the same receipt on demand: it is
rendered from the frozen snapshot in the version's language, so its content does not depend
on who builds it, or when. Withdrawals and their undoing are e-mailed to the same members
(``send_withdrawal_emails``), each in the institution's language of correspondence
(``Institution.language``, the one language the portal keeps for its members).
"""

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications import queries
from applications.models import (
    Attachment,
    Bid,
    BidSection,
    BidVersion,
    BudgetLine,
    Institution,
)
from applications.queries import accepted_partners, bid_checklist, external_partners
from applications.services.bids import check_bid_writable, closed_message
from applications.services.receipts import build_receipt_pdf
from portal import queue, transitions
from portal.editing import CallClosed
from portal.mail import absolute_url, send_templated_mail

logger = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 1
# Keys of a snapshot that describe the act of submitting rather than the bid's content.
SUBMISSION_KEYS = frozenset({"version", "submitted_at", "submitted_by"})


def canonical_json(snapshot: dict) -> bytes:
    """The bytes hashed for a version: sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def snapshot_sha256(snapshot: dict) -> str:
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def _institution(institution: Institution) -> dict:
    return {
        "id": institution.pk,
        "name": institution.name,
        "identifier_type": institution.identifier_type,
        "identifier": institution.identifier,
    }


def bid_content(*, bid: Bid) -> dict:
    """Everything an institution wrote, as JSON-ready data (no submission metadata)."""
    call = bid.call
    sections = dict(BidSection.objects.filter(bid=bid).values_list("key", "content"))
    lines = BudgetLine.objects.filter(bid=bid).order_by("year", "category")
    attachments = Attachment.objects.filter(bid=bid).select_related("required_attachment")
    return {
        "format": SNAPSHOT_FORMAT,
        "call": {
            "slug": call.slug,
            "title_en": call.title_en,
            "title_fr": call.title_fr,
            "closes_at": call.closes_at.astimezone(UTC).isoformat(),
        },
        "bid": {
            "public_id": str(bid.public_id),
            "acronym": bid.acronym,
            "title": bid.title,
            "requested_amount": bid.requested_amount,
            "minimum_amount": bid.minimum_amount,
        },
        "lead_institution": _institution(bid.lead_institution),
        # Accepted partnerships, then partners not on the portal (marked ``external``; a
        # snapshot without any keeps the shape it had before they existed).
        "partners": [_institution(p) for p in accepted_partners(bid=bid)]
        + [
            {"name": p.name, "country": p.country, "kind": p.kind, "external": True}
            for p in external_partners(bid=bid)
        ],
        "sections": {key: sections.get(key, "") for key in BidSection.Key.values},
        "budget": [
            {
                "year": line.year,
                "category": line.category,
                "requested": line.requested,
                "cofunding": line.cofunding,
            }
            for line in lines
        ],
        "attachments": sorted(
            (
                {
                    "required": a.required_attachment.code if a.required_attachment else None,
                    "name": a.original_name,
                    "size": a.size,
                    "pages": a.pages,
                    "sha256": a.sha256,
                    "file": a.file.name,
                }
                for a in attachments
            ),
            key=lambda item: (item["required"] is None, item["required"] or "", item["sha256"]),
        ),
    }


def has_unsubmitted_changes(*, bid: Bid, version: BidVersion | None) -> bool:
    """True when the working copy differs from ``version`` (the latest submitted one)."""
    if version is None:
        return False
    frozen = {k: v for k, v in version.snapshot.items() if k not in SUBMISSION_KEYS}
    return canonical_json(frozen) != canonical_json(bid_content(bid=bid))


def _check_complete(bid: Bid) -> None:
    missing = bid_checklist(bid=bid).missing
    if missing:
        lines = [f"{item.label}{': ' + item.detail if item.detail else ''}" for item in missing]
        raise ValidationError(
            [_("The bid is incomplete; complete these items before submitting:")] + lines,
            code="incomplete",
        )


def submit_bid(*, bid: Bid, by: User) -> BidVersion:
    """Freeze the current content of ``bid`` as a new version and mark the bid submitted.

    Runs in one transaction with the bid row locked, so concurrent submissions queue on the
    lock, one after the other, never the same number twice. A submission that finds the bid
    already submitted with exactly this content (two coordinators clicking at the same
    instant, a double click) returns that version: no second version, no second receipt.
    """
    with transaction.atomic():
        locked = (
            Bid.objects.select_for_update()
            .select_related("call", "lead_institution")
            .get(pk=bid.pk)
        )
        now = timezone.now()
        check_bid_writable(bid=locked, at=now)
        transitions.check_transition(locked, Bid.Status.SUBMITTED)
        _check_complete(locked)
        latest = BidVersion.objects.filter(bid=locked).order_by("-number").first()
        if (
            locked.status == Bid.Status.SUBMITTED
            and latest is not None
            and not has_unsubmitted_changes(bid=locked, version=latest)
        ):
            logger.info(
                "Bid %s: user %s submitted unchanged content, version %s kept",
                locked.pk,
                by.pk,
                latest.number,
            )
            bid.status = locked.status
            return latest
        number = (BidVersion.objects.filter(bid=locked).aggregate(n=Max("number"))["n"] or 0) + 1
        snapshot = bid_content(bid=locked)
        snapshot.update(
            {
                "version": number,
                "submitted_at": now.astimezone(UTC).isoformat(),
                "submitted_by": by.email,
            }
        )
        sha256 = snapshot_sha256(snapshot)
        version = BidVersion(
            bid=locked,
            number=number,
            snapshot=snapshot,
            sha256=sha256,
            submitted_at=now,
            submitted_by=by,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        version.save()
        locked.status = Bid.Status.SUBMITTED
        locked.withdrawal_reason = ""
        locked.withdrawn_at = None
        locked.save(update_fields=["status", "withdrawal_reason", "withdrawn_at", "updated_at"])
        # Imported here: the task module imports this one.
        from applications.tasks import task_deliver_receipt

        # Best effort: with the broker down the submission still succeeds, and the beat sweep
        # (requeue_undelivered_receipts) publishes the delivery once it is back.
        queue.publish_on_commit(task_deliver_receipt, version_id=version.pk)
    logger.info("Bid %s submitted as version %s by user %s", locked.pk, number, by.pk)
    bid.status = locked.status
    return version


# A delivery this late lost its task message (the broker was down at the commit, or a worker
# died holding it): published again by the beat sweep.
RECEIPT_STALLED_AFTER = timedelta(minutes=10)


def undelivered_receipts() -> list[int]:
    """Versions whose receipt e-mails were never sent, long after their submission."""
    return list(
        BidVersion.objects.filter(
            receipt_mailed_at__isnull=True,
            submitted_at__lt=timezone.now() - RECEIPT_STALLED_AFTER,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )


def ensure_receipt(*, version: BidVersion) -> BidVersion:
    """Build and store the receipt PDF of ``version`` unless it exists; return the version.

    Safe to call twice and concurrently (task and download): the version row is locked
    while the receipt is built, so it is built and stored once.
    """
    if version.receipt_pdf:
        return version
    with transaction.atomic():
        locked = BidVersion.objects.select_for_update().select_related("bid").get(pk=version.pk)
        if not locked.receipt_pdf:
            with translation.override(locked.language or settings.LANGUAGE_CODE):
                receipt = build_receipt_pdf(snapshot=locked.snapshot, sha256=locked.sha256)
            locked.receipt_pdf.save(
                f"receipt-{locked.bid.public_id}-v{locked.number}.pdf",
                ContentFile(receipt),
                save=False,
            )
            locked.save(update_fields=["receipt_pdf"])
    version.receipt_pdf = locked.receipt_pdf
    return version


def deliver_receipt(*, version: BidVersion) -> int:
    """Build the receipt if needed, then queue the confirmation e-mails unless already queued.

    Returns the number of e-mails queued (0 when a previous run queued them).
    """
    version = ensure_receipt(version=version)
    with transaction.atomic():
        locked = (
            BidVersion.objects.select_for_update()
            .select_related("bid__call", "bid__lead_institution", "submitted_by")
            .get(pk=version.pk)
        )
        if locked.receipt_mailed_at is not None:
            return 0
        with translation.override(locked.language or settings.LANGUAGE_CODE):
            sent = send_submission_emails(version=locked)
        locked.receipt_mailed_at = timezone.now()
        locked.save(update_fields=["receipt_mailed_at"])
    return sent


def send_submission_emails(*, version: BidVersion) -> int:
    """Queue one e-mail per member of the lead institution, with the receipt; sent after the
    commit. Precondition: the receipt is stored (``ensure_receipt``); call inside the
    transaction that records the sending (``deliver_receipt``), in the version's language."""
    bid = version.bid
    emails = queries.member_emails(institution_id=bid.lead_institution_id)
    context = {
        "bid": {"acronym": bid.acronym, "lead_institution": bid.lead_institution.name},
        "call": {"title": bid.call.title, "closes_at": bid.call.closes_at},
        "version": {
            "number": version.number,
            "submitted_at": version.submitted_at,
            "submitted_by": version.submitted_by.email if version.submitted_by else "",
            "sha256": version.sha256,
        },
    }
    receipt = (
        f"receipt-{bid.acronym}-v{version.number}.pdf",
        str(version.receipt_pdf.name),
        "application/pdf",
    )
    for email in emails:
        send_templated_mail(
            template="applications/bids/submitted",
            to=email,
            context=context,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            attachments=[receipt],
        )
    logger.info("Bid %s version %s: %s confirmation e-mails", bid.pk, version.number, len(emails))
    return len(emails)


def never_submitted_message() -> str:
    return _(
        "This bid has never been submitted: there is nothing to withdraw. A bid that is not "
        "submitted before the deadline is not evaluated."
    )


def withdraw_bid(*, bid: Bid, reason: str, by: User) -> Bid:
    """Withdraw a submitted ``bid`` (a reason is required); undoable before the deadline. A
    draft never submitted cannot be withdrawn (``Bid.TRANSITIONS``)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for withdrawing the bid.")})
    with transaction.atomic():
        locked = Bid.objects.select_for_update().select_related("call").get(pk=bid.pk)
        check_bid_writable(bid=locked, at=timezone.now())
        transitions.check_transition(
            locked, Bid.Status.WITHDRAWN, refused=never_submitted_message()
        )
        locked.status = Bid.Status.WITHDRAWN
        locked.withdrawal_reason = reason
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["status", "withdrawal_reason", "withdrawn_at", "updated_at"])
        send_withdrawal_emails(bid=locked, by=by, undone=False)
    logger.info("Bid %s withdrawn by user %s", locked.pk, by.pk)
    return locked


def undo_withdrawal(*, bid: Bid, by: User) -> Bid:
    """Back to ``submitted`` if a version exists, else to ``draft``; before the deadline only."""
    with transaction.atomic():
        locked = Bid.objects.select_for_update().select_related("call").get(pk=bid.pk)
        now: datetime = timezone.now()
        if locked.status != Bid.Status.WITHDRAWN:
            raise ValidationError(_("This bid is not withdrawn."))
        if not locked.call.is_accepting_submissions(at=now):
            # check_bid_writable would also refuse a withdrawn bid, hence the direct check.
            raise CallClosed(closed_message(call=locked.call))
        has_version = BidVersion.objects.filter(bid=locked).exists()
        to_status = Bid.Status.SUBMITTED if has_version else Bid.Status.DRAFT
        transitions.check_transition(locked, to_status)
        locked.status = to_status
        locked.withdrawal_reason = ""
        locked.withdrawn_at = None
        locked.save(update_fields=["status", "withdrawal_reason", "withdrawn_at", "updated_at"])
        send_withdrawal_emails(bid=locked, by=by, undone=True)
    logger.info("Bid %s withdrawal undone by user %s", locked.pk, by.pk)
    return locked


def send_withdrawal_emails(*, bid: Bid, by: User, undone: bool) -> int:
    """Tell every member of the lead institution that ``bid`` was withdrawn (with the reason)
    or that its withdrawal was undone; one e-mail each after the commit, in the institution's
    language. Precondition: inside the transaction that changed the bid, ``bid.call`` loaded."""
    institution = Institution.objects.get(pk=bid.lead_institution_id)
    language = institution.language
    with translation.override(language):
        call_title = bid.call.title
    context = {
        "bid": {
            "acronym": bid.acronym,
            "title": bid.title,
            "status": bid.status,
            "lead_institution": institution.name,
            "withdrawal_reason": bid.withdrawal_reason,
        },
        "call": {"title": call_title, "closes_at": bid.call.closes_at},
        "by": by.email,
        "at": bid.withdrawn_at or timezone.now(),
        "url": absolute_url(reverse("applications:bid_detail", args=[bid.public_id])),
    }
    template = "applications/bids/withdrawal_undone" if undone else "applications/bids/withdrawn"
    emails = queries.member_emails(institution_id=institution.pk)
    for email in emails:
        send_templated_mail(template=template, to=email, context=context, language=language)
    logger.info("Bid %s: %s e-mails (%s)", bid.pk, len(emails), template.rsplit("/", 1)[-1])
    return len(emails)
