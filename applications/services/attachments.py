"""PDF attachments of a bid: checked from their content, stored under a random name.

A file is accepted only if its bytes say it is a PDF (``%PDF-`` magic AND pypdf parses it
and counts its pages); the extension and the browser's content type are ignored. The size
is checked from ``upload.size`` before anything is read. The user's file name is kept only
as display text, stripped of any path; the stored name is random (``attachment_upload_to``)
and the served name always ends in ``.pdf`` (``served_name``).

The work spent on one upload is bounded (``check_pdf``): a scan of the raw bytes refuses
files declaring more than ``MAX_PAGES`` pages or ``MAX_OBJECTS`` objects before any parsing,
and pypdf then runs in a forked child process (``applications.pdf_probe``) killed after
``PROBE_SECONDS``: no upload costs more than about 2 s of server time
(``bench/pdf_upload.py``).
"""

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import pdf_probe
from applications.models import Attachment, Bid, BidVersion, RequiredAttachment
from applications.services.bids import check_bid_writable

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
MAX_EXTRA_ATTACHMENTS = 10
MAX_NAME_LENGTH = 200
# Any document, whatever the call allows: a call's page limit may only be lower.
MAX_PAGES = 1_000
# Cross-reference entries pypdf must read to open a file (~50 µs each on a loaded core).
MAX_OBJECTS = 20_000
# Wall-clock budget of the child process that parses the PDF.
PROBE_SECONDS = 1.5
# ``/Count 123`` (page tree nodes) and ``/Size 456`` (trailers, cross-reference streams)
# are plain text in every PDF, compressed or not; the largest of each bounds the file.
_COUNT = re.compile(rb"/Count\s+(\d{1,12})")
_SIZE = re.compile(rb"/Size\s+(\d{1,12})")


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


_UNSAFE_IN_NAMES = re.compile(r'[<>:"/\\|?*;]+')


def served_name(name: str, *, fallback: str = "document") -> str:
    """The name a stored PDF is downloaded under: always ``<stem>.pdf``.

    The bytes are a PDF whatever the upload was called, so the served name says so:
    ``invoice.html`` → ``invoice.pdf``, ``cv.PDF`` → ``cv.pdf``; the stem is the display
    name without its last extension, without characters that file systems or headers
    refuse, ``fallback`` when nothing is left.
    """
    cleaned = clean_original_name(name)
    stem = cleaned.rsplit(".", 1)[0] if "." in cleaned else cleaned
    stem = _UNSAFE_IN_NAMES.sub("-", stem).strip(" .-")
    return f"{stem or fallback}.pdf"


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
    data = upload.read()
    upload.seek(0)
    limit = MAX_PAGES if max_pages is None else min(max_pages, MAX_PAGES)
    declared_pages = max((int(m) for m in _COUNT.findall(data)), default=0)
    if declared_pages > MAX_PAGES:
        raise _too_many_pages(declared_pages, limit)
    if max((int(m) for m in _SIZE.findall(data)), default=0) > MAX_OBJECTS:
        raise ValidationError(_too_complex_message(), code="too_complex")
    pages = _probe_pages(data)
    if pages > limit:
        raise _too_many_pages(pages, limit)
    return PdfFacts(size=size, pages=pages, sha256=hashlib.sha256(data).hexdigest())


def _too_many_pages(pages: int, limit: int) -> ValidationError:
    return ValidationError(
        _("This document has %(pages)s pages; at most %(max)s are allowed.")
        % {"pages": f"{pages:,}", "max": f"{limit:,}"},
        code="too_many_pages",
    )


def _too_complex_message() -> str:
    return _(
        "This PDF is too complex to be checked quickly. Export or print it to PDF again "
        "(or compress it) and retry."
    )


def _probe_pages(data: bytes) -> int:
    """Page count read by pypdf in a child process, killed after PROBE_SECONDS."""
    facts = pdf_probe.probe(data, seconds=PROBE_SECONDS)
    if facts.get("error") == "timeout":
        logger.info("Refused a PDF that took more than %s s to parse", PROBE_SECONDS)
        raise ValidationError(_too_complex_message(), code="too_complex")
    if facts.get("error") == "encrypted":
        raise ValidationError(
            _("This PDF is password-protected: upload an unprotected copy."), code="encrypted"
        )
    if facts.get("error") == "no_pages":
        raise ValidationError(_("This PDF has no page."), code="not_pdf")
    if "pages" not in facts:
        logger.info("Refused an unreadable PDF: %s", facts.get("detail"))
        raise ValidationError(
            _("This PDF cannot be read (it may be damaged). Export it again and retry."),
            code="not_pdf",
        )
    return int(facts["pages"])


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
