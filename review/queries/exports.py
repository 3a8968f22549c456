"""Reads of the call exports: the exports page, the rows of ``scores.xlsx``, the content of
``jury-report.pdf`` and the bids of ``bids.zip``.

Each builder in ``review.services.exports`` reads its data here, in a fixed number of
queries whatever the size of the call. The run these files refer to is
:func:`reference_run`: the run the approved decision was prepared from, else the latest
finished run. Jurors shown as pseudonyms are numbered by :func:`pseudonyms`, the same way in
every file of a call.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from applications.models import Bid, BidVersion, Call
from review import decision as rules_of_decision
from review import scoring
from review.models import (
    Assignment,
    BidDecision,
    CallExport,
    Conflict,
    ConflictDeclaration,
    Decision,
    JurorProfile,
    RankingRun,
    Review,
)
from review.queries.audit import call_head_hash
from review.queries.criteria import CriterionInfo
from review.queries.decisions import decision_lines, pure_line, submitted_review_counts
from review.queries.panel import PanelMeeting, panel_meeting
from review.queries.ranking import RunTable, counted_scores, run_table
from review.ranking import RankingError, calibrated_values, parse_params


def exports_of(*, call: Call) -> QuerySet[CallExport]:
    """The call's exports, newest first, with who asked (one query)."""
    return CallExport.objects.filter(call=call).select_related("created_by")


def reference_run(*, call: Call) -> RankingRun | None:
    """The run of the approved decision, else the call's latest finished run."""
    decision = approved_decision(call=call)
    if decision is not None:
        return decision.run
    return (
        RankingRun.objects.filter(call=call, status=RankingRun.Status.DONE)
        .order_by("-created_at", "-pk")
        .first()
    )


def approved_decision(*, call: Call) -> Decision | None:
    return (
        Decision.objects.filter(call=call, status=Decision.Status.APPROVED)
        .select_related("run", "prepared_by", "approved_by")
        .first()
    )


def pseudonyms(juror_ids: list[int]) -> dict[int, str]:
    """ "Juror 1", "Juror 2"… in the order of the jurors' ids: stable across a call's files."""
    return {
        juror_id: _("Juror %(number)s") % {"number": index}
        for index, juror_id in enumerate(sorted(set(juror_ids)), start=1)
    }


def audit_head_hash(call: Call) -> str | None:
    """The hash of the call's latest entry in the audit chain (``None`` before any): it
    proves every entry recorded before it (``review.queries.audit.call_head_hash``).

    The jury report prints it, or "not yet recorded" while this returns ``None``.
    """
    return call_head_hash(call)


# --------------------------------------------------------------------------- scores.xlsx


@dataclass(frozen=True)
class ScoreRow:
    review_id: int
    bid_id: int
    acronym: str
    title: str
    lead: str
    juror: str  # name, or pseudonym
    criterion: str  # code
    raw: Decimal
    calibrated: float | None
    consensus: Decimal | None
    panel: Decimal | None
    comment: str


@dataclass(frozen=True)
class ScoresData:
    criteria: list[CriterionInfo]
    rows: list[ScoreRow]  # by bid acronym, juror, criterion order
    run: RankingRun | None
    meeting: PanelMeeting


def _calibrated(run: RankingRun | None) -> dict[tuple[int, int, str], float | None]:
    """(bid, juror, criterion code) → the run's calibrated score (the engine computes it)."""
    if run is None or not run.engine_input:
        return {}
    try:
        values = calibrated_values(parse_params(run.engine_input))
    except RankingError:
        return {}
    return {
        (int(item["bid"]), int(item["juror"]), str(item["criterion"])): value
        for item, value in zip(run.engine_input["scores"], values, strict=True)
    }


