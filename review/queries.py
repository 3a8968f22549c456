"""Reads reused by the jury pages: the juror's list, a bid's documents, reviews, progress.

Every list here is built with a fixed handful of queries whatever its size (``values()`` and
Python dictionaries, never a query per row); the tests pin the counts at two sizes.

Exclusion rule (the same as ``review.rules.excluded_juror_ids``, expressed per row): a juror
is removed from a bid by a confirmed conflict or by a conflict they declared.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import get_language, gettext

from applications.models import Bid, BidSection, BidVersion, BudgetLine, Call, RequiredAttachment
from review import scoring
from review.models import (
    Assignment,
    ConflictDeclaration,
    ConsensusReport,
    Criterion,
    CriterionScore,
    JurorProfile,
    Review,
)
from review.models import Conflict as ConflictModel

# --------------------------------------------------------------------------- exclusion


def _confirmed_conflict(juror_ref: str, bid_ref: str) -> Exists:
    return Exists(
        ConflictModel.objects.filter(
            juror_id=OuterRef(juror_ref),
            bid_id=OuterRef(bid_ref),
            status=ConflictModel.Status.CONFIRMED,
        )
    )


def _declaration(juror_ref: str, bid_ref: str, *, has_conflict: bool) -> Exists:
    return Exists(
        ConflictDeclaration.objects.filter(
            juror_id=OuterRef(juror_ref), bid_id=OuterRef(bid_ref), has_conflict=has_conflict
        )
    )


def active_assignments() -> QuerySet[Assignment]:
    """Assignments not cancelled by a confirmed or declared conflict."""
    return Assignment.objects.exclude(_confirmed_conflict("juror_id", "bid_id")).exclude(
        _declaration("juror_id", "bid_id", has_conflict=True)
    )


# --------------------------------------------------------------------------- juror's list


class JurorStatus:
    DECLARE = "declare"
    TO_SCORE = "to_score"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ALL = (DECLARE, TO_SCORE, DRAFT, SUBMITTED)


def juror_assignment_values(*, juror: JurorProfile) -> list[Mapping[str, Any]]:
    """The juror's active assignments, with what the juror has to do next, for their list.

    One query: ``declared_no_conflict`` and the review's status ride along. Plain
    dictionaries: 200 rows of four model instances each would cost more than the rest of
    the page.
    """
    return list(
        active_assignments()
        .filter(juror=juror)
        .annotate(
            declared_no_conflict=_declaration("juror_id", "bid_id", has_conflict=False),
            review_status=F("review__status"),
        )
        .order_by(F("bid__call__review_deadline").asc(nulls_last=True), "bid__acronym")
        .values(
            "is_rapporteur",
            "declared_no_conflict",
            "review_status",
            "bid__acronym",
            "bid__title",
            "bid__public_id",
            "bid__call_id",
            "bid__call__review_deadline",
            "bid__lead_institution__name",
        )
    )


def status_of(*, declared_no_conflict: bool, review_status: str | None) -> str:
    """What an assignment waits for, from the annotations of :func:`juror_assignments`."""
    if not declared_no_conflict:
        return JurorStatus.DECLARE
    if review_status == Review.Status.SUBMITTED:
        return JurorStatus.SUBMITTED
    if review_status == Review.Status.DRAFT:
        return JurorStatus.DRAFT
    return JurorStatus.TO_SCORE


# --------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class CriterionInfo:
    pk: int
    code: str
    name: str
    guidance: str
    weight: Decimal
    scale: scoring.Scale
    threshold: Decimal | None
    descriptors: list[tuple[Decimal, str]]


def criteria_of(call: Call) -> list[CriterionInfo]:
    """The call's evaluation grid, in display order, with the descriptors per level."""
    result = []
    for criterion in Criterion.objects.filter(call=call).order_by("order", "code"):
        scale = scoring.Scale(criterion.scale_min, criterion.scale_max, criterion.scale_step)
        descriptors = []
        for key, text in sorted(
            (criterion.descriptors or {}).items(), key=lambda kv: scoring.parse_score(kv[0]) or 0
        ):
            level = scoring.parse_score(key)
            if level is not None:
                # The default descriptors are in the catalog (gettext_noop in models.py);
                # descriptors typed by an administrator come back unchanged.
                # (gettext("") would return the catalog header, hence the guard.)
                shown = str(text)
                descriptors.append((level, gettext(shown) if shown else shown))
        result.append(
            CriterionInfo(
                pk=criterion.pk,
                code=criterion.code,
                name=criterion.name,
                guidance=criterion.guidance,
                weight=criterion.weight,
                scale=scale,
                threshold=criterion.threshold,
                descriptors=descriptors,
            )
        )
    return result


