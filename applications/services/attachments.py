"""PDF attachments of a bid: checked from their content, stored under a random name.

A file is accepted only if its bytes say it is a PDF (``%PDF-`` magic AND pypdf parses it
and counts its pages); the extension and the browser's content type are ignored. The size
is checked from ``upload.size`` before anything is read. The user's file name is kept only
as display text, stripped of any path; the stored name is random (``attachment_upload_to``).
"""

import hashlib
import logging
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfReader

from applications.models import Attachment, Bid, BidVersion, RequiredAttachment
from applications.services.bids import check_bid_writable

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
MAX_EXTRA_ATTACHMENTS = 10
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class PdfFacts:
    size: int
    pages: int
    sha256: str


def max_upload_bytes(*, bid: Bid) -> int:
    return min(settings.PORTAL_MAX_UPLOAD_BYTES, bid.call.max_attachment_bytes)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def clean_original_name(name: str) -> str:
    """Display name of an upload: no directories, no control characters, bounded length.

    ``../../etc/passwd.pdf`` → ``passwd.pdf``; ``C:\\Users\\me\\cv.pdf`` → ``cv.pdf``.
    """
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        name = "document.pdf"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def check_pdf(*, upload: UploadedFile, max_bytes: int, max_pages: int | None) -> PdfFacts:
    """Return size, page count and SHA-256 of ``upload`` or raise ``ValidationError``."""
    size = upload.size or 0
    if size > max_bytes:
        # Refused before reading a byte of it.
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": _megabytes(size), "limit": _megabytes(max_bytes)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    if upload.read(len(PDF_MAGIC)) != PDF_MAGIC:
        raise ValidationError(
            _("This file is not a PDF (its content is not PDF, whatever its name says)."),
            code="not_pdf",
        )
    upload.seek(0)
    try:
        reader = PdfReader(upload)
        if reader.is_encrypted:
            raise ValidationError(
                _("This PDF is password-protected: upload an unprotected copy."), code="encrypted"
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except Exception as error:  # pypdf raises many types on damaged files
        logger.info("Refused an unreadable PDF: %r", error)
        raise ValidationError(
            _("This PDF cannot be read (it may be damaged). Export it again and retry."),
            code="not_pdf",
        ) from error
    if pages < 1:
        raise ValidationError(_("This PDF has no page."), code="not_pdf")
    if max_pages is not None and pages > max_pages:
        raise ValidationError(
            _("This document has %(pages)s pages; at most %(max)s are allowed.")
            % {"pages": pages, "max": max_pages},
            code="too_many_pages",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return PdfFacts(size=size, pages=pages, sha256=digest.hexdigest())


def _files_kept_by_versions(bid: Bid) -> set[str]:
    """Stored file names that a submitted version refers to (never deleted)."""
    kept: set[str] = set()
    for snapshot in BidVersion.objects.filter(bid=bid).values_list("snapshot", flat=True):
        for item in (snapshot or {}).get("attachments", []):
            if item.get("file"):
                kept.add(item["file"])
    return kept


def _forget(attachments: list[Attachment], bid: Bid) -> None:
    """Delete rows now and their files after commit, unless a submitted version uses them."""
    if not attachments:
        return
    kept = _files_kept_by_versions(bid)
    files = [a.file for a in attachments if a.file.name and a.file.name not in kept]
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def delete_files() -> None:
        for stored in files:
            stored.storage.delete(str(stored.name))

    transaction.on_commit(delete_files)


def upload_attachment(
    *, bid: Bid, required_attachment: RequiredAttachment | None, upload: UploadedFile, by
) -> Attachment:
    """Store ``upload`` for ``bid``; in a required slot it replaces the previous file."""
    check_bid_writable(bid=bid, at=timezone.now())
    if required_attachment is not None and required_attachment.call_id != bid.call_id:
        raise ValidationError(_("This document type does not belong to the call."))
    facts = check_pdf(
        upload=upload,
        max_bytes=max_upload_bytes(bid=bid),
        max_pages=required_attachment.max_pages if required_attachment else None,
    )
    with transaction.atomic():
        if required_attachment is None:
            extras = Attachment.objects.filter(bid=bid, required_attachment__isnull=True).count()
            if extras >= MAX_EXTRA_ATTACHMENTS:
                raise ValidationError(
                    _("At most %(max)s additional documents; delete one first.")
                    % {"max": MAX_EXTRA_ATTACHMENTS}
                )
            replaced = []
        else:
            replaced = list(
                Attachment.objects.filter(bid=bid, required_attachment=required_attachment)
            )
        attachment = Attachment(
            bid=bid,
            required_attachment=required_attachment,
            original_name=clean_original_name(upload.name or ""),
            size=facts.size,
            pages=facts.pages,
            sha256=facts.sha256,
            uploaded_by=by,
        )
        # The name passed here is ignored by ``attachment_upload_to`` (random name).
        attachment.file.save("upload.pdf", upload, save=False)
        stored_name = str(attachment.file.name)
        try:
            attachment.full_clean()
            attachment.save()
            _forget(replaced, bid)
        except Exception:
            attachment.file.storage.delete(stored_name)
            raise
    logger.info("Bid %s: attachment %s uploaded by user %s", bid.pk, attachment.pk, by.pk)
    return attachment


def delete_attachment(*, attachment: Attachment, by: User) -> None:
    bid = attachment.bid
    check_bid_writable(bid=bid, at=timezone.now())
    with transaction.atomic():
        _forget([attachment], bid)
    logger.info("Bid %s: attachment %s deleted by user %s", bid.pk, attachment.pk, by.pk)