def score_rows(*, call: Call, pseudonymise: bool) -> ScoresData:
    """Every counted score (one per review × criterion) with the run's calibrated value, the
    consensus and the panel's adjustment of its bid and criterion."""
    run = reference_run(call=call)
    meeting = panel_meeting(call=call, run=run)
    criteria = meeting.criteria
    codes = {criterion.pk: criterion.code for criterion in criteria}
    position = {criterion.pk: index for index, criterion in enumerate(criteria)}
    by_bid = {bid.bid_id: bid for bid in meeting.bids}
    consensus = {
        (bid.bid_id, row.criterion.pk): (row.consensus, row.panel)
        for bid in meeting.bids
        for row in bid.criteria
    }
    scores = list(
        counted_scores(call=call).values_list(
            "review_id",
            "review__assignment__bid_id",
            "review__assignment__juror_id",
            "review__assignment__juror__display_name",
            "criterion_id",
            "value",
            "comment",
        )
    )
    names = (
        pseudonyms([row[2] for row in scores])
        if pseudonymise
        else {row[2]: row[3] for row in scores}
    )
    calibrated = _calibrated(run)
    rows = []
    for review_id, bid_id, juror_id, _name, criterion_id, value, comment in scores:
        bid = by_bid.get(bid_id)
        # Counted scores are on assessable bids only, as the meeting's, and have a value.
        if bid is None or value is None:
            continue
        agreed, panel = consensus.get((bid_id, criterion_id), (None, None))
        rows.append(
            ScoreRow(
                review_id=review_id,
                bid_id=bid_id,
                acronym=bid.acronym,
                title=bid.title,
                lead=bid.lead,
                juror=names[juror_id],
                criterion=codes[criterion_id],
                raw=value,
                calibrated=calibrated.get((bid_id, juror_id, codes[criterion_id])),
                consensus=agreed,
                panel=panel,
                comment=comment,
            )
        )
    rows.sort(key=lambda r: (r.acronym, r.juror, r.review_id, position[_pk(codes, r.criterion)]))
    return ScoresData(criteria=criteria, rows=rows, run=run, meeting=meeting)


def _pk(codes: dict[int, str], code: str) -> int:
    return next(pk for pk, value in codes.items() if value == code)


# --------------------------------------------------------------------------- jury report


@dataclass(frozen=True)
class JurorLine:
    name: str
    country: str
    assignments: int
    reviews: int
    rapporteur: int


@dataclass(frozen=True)
class Deviation:
    acronym: str
    recommended: str
    decided: str
    recommended_amount: int | None
    amount: int | None
    recommended_reserve: int | None
    reserve: int | None
    reason: str
    override_reason: str


@dataclass
class JuryReport:
    call: Call
    submitted: int
    withdrawn: int
    eligible: int
    ineligible: int
    reviewed: int
    jurors: list[JurorLine]
    assignments: int
    active_assignments: int
    loads: list[int]
    reviews_submitted: int
    conflicts: dict[str, int]  # status → count
    declared_conflicts: int
    criteria: list[CriterionInfo]
    criterion_values: dict[str, list[float]]  # code → counted raw scores
    consensus_totals: list[float]
    run: RankingRun | None
    table: RunTable | None
    consensus_by_bid: dict[int, Decimal | None]
    decision: Decision | None
    lines: list[BidDecision] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    audit_head: str | None = None
    max_total: float = 0.0


def deviations_of(lines: list[BidDecision]) -> list[Deviation]:
    """Lines whose decision departs from the run's recommendation, or that needed an
    override, with their written reasons."""
    result = []
    for line in lines:
        if rules_of_decision.is_deviation(pure_line(line)) or line.override_reason:
            result.append(
                Deviation(
                    acronym=line.bid.acronym,
                    recommended=line.get_recommended_outcome_display(),
                    decided=line.get_outcome_display(),
                    recommended_amount=line.recommended_amount,
                    amount=line.amount_awarded,
                    recommended_reserve=line.recommended_reserve,
                    reserve=line.reserve_position,
                    reason=line.reason,
                    override_reason=line.override_reason,
                )
            )
    return result


