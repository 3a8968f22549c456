"""The progress page's figures as the page computed them before the stored totals (a walk over
every score in Python): the reference the tests compare ``review.queries.progress`` with."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast

from applications.models import Bid, Call
from review import scoring
from review.models import (
    Assignment,
    ConsensusReport,
    Criterion,
    CriterionScore,
    JurorProfile,
    Review,
)
from review.queries.dashboard import JurorStatus, status_of
from review.queries.staffing import understaffed_bids
from review.queries.visibility import excluded_pairs


class Cell:
    EMPTY = ""
    CONFLICT = "conflict"
    TO_DECLARE = "to_declare"  # assigned; the juror has not declared "no conflict" yet
    ASSIGNED = "assigned"  # "no conflict" declared, review not started
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
    # Fewer active jurors than the call plans (``review.queries.staffing``).
    understaffed: bool = False
    active_jurors: int = 0

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
    # Bids whose approved consensus a reopened review changed: (acronym, public id).
    to_reapprove: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def completion(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0

    @property
    def understaffed(self) -> list[BidProgress]:
        return [bid for bid in self.bids if bid.understaffed]

    def most_disputed(self, limit: int = 10) -> list[BidProgress]:
        disputed = [b for b in self.bids if b.spread is not None]
        disputed.sort(key=lambda b: (b.spread.range, b.spread.std), reverse=True)  # type: ignore[union-attr]  # filtered above
        return disputed[:limit]


# A juror whose mean total is more than this many standard deviations (of all totals) from
# the overall mean is flagged lenient or severe.
LEANING_THRESHOLD_STD = 0.5
LEANING_MIN_REVIEWS = 2


def call_progress(*, call: Call) -> CallProgress:
    """Everything the administrators' progress page shows, in eight queries."""
    criteria = list(Criterion.objects.filter(call=call).values("id", "weight", "scale_max"))
    weights = {c["id"]: c["weight"] for c in criteria}
    max_total = scoring.maximum_total(weights, {c["id"]: c["scale_max"] for c in criteria})

    assignments = [
        (row["juror_id"], row["bid_id"], row["review_status"], row["declared_no_conflict"])
        for row in Assignment.objects.filter(bid__call=call)
        .with_declared_no_conflict()
        .annotate(review_status=F("review__status"))
        .values("juror_id", "bid_id", "review_status", "declared_no_conflict")
    ]
    excluded = excluded_pairs(call=call)
    assigned_bid_ids = {bid_id for _, bid_id, _, _ in assignments}
    bids = [
        BidProgress(pk=pk, acronym=acronym, public_id=public_id)
        for pk, acronym, public_id in Bid.objects.filter(call=call)
        .filter(Q(status=Bid.Status.SUBMITTED) | Q(pk__in=assigned_bid_ids))
        .order_by("acronym")
        .values_list("id", "acronym", "public_id")
    ]
    juror_ids = {juror_id for juror_id, _, _, _ in assignments}
    jurors = [
        JurorProgress(pk=pk, name=name)
        for pk, name in JurorProfile.objects.filter(Q(calls=call) | Q(pk__in=juror_ids))
        .distinct()
        .order_by("display_name")
        .values_list("id", "display_name")
    ]
    jurors_by_id = {j.pk: j for j in jurors}
    bids_by_id = {b.pk: b for b in bids}
    for bid_id, active in understaffed_bids(call=call).items():
        if bid_id in bids_by_id:
            bids_by_id[bid_id].understaffed = True
            bids_by_id[bid_id].active_jurors = active

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
    cell_of = {
        JurorStatus.DECLARE: Cell.TO_DECLARE,
        JurorStatus.TO_SCORE: Cell.ASSIGNED,
        JurorStatus.DRAFT: Cell.DRAFT,
        JurorStatus.SUBMITTED: Cell.SUBMITTED,
    }
    for juror_id, bid_id, status, declared_no_conflict in assignments:
        if (juror_id, bid_id) in excluded:
            continue
        # What the assignment waits for, as the juror's own list says it.
        waits_for = status_of(declared_no_conflict=declared_no_conflict, review_status=status)
        cells[(bid_id, juror_id)] = cell_of[waits_for]
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

    progress.to_reapprove = list(
        ConsensusReport.objects.filter(bid__call=call, status=ConsensusReport.Status.TO_REAPPROVE)
        .order_by("bid__acronym")
        .values_list("bid__acronym", "bid__public_id")
    )
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
