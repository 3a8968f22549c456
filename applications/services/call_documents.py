"""Documents of a call's page (templates applicants download): checked from their content.

An administrator uploads them in the Django admin (``CallDocumentForm``) or the demo through
:func:`add_call_document`. The format is read from the bytes, never from the file name or
the browser's content type, as for bids' attachments:

- PDF: ``applications.services.attachments.check_pdf`` (magic, bounded parsing);
- Office Open XML (``.docx``, ``.xlsx``) and OpenDocument (``.odt``, ``.ods``): a ZIP whose
  entries name the format (``word/document.xml``, ``xl/workbook.xml``, or the ODF
  ``mimetype`` entry), with a bounded number of entries; macro-enabled variants are refused.

The size is bounded by ``PORTAL_MAX_UPLOAD_BYTES`` before anything is read. The stored name
is random (``call_document_upload_to``); the download is served under ``served_name`` (the
document's title, cleaned, with the checked extension) with the checked content type.
Errors are ``ValidationError`` with a message the administrator can act on.
"""

import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from applications.models import Call, CallDocument
from applications.services.attachments import check_pdf, clean_original_name

logger = logging.getLogger(__name__)

# A template has a few dozen entries; a ZIP bomb has thousands.
MAX_ZIP_ENTRIES = 2_000
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
OOXML_TYPES = {
    "word/document.xml": (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xl/workbook.xml": (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}
_UNSAFE_IN_NAMES = re.compile(r'[<>:"/\\|?*;]+')


@dataclass(frozen=True)
class DocumentFacts:
    extension: str
    content_type: str
    size: int
    sha256: str


def _not_accepted() -> ValidationError:
    return ValidationError(
        _(
            "This file is not an accepted document: upload a PDF, a Word or Excel file "
            "(.docx, .xlsx) or an OpenDocument file (.odt, .ods)."
        ),
        code="not_accepted",
    )


def _zip_format(data: bytes) -> tuple[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        if len(names) > MAX_ZIP_ENTRIES:
            raise _not_accepted()
        if "mimetype" in names:
            # Read at most 100 bytes: a member may inflate to gigabytes.
            with archive.open("mimetype") as member:
                mimetype = member.read(100).decode("ascii", "replace").strip()
            if mimetype in ODF_TYPES:
                return ODF_TYPES[mimetype], mimetype
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as error:
        raise _not_accepted() from error
    if "[Content_Types].xml" in names:
        if "vbaProject.bin" in {name.rsplit("/", 1)[-1] for name in names}:
            raise ValidationError(
                _("This file contains macros: save it without macros (.docx, .xlsx) and retry."),
                code="macros",
            )
        for entry, (extension, content_type) in OOXML_TYPES.items():
            if entry in names:
                return extension, content_type
    raise _not_accepted()


def check_call_document(*, upload: UploadedFile) -> DocumentFacts:
    """Format, size and SHA-256 of ``upload``, or ``ValidationError``."""
    max_bytes = settings.PORTAL_MAX_UPLOAD_BYTES
    size = upload.size or 0
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        facts = check_pdf(upload=upload, max_bytes=max_bytes, max_pages=None)
        return DocumentFacts("pdf", "application/pdf", facts.size, facts.sha256)
    if size > max_bytes:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{size / 1048576:.1f}", "limit": f"{max_bytes / 1048576:.1f}"},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if not head.startswith(b"PK\x03\x04"):
        raise _not_accepted()
    data = upload.read()
    upload.seek(0)
    extension, content_type = _zip_format(data)
    return DocumentFacts(extension, content_type, size, hashlib.sha256(data).hexdigest())


def apply_facts(document: CallDocument, *, upload: UploadedFile, facts: DocumentFacts) -> None:
    """Record on ``document`` what was checked of its upload (before it is saved)."""
    document.original_name = clean_original_name(upload.name or "")
    document.extension = facts.extension
    document.content_type = facts.content_type
    document.size = facts.size
    document.sha256 = facts.sha256


def served_name(document: CallDocument) -> str:
    """``<title>.<checked extension>``: the title without characters headers refuse."""
    stem = _UNSAFE_IN_NAMES.sub("-", clean_original_name(document.title)).strip(" .-")
    return f"{stem or 'document'}.{document.extension}"


def add_call_document(
    *, call: Call, title_en: str, title_fr: str, upload: UploadedFile, by: User, order: int = 0
) -> CallDocument:
    """Check ``upload`` and attach it to the call's page."""
    facts = check_call_document(upload=upload)
    document = CallDocument(call=call, title_en=title_en, title_fr=title_fr, order=order)
    apply_facts(document, upload=upload, facts=facts)
    with transaction.atomic():
        document.file.save("upload", upload, save=False)
        try:
            document.full_clean()
            document.save()
        except Exception:
            document.file.storage.delete(str(document.file.name))
            raise
    logger.info("Call %s: document %s added by user %s", call.pk, document.pk, by.pk)
    return document
