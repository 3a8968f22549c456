"""The administrators' progress page of a call: who has done what, disagreements, leniency,
consensus reports to re-approve — one page of bids and one page of jurors, in a fixed number
of queries whatever the size of the call.

What counts: the submitted reviews of assignments a conflict does not cancel (the pairs of
``review.queries.visibility.excluded_pairs``, a handful, taken out in Python rather than by
the rule's subqueries on every row), by their stored total (``Review.weighted_total``: the one
rule ``review.scoring.weighted_total``, written with the scores by ``review.services.reviews``).
Figures over the whole call are aggregates in the database, never a walk over every row:

- completion and the distribution of the totals: the sum of each bid's assignments (kept by
  the database in ``BidReviewFigures``) and one ``GROUP BY`` (status, total) of the call's
  reviews (by ``Review.call``, from one index), from which ``scoring.spread_of_counts`` gives
  the overall mean and standard deviation exactly;
- the bids whose jurors disagree most: the database ranks the bids by the range and variance
  ``BidReviewFigures`` keeps and proposes ``DISPUTED_CANDIDATES`` of them, whose figures
  ``scoring.spread`` computes from their totals (so ties and rounding are settled by the one
  rule, not by the database's floats);
- a page's rows (its bids' cells and counts, its jurors' counts, means, leaning and the chart's
  dots) come from that page's assignments only.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL

from applications.models import Bid, Call
from portal.pagination import page_of
from review import scoring
from review.models import (
    Assignment,
    BidReviewFigures,
    ConsensusReport,
    Criterion,
    JurorProfile,
    Review,
)
from review.queries.dashboard import JurorStatus, status_of
from review.queries.staffing import understaffed_list
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
    # The page's jurors and bids (``Page`` objects from ``call_progress``; any sequence works).
    jurors: Sequence[JurorProgress]
    bids: Sequence[BidProgress]
    cells: dict[tuple[int, int], str]  # (bid id, juror id) → Cell, for the page's bids
    overall_mean: float | None
    overall_std: float | None
    max_total: Decimal
    assigned: int = 0
    submitted: int = 0
    # Bids whose approved consensus a reopened review changed: (acronym, public id).
    to_reapprove: list[tuple[str, Any]] = field(default_factory=list)
    # Every understaffed bid of the call, by acronym.
    understaffed: list[BidProgress] = field(default_factory=list)
    # The matrix's columns for the page's bids (see ``MATRIX_ALL_JURORS``).
    columns: list[JurorProgress] = field(default_factory=list)
    # The ``DISPUTED`` bids whose jurors disagree most, most disputed first.
    disputed: list[BidProgress] = field(default_factory=list)

    @property
    def completion(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0

    def most_disputed(self, limit: int = 10) -> list[BidProgress]:
        """At most ``DISPUTED`` bids: by range, then standard deviation, then acronym."""
        return self.disputed[: min(limit, DISPUTED)]


# A juror whose mean total is more than this many standard deviations (of all totals) from
# the overall mean is flagged lenient or severe.
LEANING_THRESHOLD_STD = 0.5
LEANING_MIN_REVIEWS = 2
# Up to this many jurors, the matrix has a column for each; above, a page of bids shows the
# columns of the jurors it concerns (assigned or in conflict), by name.
MATRIX_ALL_JURORS = 60
# The disputed table's length, and how many bids the database proposes for it: the database's
# order (floats) may part bids whose range and spread are equal, never by more than float
# noise, so the exact order over this many candidates is the exact top ``DISPUTED``.
DISPUTED = 10
DISPUTED_CANDIDATES = 60
TIE = Decimal("1e-8")


def listed_bids(*, call: Call) -> QuerySet[Bid]:
    """The matrix's rows: the call's submitted bids and any bid with an assignment."""
    return (
        Bid.objects.filter(call=call)
        .filter(
            Q(status=Bid.Status.SUBMITTED)
            | Q(Exists(Assignment.objects.filter(bid_id=OuterRef("pk"))))
        )
        .order_by("acronym", "pk")
    )


def listed_jurors(*, call: Call) -> QuerySet[JurorProfile]:
    """The juror table's rows: the call's jurors and anyone assigned one of its bids."""
    in_call = JurorProfile.calls.through.objects.filter(
        jurorprofile_id=OuterRef("pk"), call_id=call.pk
    )
    assigned = Assignment.objects.filter(juror_id=OuterRef("pk"), bid__call=call)
    return JurorProfile.objects.filter(Q(Exists(in_call)) | Q(Exists(assigned))).order_by(
        "display_name", "pk"
    )


# The bids whose totals spread most, best first, from each bid's figures
# (``BidReviewFigures``: range and population variance, kept by the database): ranked with
# ties sharing a place, so that every bid tied with the last place is a candidate and the
# acronym decides among them, as the exact sort does; the acronym is read for the ranked
# places only.
_CANDIDATES_SQL = """
WITH ranked AS (
    SELECT bid_id,
           RANK() OVER (ORDER BY range_of DESC, variance DESC) AS place
    FROM review_bidreviewfigures
    WHERE call_id = %s AND totals >= 2
)
SELECT ranked.bid_id
FROM ranked JOIN applications_bid ON applications_bid.id = ranked.bid_id
WHERE ranked.place <= %s
ORDER BY ranked.place, applications_bid.acronym, applications_bid.id
LIMIT %s
"""


def _disputed(call: Call, affected: dict[int, BidProgress]) -> list[BidProgress]:
    """The ``DISPUTED`` bids whose counted totals spread most (one query): the database
    proposes ``DISPUTED_CANDIDATES`` candidates among the bids no conflict touches (it reads
    their totals with the conflicts' included, so it proposes that many more and they are
    dropped here); ``affected`` are those others, with their counted totals already read."""
    wanted = DISPUTED_CANDIDATES + len(affected)
    candidates = RawSQL(_CANDIDATES_SQL, (call.pk, wanted, wanted))  # noqa: S611 # nosec B611 - a constant statement, every value a parameter
    bids: dict[int, BidProgress] = {}
    # The candidates' submitted totals, conflicts included (``affected`` are dropped), read by
    # ``Review.call`` from the reviews' own index.
    for bid_id, acronym, public_id, value in (
        Review.objects.filter(
            call=call, status=Review.Status.SUBMITTED, weighted_total__isnull=False
        )
        .filter(bid_id__in=candidates)
        .exclude(bid_id__in=list(affected))
        .order_by("pk")
        .values_list("bid_id", "bid__acronym", "bid__public_id", "weighted_total")
    ):
        bid = bids.setdefault(bid_id, BidProgress(pk=bid_id, acronym=acronym, public_id=public_id))
        bid.totals.append(value)  # type: ignore[arg-type]  # not null: filtered above
    disputed = [bid for bid in [*bids.values(), *affected.values()] if len(bid.totals) >= 2]
    disputed.sort(key=lambda b: (b.acronym, b.pk))  # ties stay in that order (a stable sort)
    for bid in disputed:
        bid.spread = scoring.spread(bid.totals)
    # Ranges and deviations equal but for the stored totals' rounding (1e-10) are ties.
    disputed.sort(
        key=lambda b: (b.spread.range.quantize(TIE), round(b.spread.std, 8)),  # type: ignore[union-attr]  # two totals or more each
        reverse=True,
    )
    return disputed[:DISPUTED]


def call_progress(
    *, call: Call, bid_page: str | int | None = None, juror_page: str | int | None = None
) -> CallProgress:
    """Everything the administrators' progress page shows for page ``bid_page`` of the bids and
    ``juror_page`` of the jurors (the first by default), in a fixed number of queries."""
    criteria = list(Criterion.objects.filter(call=call).values("id", "weight", "scale_max"))
    max_total = scoring.maximum_total(
        {c["id"]: c["weight"] for c in criteria}, {c["id"]: c["scale_max"] for c in criteria}
    )

    # The pairs a conflict removes (a handful): taken out of the aggregates below in Python.
    excluded = excluded_pairs(call=call)
    affected_bid_ids = {bid_id for _, bid_id in excluded}

    # The whole call: completion and the distribution of the counted totals (two queries,
    # each read from one index).
    assigned = (
        BidReviewFigures.objects.filter(call=call).aggregate(total=Sum("assignments"))["total"] or 0
    )
    submitted = 0
    distribution: dict[Decimal, int] = defaultdict(int)
    for status, total, count in (
        Review.objects.filter(call=call)
        .order_by()
        .values("status", "weighted_total")
        .annotate(count=Count("*"))
        .values_list("status", "weighted_total", "count")
    ):
        if status == Review.Status.SUBMITTED:
            submitted += count
            if total is not None:
                distribution[total] += count

    bids = page_of(listed_bids(call=call).values_list("id", "acronym", "public_id"), bid_page)
    bids.object_list = [
        BidProgress(pk=pk, acronym=acronym, public_id=public_id)
        for pk, acronym, public_id in bids.object_list
    ]
    # Every juror's name (a few thousand short rows at most): the page and the matrix's
    # columns are cut from it, with no count query.
    names = list(listed_jurors(call=call).values_list("id", "display_name"))
    jurors = page_of(names, juror_page, parameter="jurors_page")
    jurors.object_list = [JurorProgress(pk=pk, name=name) for pk, name in jurors.object_list]
    bids_by_id = {bid.pk: bid for bid in bids.object_list}
    jurors_by_id = {juror.pk: juror for juror in jurors.object_list}

    cells: dict[tuple[int, int], str] = {
        (bid_id, juror_id): Cell.CONFLICT for juror_id, bid_id in excluded if bid_id in bids_by_id
    }
    cell_of = {
        JurorStatus.DECLARE: Cell.TO_DECLARE,
        JurorStatus.TO_SCORE: Cell.ASSIGNED,
        JurorStatus.DRAFT: Cell.DRAFT,
        JurorStatus.SUBMITTED: Cell.SUBMITTED,
    }
    affected: dict[int, BidProgress] = {}
    # The assignments of the page's bids, of the page's jurors and of the bids a conflict
    # touches (one query; the call's condition on the jurors' part only, the bids being the
    # call's, so that the database reads each part from its index).
    for juror_id, bid_id, acronym, public_id, status, declared_no_conflict, total in (
        Assignment.objects.filter(
            Q(bid_id__in=list(bids_by_id))
            | Q(juror_id__in=list(jurors_by_id), bid__call=call)
            | Q(bid_id__in=list(affected_bid_ids))
        )
        .with_declared_no_conflict()
        .annotate(review_status=F("review__status"), total=F("review__weighted_total"))
        .order_by("review__pk", "pk")
        .values_list(
            "juror_id",
            "bid_id",
            "bid__acronym",
            "bid__public_id",
            "review_status",
            "declared_no_conflict",
            "total",
        )
    ):
        counted = total if status == Review.Status.SUBMITTED else None
        if (juror_id, bid_id) in excluded:
            # Out of the whole call's figures too.
            assigned -= 1
            if status == Review.Status.SUBMITTED:
                submitted -= 1
                if counted is not None:
                    distribution[counted] -= 1
            continue
        if bid_id in affected_bid_ids and counted is not None:
            affected.setdefault(
                bid_id, BidProgress(pk=bid_id, acronym=acronym, public_id=public_id)
            ).totals.append(counted)
        if bid_id in bids_by_id:
            # What the assignment waits for, as the juror's own list says it.
            waits_for = status_of(declared_no_conflict=declared_no_conflict, review_status=status)
            cells[(bid_id, juror_id)] = cell_of[waits_for]
            bid = bids_by_id[bid_id]
            bid.assigned += 1
            bid.submitted += status == Review.Status.SUBMITTED
            if counted is not None:
                bid.totals.append(counted)
        if juror_id in jurors_by_id:
            juror = jurors_by_id[juror_id]
            juror.assigned += 1
            juror.submitted += status == Review.Status.SUBMITTED
            if counted is not None:
                juror.totals.append(counted)
    distribution = {value: n for value, n in distribution.items() if n}
    overall = scoring.spread_of_counts(distribution)
    overall_mean = scoring.mean_of_counts(distribution)

    understaffed = [
        BidProgress(
            pk=pk, acronym=acronym, public_id=public_id, understaffed=True, active_jurors=active
        )
        for pk, acronym, public_id, active in understaffed_list(call=call)
    ]
    staffing = {bid.pk: bid.active_jurors for bid in understaffed}
    for bid in bids.object_list:
        bid.spread = scoring.spread(bid.totals)
        if bid.pk in staffing:
            bid.understaffed, bid.active_jurors = True, staffing[bid.pk]

    overall_std = overall.std if overall else None
    for juror in jurors.object_list:
        juror.mean = scoring.mean(juror.totals)
        if juror.mean is None or overall_mean is None:
            continue
        juror.offset = juror.mean - overall_mean
        if len(juror.totals) >= LEANING_MIN_REVIEWS and overall_std:
            if juror.offset > LEANING_THRESHOLD_STD * overall_std:
                juror.leaning = "lenient"
            elif juror.offset < -LEANING_THRESHOLD_STD * overall_std:
                juror.leaning = "severe"

    return CallProgress(
        call=call,
        jurors=jurors,
        bids=bids,
        cells=cells,
        overall_mean=overall_mean,
        overall_std=overall_std,
        max_total=max_total,
        assigned=assigned,
        submitted=submitted,
        to_reapprove=list(
            ConsensusReport.objects.filter(
                bid__call=call, status=ConsensusReport.Status.TO_REAPPROVE
            )
            .order_by("bid__acronym")
            .values_list("bid__acronym", "bid__public_id")
        ),
        understaffed=understaffed,
        columns=_columns(names, bids, cells),
        disputed=_disputed(call, affected) if distribution else [],
    )


def _columns(
    names: list[tuple[int, str]], bids: Page, cells: dict[tuple[int, int], str]
) -> list[JurorProgress]:
    """The matrix's columns for the page's bids (``names``: every listed juror, in order):
    all of them up to ``MATRIX_ALL_JURORS``, else those the page's cells concern."""
    if len(names) > MATRIX_ALL_JURORS:
        page_ids = {bid.pk for bid in bids.object_list}
        concerned = {juror_id for bid_id, juror_id in cells if bid_id in page_ids}
        names = [(pk, name) for pk, name in names if pk in concerned]
    return [JurorProgress(pk=pk, name=name) for pk, name in names]