def jury_report(*, call: Call, pseudonymise: bool) -> JuryReport:
    """Everything the jury report states about the call's evaluation."""
    bids = Bid.objects.filter(call=call)
    status_counts = dict(bids.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    assessable = Bid.objects.assessable().filter(call=call)
    eligible = assessable.count()
    ineligible = bids.submitted().filter(eligibility=Bid.Eligibility.INELIGIBLE).count()
    review_counts = submitted_review_counts(call=call)
    reviewed = assessable.filter(pk__in=[pk for pk, n in review_counts.items() if n]).count()
    jurors = list(
        JurorProfile.objects.filter(calls=call)
        .order_by("pk")
        .values_list("pk", "display_name", "country")
    )
    active = Assignment.objects.active().filter(bid__call=call)
    per_juror = dict(active.values("juror_id").annotate(n=Count("pk")).values_list("juror_id", "n"))
    reviews_per_juror = dict(
        active.filter(review__status=Review.Status.SUBMITTED)
        .values("juror_id")
        .annotate(n=Count("pk"))
        .values_list("juror_id", "n")
    )
    rapporteurs = dict(
        active.filter(is_rapporteur=True)
        .values("juror_id")
        .annotate(n=Count("pk"))
        .values_list("juror_id", "n")
    )
    names = pseudonyms([pk for pk, _n, _c in jurors]) if pseudonymise else {}
    juror_lines = [
        JurorLine(
            name=names.get(pk, name),
            country=country,
            assignments=per_juror.get(pk, 0),
            reviews=reviews_per_juror.get(pk, 0),
            rapporteur=rapporteurs.get(pk, 0),
        )
        for pk, name, country in jurors
    ]
    conflicts = dict(
        Conflict.objects.filter(bid__call=call)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    run = reference_run(call=call)
    meeting = panel_meeting(call=call, run=run)
    criteria = meeting.criteria
    codes = {criterion.pk: criterion.code for criterion in criteria}
    values: dict[str, list[float]] = defaultdict(list)
    for criterion_id, value in counted_scores(call=call).values_list("criterion_id", "value"):
        if value is not None:  # counted scores have a value; keeps the types honest
            values[codes[criterion_id]].append(float(value))
    consensus_by_bid = {bid.bid_id: bid.consensus_total for bid in meeting.bids}
    decision = approved_decision(call=call)
    lines = decision_lines(decision=decision) if decision is not None else []
    return JuryReport(
        call=call,
        submitted=status_counts.get(Bid.Status.SUBMITTED, 0),
        withdrawn=status_counts.get(Bid.Status.WITHDRAWN, 0),
        eligible=eligible,
        ineligible=ineligible,
        reviewed=reviewed,
        jurors=juror_lines,
        assignments=Assignment.objects.filter(bid__call=call).count(),
        active_assignments=sum(per_juror.values()),
        loads=[line.assignments for line in juror_lines],
        reviews_submitted=sum(reviews_per_juror.values()),
        conflicts={str(status): conflicts.get(status, 0) for status in Conflict.Status.values},
        declared_conflicts=ConflictDeclaration.objects.excluding().filter(bid__call=call).count(),
        criteria=criteria,
        criterion_values=dict(values),
        consensus_totals=[float(total) for total in consensus_by_bid.values() if total is not None],
        run=run,
        table=run_table(run) if run is not None else None,
        consensus_by_bid=consensus_by_bid,
        decision=decision,
        lines=lines,
        deviations=deviations_of(lines),
        audit_head=audit_head_hash(call),
        max_total=float(
            scoring.maximum_total(
                {c.pk: c.weight for c in criteria}, {c.pk: c.scale.maximum for c in criteria}
            )
        ),
    )


# --------------------------------------------------------------------------- bids.zip


def submitted_versions(*, call: Call) -> QuerySet[BidVersion]:
    """The last submitted version of each submitted bid of the call, by acronym (one query).

    A withdrawn bid is not in the export; an ineligible one is (it was submitted).
    """
    last_number = Subquery(
        BidVersion.objects.filter(bid_id=OuterRef("bid_id"))
        .order_by("-number")
        .values("number")[:1]
    )
    return (
        BidVersion.objects.filter(
            bid__call=call, bid__status=Bid.Status.SUBMITTED, number=last_number
        )
        .select_related("bid")
        .order_by("bid__acronym", "bid_id")
    )
