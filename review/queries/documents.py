"""What a juror reads of a bid: its latest submitted version, flattened for the template.

The flattening is the institution's preview's too (``applications.queries.snapshot_documents``,
rendered by ``templates/partials/bid_reading_*.html``): one reading of the whole bid.
"""

from django.urls import reverse

from applications.models import Bid
from applications.queries import (
    BidDocuments,
    SnapshotAttachment,
    snapshot_attachments,
    snapshot_documents,
)

__all__ = ["BidDocuments", "SnapshotAttachment", "bid_documents", "submitted_attachment"]


def bid_documents(*, bid: Bid) -> BidDocuments:
    """The latest submitted version of ``bid``, its PDFs linked to the jury's download."""
    version = bid.latest_version
    if version is None:
        return BidDocuments(version=None)

    def url(attachment: SnapshotAttachment) -> str:
        if not attachment.file:
            return ""
        return reverse("review:download_attachment", args=[bid.public_id, attachment.index])

    return snapshot_documents(
        call_id=bid.call_id, snapshot=version.snapshot, version=version, attachment_url=url
    )


def submitted_attachment(*, bid: Bid, index: int) -> SnapshotAttachment | None:
    """The ``index``-th PDF of the bid's latest submitted version, or ``None``.

    Only the latest version's files are served to jurors: a file uploaded since, or one of
    an older version, is not.
    """
    version = bid.latest_version
    if version is None or not isinstance(version.snapshot, dict):
        return None
    attachments = snapshot_attachments(version.snapshot)
    if not 0 <= index < len(attachments) or not attachments[index].file:
        return None
    return attachments[index]