def weights_of(criteria: list[CriterionInfo]) -> dict[int, Decimal]:
    return {c.pk: c.weight for c in criteria}


# --------------------------------------------------------------------------- bid documents


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


def latest_version(bid: Bid) -> BidVersion | None:
    return bid.versions.order_by("-number").first()


def bid_documents(*, bid: Bid) -> BidDocuments:
    """Read the latest submitted version's snapshot (format of
    ``applications.services.submission.bid_content``: ``sections`` as ``{key: text}``,
    ``budget`` lines, ``partners`` as institutions, ``attachments`` with their hashes)."""
    version = latest_version(bid)
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
        documents.partners.append(
            _text(partner.get("name")) if isinstance(partner, dict) else _text(partner)
        )
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
    version = latest_version(bid)
    if version is None or not isinstance(version.snapshot, dict):
        return None
    attachments = snapshot_attachments(version.snapshot)
    if not 0 <= index < len(attachments) or not attachments[index].file:
        return None
    return attachments[index]


# --------------------------------------------------------------------------- reviews of a bid


@dataclass
class ReviewCard:
    review: Review
    juror_name: str
    is_rapporteur: bool
    scores: dict[int, CriterionScore]
    total: Decimal | None
    rows: list[tuple[CriterionInfo, CriterionScore | None]] = field(default_factory=list)


def reviews_of_bid(
    *, bid: Bid, criteria: list[CriterionInfo], submitted_only: bool = True
) -> list[ReviewCard]:
    """The bid's reviews by active (non-excluded) jurors, with scores and totals; 2 queries."""
    reviews = (
        Review.objects.filter(assignment__in=active_assignments().filter(bid=bid))
        .select_related("assignment__juror", "bid_version")
        .prefetch_related("scores")
        .order_by("assignment__juror__display_name")
    )
    if submitted_only:
        reviews = reviews.filter(status=Review.Status.SUBMITTED)
    weights = weights_of(criteria)
    cards = []
    for review in reviews:
        scores = {s.criterion_id: s for s in review.scores.all()}
        cards.append(
            ReviewCard(
                review=review,
                juror_name=review.assignment.juror.display_name,
                is_rapporteur=review.assignment.is_rapporteur,
                scores=scores,
                total=scoring.weighted_total({k: s.value for k, s in scores.items()}, weights),
                rows=[(c, scores.get(c.pk)) for c in criteria],
            )
        )
    return cards


def all_reviews_submitted(*, bid: Bid) -> bool:
    """Every active juror of the bid has submitted (and there is at least one)."""
    rows = list(active_assignments().filter(bid=bid).values_list("review__status", flat=True))
    return bool(rows) and all(status == Review.Status.SUBMITTED for status in rows)


# --------------------------------------------------------------------------- evaluation summary


@dataclass
class SummaryLine:
    criterion: str
    value: Decimal | None
    comment: str


@dataclass
class EvaluationSummary:
    bid: Bid
    summary: str
    lines: list[SummaryLine]
    total: Decimal | None
    approved_at: Any


