"""Reads of the panel meeting page: every bid in the recommended order with its scores at a
glance (each juror's score per criterion, the consensus and the panel's adjustment, spread,
thresholds), the run's figures (rank, P(selected), rank intervals), the consensus text and
the minutes. A fixed number of queries whatever the number of bids."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from applications.models import Bid, Call
from review import scoring
from review.models import ConsensusReport, ConsensusScore, PanelAdjustment, PanelNote, RankingRun
from review.queries.criteria import CriterionInfo, criteria_of
from review.queries.ranking import counted_scores


@dataclass
class PanelCriterion:
    criterion: CriterionInfo
    juror_values: list[Decimal | None]
    consensus: Decimal | None
    panel: Decimal | None  # the panel's latest adjustment, if any

    @property
    def effective(self) -> Decimal | None:
        return self.panel if self.panel is not None else self.consensus

    @property
    def spread(self) -> Decimal | None:
        given = [value for value in self.juror_values if value is not None]
        return max(given) - min(given) if given else None

    @property
    def below_threshold(self) -> bool:
        threshold = self.criterion.threshold
        return threshold is not None and self.effective is not None and self.effective < threshold


@dataclass
class PanelBid:
    bid_id: int
    public_id: Any
    acronym: str
    title: str
    lead: str
    requested: int
    jurors: list[str]
    criteria: list[PanelCriterion]
    run_row: dict[str, Any] | None
    report_id: int | None
    consensus_status: str | None
    consensus_summary: str
    consensus_comments: dict[int, str]
    adjustments: list[PanelAdjustment] = field(default_factory=list)
    note_text: str = ""
    note_version: int = 0

    @property
    def consensus_total(self) -> Decimal | None:
        return scoring.weighted_total(
            {row.criterion.pk: row.effective for row in self.criteria},
            {row.criterion.pk: row.criterion.weight for row in self.criteria},
        )

    @property
    def adjusted(self) -> bool:
        return any(row.panel is not None for row in self.criteria)


@dataclass
class PanelMeeting:
    call: Call
    run: RankingRun | None
    criteria: list[CriterionInfo]
    bids: list[PanelBid]


def panel_meeting(*, call: Call, run: RankingRun | None) -> PanelMeeting:
    criteria = criteria_of(call)
    bids = list(
        Bid.objects.filter(call=call)
        .assessable()
        .select_related("lead_institution")
        .only("pk", "public_id", "acronym", "title", "requested_amount", "lead_institution__name")
    )
    juror_scores: dict[int, dict[str, dict[int, Decimal | None]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for bid_id, juror_name, criterion_id, value in counted_scores(call=call).values_list(
        "review__assignment__bid_id",
        "review__assignment__juror__display_name",
        "criterion_id",
        "value",
    ):
        juror_scores[bid_id][juror_name][criterion_id] = value
    reports = {
        report.bid_id: report
        for report in ConsensusReport.objects.filter(bid__call=call).only(
            "pk", "bid_id", "status", "summary"
        )
    }
    consensus: dict[int, dict[int, tuple[Decimal | None, str]]] = defaultdict(dict)
    for bid_id, criterion_id, value, comment in ConsensusScore.objects.filter(
        report__bid__call=call
    ).values_list("report__bid_id", "criterion_id", "value", "comment"):
        consensus[bid_id][criterion_id] = (value, comment)
    history: dict[int, list[PanelAdjustment]] = defaultdict(list)
    latest: dict[tuple[int, int], Decimal] = {}
    for adjustment in (
        PanelAdjustment.objects.filter(report__bid__call=call)
        .select_related("report", "adjusted_by", "criterion")
        .order_by("adjusted_at", "pk")
    ):
        history[adjustment.report.bid_id].append(adjustment)
        latest[(adjustment.report.bid_id, adjustment.criterion_id)] = adjustment.value
    notes = {note.bid_id: note for note in PanelNote.objects.filter(bid__call=call)}
    run_rows = {int(row["id"]): row for row in ((run.result or {}).get("bids", []) if run else [])}
    rows = []
    for bid in bids:
        jurors = sorted(juror_scores[bid.pk])
        report = reports.get(bid.pk)
        approved = report is not None and report.status == ConsensusReport.Status.APPROVED
        scores = consensus.get(bid.pk, {})
        note = notes.get(bid.pk)
        rows.append(
            PanelBid(
                bid_id=bid.pk,
                public_id=bid.public_id,
                acronym=bid.acronym,
                title=bid.title,
                lead=bid.lead_institution.name,
                requested=int(bid.requested_amount),
                jurors=jurors,
                criteria=[
                    PanelCriterion(
                        criterion=criterion,
                        juror_values=[
                            juror_scores[bid.pk][name].get(criterion.pk) for name in jurors
                        ],
                        consensus=scores[criterion.pk][0] if criterion.pk in scores else None,
                        panel=latest.get((bid.pk, criterion.pk)),
                    )
                    for criterion in criteria
                ],
                run_row=run_rows.get(bid.pk),
                report_id=report.pk if approved and report else None,
                consensus_status=report.status if report else None,
                consensus_summary=report.summary if report else "",
                consensus_comments={pk: comment for pk, (_value, comment) in scores.items()},
                adjustments=history.get(bid.pk, []),
                note_text=note.text if note else "",
                note_version=note.version if note else 0,
            )
        )
    rows.sort(key=lambda row: (row.run_row["rank"] if row.run_row else 10**9, row.acronym))
    return PanelMeeting(call=call, run=run, criteria=criteria, bids=rows)
