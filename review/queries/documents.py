"""What a juror reads of a bid: its latest submitted version, flattened for the template."""

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import get_language

from applications.models import Bid, BidSection, BidVersion, BudgetLine, RequiredAttachment


@dataclass
class SnapshotAttachment:
    index: int  # position in the snapshot's list: the download URL's key
    name: str
    sha256: str
    file: str  # stored file name (kept for as long as a version refers to it)
    pages: int | None
    size: int | None
    kind: str  # required document's code, or ""


@dataclass
class BidDocuments:
    """What a juror reads: the latest submitted version, flattened for the template."""

    version: BidVersion | None
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # key, label, text
    budget: list[dict[str, Any]] = field(default_factory=list)
    budget_requested: int = 0
    budget_cofunding: int = 0
    partners: list[str] = field(default_factory=list)
    attachments: list[SnapshotAttachment] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return next((text for key, _, text in self.sections if key == "summary"), "")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _label(choices: type[models.TextChoices], key: str) -> str:
    try:
        return str(choices(key).label)
    except ValueError:
        return key


def snapshot_attachments(snapshot: dict[str, Any]) -> list[SnapshotAttachment]:
    """The PDFs frozen in a version (``applications.services.submission.bid_content``)."""
    result = []
    for index, item in enumerate(snapshot.get("attachments") or []):
        if not isinstance(item, dict):
            continue
        result.append(
            SnapshotAttachment(
                index=index,
                name=_text(item.get("name")),
                sha256=_text(item.get("sha256")),
                file=_text(item.get("file")),
                pages=item.get("pages"),
                size=item.get("size"),
                kind=_text(item.get("required")),
            )
        )
    return result


def bid_documents(*, bid: Bid) -> BidDocuments:
    """Read the latest submitted version's snapshot (format of
    ``applications.services.submission.bid_content``: ``sections`` as ``{key: text}``,
    ``budget`` lines, ``partners`` as institutions, ``attachments`` with their hashes)."""
    version = bid.latest_version
    documents = BidDocuments(version=version)
    if version is None:
        return documents
    snapshot = version.snapshot if isinstance(version.snapshot, dict) else {}

    sections = snapshot.get("sections") or {}
    for key in [*BidSection.Key.values, *(k for k in sections if k not in BidSection.Key.values)]:
        if key in sections:
            documents.sections.append((key, _label(BidSection.Key, key), _text(sections[key])))

    for line in snapshot.get("budget") or []:
        if not isinstance(line, dict):
            continue
        requested = _as_int(line.get("requested"))
        cofunding = _as_int(line.get("cofunding"))
        documents.budget.append(
            {
                "year": line.get("year"),
                "category": _label(BudgetLine.Category, _text(line.get("category"))),
                "requested": requested,
                "cofunding": cofunding,
            }
        )
        documents.budget_requested += requested
        documents.budget_cofunding += cofunding

    for partner in snapshot.get("partners") or []:
        if not isinstance(partner, dict):
            documents.partners.append(_text(partner))
        elif partner.get("external"):  # not on the portal: the jury sees the country too
            documents.partners.append(
                f"{_text(partner.get('name'))} ({_text(partner.get('country'))})"
            )
        else:
            documents.partners.append(_text(partner.get("name")))
    attachments = snapshot_attachments(snapshot)
    names = dict(
        RequiredAttachment.objects.filter(
            call_id=bid.call_id, code__in={a.kind for a in attachments if a.kind}
        ).values_list("code", "name_en" if not _is_french() else "name_fr")
    )
    for attachment in attachments:
        attachment.kind = names.get(attachment.kind, attachment.kind)
    documents.attachments = attachments
    return documents


def _is_french() -> bool:
    return (get_language() or "en").startswith("fr")


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