def evaluation_summary_for(*, bid: Bid) -> EvaluationSummary | None:
    """The approved consensus (scores and comments): what the institution receives.

    ``None`` until an administrator approves the consensus report; individual reviews are
    never part of it.
    """
    report = (
        ConsensusReport.objects.filter(bid=bid, status=ConsensusReport.Status.APPROVED)
        .prefetch_related("scores")
        .first()
    )
    if report is None:
        return None
    criteria = criteria_of(bid.call)
    scores = {s.criterion_id: s for s in report.scores.all()}
    lines = [
        SummaryLine(
            criterion=c.name,
            value=scores[c.pk].value if c.pk in scores else None,
            comment=scores[c.pk].comment if c.pk in scores else "",
        )
        for c in criteria
    ]
    total = scoring.weighted_total({k: s.value for k, s in scores.items()}, weights_of(criteria))
    return EvaluationSummary(
        bid=bid, summary=report.summary, lines=lines, total=total, approved_at=report.approved_at
    )


# --------------------------------------------------------------------------- progress page


class Cell:
    EMPTY = ""
    CONFLICT = "conflict"
    ASSIGNED = "assigned"
    DRAFT = "draft"
    SUBMITTED = "submitted"


@dataclass
class JurorProgress:
    pk: int
    name: str
    assigned: int = 0
    submitted: int = 0
    totals: list[Decimal] = field(default_factory=list)
    mean: float | None = None
    offset: float | None = None  # mean − overall mean
    leaning: str = ""  # "lenient", "severe", "" (in line or too few reviews)

    @property
    def completion(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0


@dataclass
class BidProgress:
    pk: int
    acronym: str
    public_id: Any
    assigned: int = 0
    submitted: int = 0
    totals: list[Decimal] = field(default_factory=list)
    spread: scoring.Spread | None = None

    @property
    def completion(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0


@dataclass
class CallProgress:
    call: Call
    jurors: list[JurorProgress]
    bids: list[BidProgress]
    cells: dict[tuple[int, int], str]  # (bid id, juror id) → Cell
    overall_mean: float | None
    overall_std: float | None
    max_total: Decimal
    assigned: int = 0
    submitted: int = 0

    @property
    def completion(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0

    def most_disputed(self, limit: int = 10) -> list[BidProgress]:
        disputed = [b for b in self.bids if b.spread is not None]
        disputed.sort(key=lambda b: (b.spread.range, b.spread.std), reverse=True)  # type: ignore[union-attr]  # filtered above
        return disputed[:limit]


# A juror whose mean total is more than this many standard deviations (of all totals) from
# the overall mean is flagged lenient or severe.
LEANING_THRESHOLD_STD = 0.5
LEANING_MIN_REVIEWS = 2


def call_progress(*, call: Call) -> CallProgress:
    """Everything the administrators' progress page shows, in seven queries."""
    criteria = list(Criterion.objects.filter(call=call).values("id", "weight", "scale_max"))
    weights = {c["id"]: c["weight"] for c in criteria}
    max_total = scoring.maximum_total(weights, {c["id"]: c["scale_max"] for c in criteria})

    assignments = list(
        Assignment.objects.filter(bid__call=call).values_list(
            "juror_id", "bid_id", "review__status"
        )
    )
    confirmed = set(
        ConflictModel.objects.filter(
            bid__call=call, status=ConflictModel.Status.CONFIRMED
        ).values_list("juror_id", "bid_id")
    )
    declared = set(
        ConflictDeclaration.objects.filter(bid__call=call, has_conflict=True).values_list(
            "juror_id", "bid_id"
        )
    )
    excluded = confirmed | declared
    assigned_bid_ids = {bid_id for _, bid_id, _ in assignments}
    bids = [
        BidProgress(pk=pk, acronym=acronym, public_id=public_id)
        for pk, acronym, public_id in Bid.objects.filter(call=call)
        .filter(Q(status=Bid.Status.SUBMITTED) | Q(pk__in=assigned_bid_ids))
        .order_by("acronym")
        .values_list("id", "acronym", "public_id")
    ]
    juror_ids = {juror_id for juror_id, _, _ in assignments}
    jurors = [
        JurorProgress(pk=pk, name=name)
        for pk, name in JurorProfile.objects.filter(Q(calls=call) | Q(pk__in=juror_ids))
        .distinct()
        .order_by("display_name")
        .values_list("id", "display_name")
    ]
    jurors_by_id = {j.pk: j for j in jurors}
    bids_by_id = {b.pk: b for b in bids}

    cells: dict[tuple[int, int], str] = {}
    for juror_id, bid_id in excluded:
        cells[(bid_id, juror_id)] = Cell.CONFLICT
    progress = CallProgress(
        call=call,
        jurors=jurors,
        bids=bids,
        cells=cells,
        overall_mean=None,
        overall_std=None,
        max_total=max_total,
    )
    for juror_id, bid_id, status in assignments:
        if (juror_id, bid_id) in excluded:
            continue
        if status == Review.Status.SUBMITTED:
            cells[(bid_id, juror_id)] = Cell.SUBMITTED
        elif status == Review.Status.DRAFT:
            cells[(bid_id, juror_id)] = Cell.DRAFT
        else:
            cells[(bid_id, juror_id)] = Cell.ASSIGNED
        submitted = status == Review.Status.SUBMITTED
        progress.assigned += 1
        progress.submitted += submitted
        if juror_id in jurors_by_id:
            jurors_by_id[juror_id].assigned += 1
            jurors_by_id[juror_id].submitted += submitted
        if bid_id in bids_by_id:
            bids_by_id[bid_id].assigned += 1
            bids_by_id[bid_id].submitted += submitted

    # Totals of submitted reviews, computed by the one scoring rule.
    per_review: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    owner: dict[int, tuple[int, int]] = {}
    # The value comes as text: the database driver's Decimal converter (quantize per row)
    # costs more than the whole page on 5 000 scores; Decimal(text) is exact and cheap.
    for review_id, juror_id, bid_id, criterion_id, text in (
        CriterionScore.objects.filter(
            review__assignment__bid__call=call, review__status=Review.Status.SUBMITTED
        )
        .annotate(value_text=Cast("value", output_field=models.CharField()))
        .values_list(
            "review_id",
            "review__assignment__juror_id",
            "review__assignment__bid_id",
            "criterion_id",
            "value_text",
        )
    ):
        per_review[review_id][criterion_id] = Decimal(text) if text is not None else None
        owner[review_id] = (juror_id, bid_id)
    all_totals: list[Decimal] = []
    for review_id, scores in per_review.items():
        juror_id, bid_id = owner[review_id]
        if (juror_id, bid_id) in excluded:
            continue
        total = scoring.weighted_total(scores, weights)
        if total is None:
            continue
        all_totals.append(total)
        if juror_id in jurors_by_id:
            jurors_by_id[juror_id].totals.append(total)
        if bid_id in bids_by_id:
            bids_by_id[bid_id].totals.append(total)

    overall = scoring.spread(all_totals)
    progress.overall_mean = scoring.mean(all_totals)
    progress.overall_std = overall.std if overall else None
    for bid in bids:
        bid.spread = scoring.spread(bid.totals)
    for juror in jurors:
        juror.mean = scoring.mean(juror.totals)
        if juror.mean is None or progress.overall_mean is None:
            continue
        juror.offset = juror.mean - progress.overall_mean
        if len(juror.totals) >= LEANING_MIN_REVIEWS and progress.overall_std:
            if juror.offset > LEANING_THRESHOLD_STD * progress.overall_std:
                juror.leaning = "lenient"
            elif juror.offset < -LEANING_THRESHOLD_STD * progress.overall_std:
                juror.leaning = "severe"
    return progress
