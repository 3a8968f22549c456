"""Reads for ranking runs: the engine's input assembled from the jury's scores, the runs of a
call, a run's result as table rows, and the comparison of two runs.

The engine's input follows the JSON contract of ``docs/ranking.md``. Bids are identified by
their primary key (stable, unique), jurors by theirs; acronyms are kept beside the run (in
its ``parameters``) for display and exports, so a run stays readable as it was computed.

The bids ranked are ``Bid.objects.assessable()``. On the jurors' basis the scores counted
are those of jurors a conflict does not remove (``counted_scores``), less those of jurors an
undecided institution-declared conflict holds (``Conflict.objects.holding_scores``); on the
consensus basis, each bid's approved consensus with the panel's current adjustments, carried
by one pseudo-juror per bid (so the run's calibration must be ``none``).
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.db.models import Exists, FloatField, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from applications.models import Bid, Call
from review import scoring
from review.decision import recommendation
from review.models import (
    CallExport,
    Conflict,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    CriterionScore,
    PanelAdjustment,
    RankingResultIndex,
    RankingResultRow,
    RankingRun,
    Review,
)
from review.queries.decisions import submitted_review_counts


def canonical_json(data: Any) -> str:
    """Sorted keys, compact separators: the text whose SHA-256 identifies an input."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_sha256(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _number(value: Decimal | float) -> float | int:
    """Decimal (or the float it is nearest to) → the shortest JSON number: 3 rather than 3.0,
    so inputs read naturally."""
    number = float(value)
    return int(number) if number.is_integer() else number


def counted_scores(*, call: Call) -> QuerySet[CriterionScore]:
    """Scores of submitted reviews on the call's bids, minus those of excluded jurors."""
    return CriterionScore.objects.of_active_jurors().filter(
        review__status=Review.Status.SUBMITTED,
        review__assignment__bid__in=Bid.objects.assessable().filter(call=call),
        criterion__call=call,
        value__isnull=False,
    )


# What a run ranks: each juror's scores (calibrated if the run says so), or the approved
# consensus of each bid with the panel's adjustments (the European practice).
BASIS_JURORS = "jurors"
BASIS_CONSENSUS = "consensus"
BASES = (BASIS_JURORS, BASIS_CONSENSUS)


def consensus_juror(bid_id: int) -> str:
    """The pseudo-juror carrying a bid's consensus in the engine's input (one per bid)."""
    return f"consensus-{bid_id}"


@dataclass(frozen=True)
class RankingData:
    """What the jury produced for a call, in the engine's vocabulary (a handful of queries).

    ``under_reviewed`` and ``held`` are frozen into the run's parameters so that its page and
    exports say what was true when it was computed.
    """

    data: dict[str, Any]  # budget, winners, criteria, overall_threshold, bids, scores
    bid_labels: dict[str, str]  # str(bid pk) → acronym
    criterion_labels: dict[str, str]  # code → name in the current language
    criterion_names: dict[str, dict[str, str]]  # code → {"en": …, "fr": …}
    basis: str = BASIS_JURORS
    # Bids with fewer counted submitted reviews than the call's minimum: {id, acronym, reviews}.
    under_reviewed: list[dict[str, Any]] = field(default_factory=list)
    # Jurors whose scores are left out by an undecided institution-declared conflict:
    # {bid, acronym, juror, name}.
    held: list[dict[str, Any]] = field(default_factory=list)
    # Consensus basis: bids without an approved consensus (the engine finds them no scores).
    without_consensus: list[int] = field(default_factory=list)


def held_pairs(*, call: Call) -> list[dict[str, Any]]:
    """Juror–bid pairs of the call's assessable bids whose scores a run leaves out
    (``Conflict.objects.holding_scores``), with whether the juror had submitted (one query)."""
    submitted = Review.objects.filter(
        status=Review.Status.SUBMITTED,
        assignment__juror_id=OuterRef("juror_id"),
        assignment__bid_id=OuterRef("bid_id"),
    )
    return [
        {
            "bid": bid_id,
            "acronym": acronym,
            "juror": juror_id,
            "name": name,
            "submitted": has_submitted,
        }
        for bid_id, acronym, juror_id, name, has_submitted in Conflict.objects.holding_scores()
        .filter(bid__in=Bid.objects.assessable().filter(call=call))
        .annotate(has_submitted=Exists(submitted))
        .order_by("bid__acronym", "juror__display_name", "pk")
        .values_list("bid_id", "bid__acronym", "juror_id", "juror__display_name", "has_submitted")
        .distinct()
    ]


def _juror_scores(
    *, call: Call, codes: dict[int, str], position: dict[int, int], held: set[tuple[int, int]]
) -> list[dict[str, Any]]:
    # Read as floats, cast by the database: ``_number`` turns a Decimal into the float it is
    # nearest to, which is what the cast gives (both round correctly), without building
    # and quantizing a Decimal per score (a second at 10,000 bids).
    rows = (
        counted_scores(call=call)
        .annotate(number=Cast("value", FloatField()))
        .values_list(
            "review__assignment__bid_id", "review__assignment__juror_id", "criterion_id", "number"
        )
    )
    # Sorted by bid, juror and criterion (as listed) so that equal data give equal inputs.
    ordered = sorted(rows, key=lambda row: (row[0], row[1], position[row[2]]))
    return [
        {"bid": bid, "juror": juror, "criterion": codes[criterion], "value": _number(value)}
        for bid, juror, criterion, value in ordered
        if value is not None  # filtered in SQL already; keeps the types honest
        and (juror, bid) not in held
    ]


def _consensus_scores(
    *, call: Call, codes: dict[int, str], position: dict[int, int]
) -> list[dict[str, Any]]:
    """The approved consensus per criterion, replaced by the panel's current adjustment."""
    assessable = Bid.objects.assessable().filter(call=call)
    approved = ConsensusReport.objects.filter(
        bid__in=assessable, status=ConsensusReport.Status.APPROVED
    )
    values: dict[tuple[int, int], Decimal] = {}
    for bid_id, criterion_id, value in ConsensusScore.objects.filter(
        report__in=approved, criterion__call=call, value__isnull=False
    ).values_list("report__bid_id", "criterion_id", "value"):
        if value is not None:  # filtered in SQL already; keeps the types honest
            values[(bid_id, criterion_id)] = value
    for bid_id, criterion_id, value in (
        PanelAdjustment.objects.current()
        .filter(report__in=approved, criterion__call=call)
        .values_list("report__bid_id", "criterion_id", "value")
    ):
        values[(bid_id, criterion_id)] = value
    return [
        {
            "bid": bid_id,
            "juror": consensus_juror(bid_id),
            "criterion": codes[criterion_id],
            "value": _number(value),
        }
        for (bid_id, criterion_id), value in sorted(
            values.items(), key=lambda item: (item[0][0], position[item[0][1]])
        )
    ]


def ranking_data(*, call: Call, basis: str = BASIS_JURORS) -> RankingData:
    criteria = list(Criterion.objects.filter(call=call).order_by("order", "code"))
    bids = list(
        Bid.objects.assessable()
        .filter(call=call)
        .order_by("pk")
        .values_list("pk", "acronym", "requested_amount", "minimum_amount")
    )
    codes = {criterion.pk: criterion.code for criterion in criteria}
    position = {criterion.pk: index for index, criterion in enumerate(criteria)}
    held = held_pairs(call=call)
    if basis == BASIS_CONSENSUS:
        scores = _consensus_scores(call=call, codes=codes, position=position)
    else:
        held_set = {(item["juror"], item["bid"]) for item in held}
        scores = _juror_scores(call=call, codes=codes, position=position, held=held_set)
    # The engine sums weight × score: with the shares of review.scoring, its totals are the
    # same weighted means as everywhere else, on the criteria's scale.
    shares = scoring.normalised_weights({criterion.pk: criterion.weight for criterion in criteria})
    criteria_data = []
    for criterion in criteria:
        item: dict[str, Any] = {
            "code": criterion.code,
            "weight": _number(shares.get(criterion.pk, Decimal(0))),
            "min": _number(criterion.scale_min),
            "max": _number(criterion.scale_max),
        }
        if criterion.threshold is not None:
            item["threshold"] = _number(criterion.threshold)
        criteria_data.append(item)
    data: dict[str, Any] = {
        "budget": int(call.envelope),
        "min_winners": int(call.min_winners),
        "max_winners": int(call.max_winners),
        "criteria": criteria_data,
        "bids": [
            {"id": pk, "requested": int(requested), "minimum": int(minimum)}
            for pk, _acronym, requested, minimum in bids
        ],
        "scores": scores,
    }
    if call.overall_threshold is not None:
        data["overall_threshold"] = _number(call.overall_threshold)
    # Reviews that count in the run: the decision stage's count, less the held jurors'.
    reviews = submitted_review_counts(call=call)
    for item in held:
        if item["submitted"]:
            reviews[item["bid"]] = reviews.get(item["bid"], 0) - 1
    scored = {score["bid"] for score in scores}
    return RankingData(
        data=data,
        bid_labels={str(pk): acronym for pk, acronym, _r, _m in bids},
        criterion_labels={criterion.code: criterion.name for criterion in criteria},
        criterion_names={
            criterion.code: {"en": criterion.name_en, "fr": criterion.name_fr}
            for criterion in criteria
        },
        basis=basis,
        under_reviewed=[
            {"id": pk, "acronym": acronym, "reviews": reviews.get(pk, 0)}
            for pk, acronym, _r, _m in bids
            if reviews.get(pk, 0) < call.min_reviews_per_bid
        ],
        held=[{key: item[key] for key in ("bid", "acronym", "juror", "name")} for item in held],
        without_consensus=[pk for pk, *_rest in bids if pk not in scored]
        if basis == BASIS_CONSENSUS
        else [],
    )


# --------------------------------------------------------------------------- runs


def reason_labels() -> dict[str, str]:
    """The engine's reason codes in words (the engine's own detail adds the numbers)."""
    return {
        "selected": _("Selected"),
        "no_scores": _("Not eligible: a criterion has no score"),
        "below_threshold": _("Not eligible: below a criterion's threshold"),
        "below_overall_threshold": _("Not eligible: below the overall threshold"),
        "infeasible": _("No selection meets the constraints"),
        "envelope_exhausted": _("Not funded: the envelope is exhausted"),
        "walk_stopped": _("Not funded: the merit-order walk stopped before it"),
        "max_winners_reached": _("Not funded: the maximum number of winners is reached"),
        "outranked": _("Not funded: the best portfolio scores higher without it"),
    }


def setting_labels() -> dict[str, dict[str, str]]:
    """A run's settings in words, per setting and code (pages, comparison, exports)."""
    return {
        "basis": {
            BASIS_JURORS: _("The jurors' individual scores"),
            BASIS_CONSENSUS: _("The approved consensus scores, with the panel's adjustments"),
        },
        "rule": {
            "merit_order": _("Merit order"),
            "optimal": _("Optimal portfolio"),
            "partial": _("Partial funding"),
        },
        "overflow": {
            "skip": _("a bid that does not fit is skipped"),
            "stop": _("the walk stops at the first bid that does not fit"),
        },
        "calibration": {
            "none": _("No calibration (raw scores)"),
            "zscore": _("Per-juror z-scores"),
            "additive": _("Additive model: bid quality + juror leniency"),
        },
        "aggregate": {"mean": _("Mean"), "median": _("Median")},
    }


@dataclass(frozen=True)
class RunSummary:
    """A run's settings and frozen facts in words, read from its parameters alone (no query,
    the list page defers the rest of the run)."""

    basis: str
    basis_label: str
    rule_label: str
    calibration_label: str
    aggregate_label: str
    calibrated: bool
    min_reviews: int | None
    under_reviewed: list[dict[str, Any]]
    held_jurors: list[dict[str, Any]]
    without_consensus: list[str]  # acronyms


def criterion_name(parameters: Mapping[str, Any], code: str) -> str:
    """The criterion's name in the current language, as frozen in the run."""
    names = parameters.get("criterion_names", {}).get(code)
    if names:
        language = "fr" if (get_language() or "en").startswith("fr") else "en"
        return names.get(language) or names.get("en") or code
    return parameters.get("criterion_labels", {}).get(code, code)


def run_summary(run: RankingRun) -> RunSummary:
    parameters = run.parameters or {}
    labels = setting_labels()
    basis = parameters.get("basis", BASIS_JURORS)

    def word(setting: str) -> str:
        code = parameters.get(setting, "")
        return labels[setting].get(code, code)

    rule = word("rule")
    if parameters.get("rule") == "merit_order":
        rule = f"{rule} ({word('overflow')})"
    bid_labels = parameters.get("bid_labels", {})
    return RunSummary(
        basis=basis,
        basis_label=labels["basis"].get(basis, basis),
        rule_label=rule,
        calibration_label=word("calibration"),
        aggregate_label=word("aggregate"),
        calibrated=parameters.get("calibration", "none") != "none",
        min_reviews=parameters.get("min_reviews_per_bid"),
        under_reviewed=list(parameters.get("under_reviewed", [])),
        held_jurors=list(parameters.get("held_jurors", [])),
        without_consensus=[
            bid_labels.get(str(pk), str(pk)) for pk in parameters.get("without_consensus", [])
        ],
    )


def runs_for_call(*, call: Call) -> QuerySet[RankingRun]:
    """The call's runs, newest first, without their bulky JSON (one query)."""
    return (
        RankingRun.objects.filter(call=call)
        .select_related("created_by")
        .without_bulk()
        .annotate(result_total_granted=KT("result__total_granted"))
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class RunRow:
    """One bid of a run's result, as shown in the table and the exports."""

    id: int | str
    label: str
    rank: int
    score: float | None
    raw_score: float | None
    criterion_scores: list[float | None]
    raw_criterion_scores: list[float | None]
    spread: float | None
    jurors: int
    requested: int
    minimum: int
    eligible: bool
    selected: bool
    granted: int
    reason: str
    reason_detail: str
    p_selected: float | None = None
    rank_interval_50: tuple[int, int] | None = None
    rank_interval_90: tuple[int, int] | None = None
    grey_zone: bool | None = None
    lottery_winner: bool | None = None
    lottery_granted: int | None = None
    # The jury's recommendation (``review.decision.recommendation``): the lottery's
    # allocation when the run drew lots, the rule's otherwise; ``None`` when not funded.
    recommended_amount: int | None = None
    reserve_position: int | None = None
    under_reviewed: bool = False
    # Whether the thresholds pass on the raw scores; ``None`` when the run is not calibrated.
    raw_eligible: bool | None = None

    @property
    def criterion_pairs(self) -> list[tuple[float | None, float | None]]:
        """(calibrated, raw) aggregate per criterion, in the grid's order."""
        return list(zip(self.criterion_scores, self.raw_criterion_scores, strict=True))

    @property
    def calibration_decides(self) -> bool:
        """Calibration moved the bid across a threshold (raw and calibrated disagree)."""
        return self.raw_eligible is not None and self.raw_eligible != self.eligible


@dataclass(frozen=True)
class RunTable:
    codes: list[str]
    rows: list[RunRow]
    has_bootstrap: bool
    lottery: dict[str, Any] | None
    funding_line_after: int | None  # rank of the last winner, when winners are contiguous
    total_requested: int
    total_granted: int
    budget: int
    budget_left: int
    feasible: bool
    reason: str | None
    winners: int
    calibrated: bool = False
    recommended_total: int = 0
    recommended_winners: int = 0


def run_table(run: RankingRun) -> RunTable | None:
    """The result of a finished run as rows in rank order; ``None`` before it is done.

    Reads ``run.call`` (for the reserve list's size): fetch the run with its call.
    """
    result = run.result
    if not result:
        return None
    parameters = run.parameters or {}
    labels: Mapping[str, str] = parameters.get("bid_labels", {})
    recommended = recommendation(
        result, screened_ineligible=set(), reserve_size=int(run.call.reserve_list_size)
    )
    under_reviewed = {str(item["id"]) for item in parameters.get("under_reviewed", [])}
    raw_list = parameters.get("raw_eligible")
    raw_eligible = {str(bid_id) for bid_id in raw_list} if raw_list is not None else None
    codes = [criterion["code"] for criterion in result["params"]["criteria"]]
    lottery = result.get("lottery")
    lottery_granted = (
        {str(item["id"]): item["granted"] for item in lottery["granted"]} if lottery else {}
    )
    rows = []
    for bid in result["bids"]:
        interval_50 = bid.get("rank_interval_50")
        interval_90 = bid.get("rank_interval_90")
        advice = recommended.get(int(bid["id"])) if str(bid["id"]).isdigit() else None
        rows.append(
            RunRow(
                id=bid["id"],
                label=labels.get(str(bid["id"]), str(bid["id"])),
                rank=bid["rank"],
                score=bid["score"],
                raw_score=bid["raw_score"],
                criterion_scores=[bid["criterion_scores"].get(code) for code in codes],
                raw_criterion_scores=[bid["raw_criterion_scores"].get(code) for code in codes],
                spread=bid["spread"],
                jurors=bid["jurors"],
                requested=bid["requested"],
                minimum=bid["minimum"],
                eligible=bid["eligible"],
                selected=bid["selected"],
                granted=bid["granted"],
                reason=bid["reason"],
                reason_detail=bid["reason_detail"],
                p_selected=bid.get("p_selected"),
                rank_interval_50=tuple(interval_50) if interval_50 else None,
                rank_interval_90=tuple(interval_90) if interval_90 else None,
                grey_zone=bid.get("grey_zone"),
                lottery_winner=(str(bid["id"]) in lottery_granted) if lottery else None,
                lottery_granted=lottery_granted.get(str(bid["id"])) if lottery else None,
                recommended_amount=advice.amount if advice else None,
                reserve_position=advice.reserve_position if advice else None,
                under_reviewed=str(bid["id"]) in under_reviewed,
                raw_eligible=(str(bid["id"]) in raw_eligible) if raw_eligible is not None else None,
            )
        )
    selected_ranks = [row.rank for row in rows if row.selected]
    contiguous = bool(selected_ranks) and selected_ranks == list(range(1, len(selected_ranks) + 1))
    return RunTable(
        codes=codes,
        rows=rows,
        has_bootstrap=bool(result.get("bootstrap_samples")),
        lottery=lottery,
        funding_line_after=selected_ranks[-1] if contiguous else None,
        total_requested=sum(row.requested for row in rows),
        total_granted=result["total_granted"],
        budget=result["params"]["budget"],
        budget_left=result["budget_left"],
        feasible=result["feasible"],
        reason=result["reason"],
        winners=len(result["winners"]),
        calibrated=parameters.get("calibration", "none") != "none",
        recommended_total=sum(row.recommended_amount or 0 for row in rows),
        recommended_winners=sum(row.recommended_amount is not None for row in rows),
    )


# --------------------------------------------------------------------------- run page


@dataclass(frozen=True)
class RunPageFigures:
    """What the run page shows of the whole result, read from its index (one small row):
    the header's table (without rows) and the charts' axes."""

    table: RunTable  # ``rows`` is empty: the page reads its rows with :func:`run_page_rows`
    ranks: int
    score_low: float | None
    score_high: float | None
    max_score: float
    thresholds: list[tuple[str, float | None]]
    tiebreak: list[str]
    winners_amounts: list[tuple[str, int, int]]  # label, granted, requested


def run_page_figures(run: RankingRun) -> RunPageFigures | None:
    """The indexed figures of a finished run (``review.services.ranking_rows``); ``None``
    before the index is written. Fetch the run with ``select_related("result_index")`` (no
    query then)."""
    try:
        figures = run.result_index.figures
    except RankingResultIndex.DoesNotExist:
        return None
    names = {field.name for field in fields(RunTable)}
    table = RunTable(rows=[], **{key: figures[key] for key in names - {"rows"}})
    return RunPageFigures(
        table=table,
        ranks=figures["ranks"],
        score_low=figures["score_low"],
        score_high=figures["score_high"],
        max_score=figures["max_score"],
        thresholds=[(code, threshold) for code, threshold in figures["thresholds"]],
        tiebreak=list(figures["tiebreak"]),
        winners_amounts=[tuple(item) for item in figures["winners_amounts"]],
    )


def run_page_rows(
    run: RankingRun,
    *,
    text: str = "",
    score_min: float | None = None,
    score_max: float | None = None,
    selected: str = "",
) -> QuerySet[RankingResultRow]:
    """The run's indexed rows matching the ranking table's filters, in the result's (rank)
    order: page it, then turn each into a :class:`RunRow` with :func:`run_row`. A bid
    without a score matches no score bound."""
    rows = RankingResultRow.objects.filter(run_id=run.pk)
    if text:
        rows = rows.filter(label__icontains=text)
    if score_min is not None:
        rows = rows.filter(score__gte=score_min)
    if score_max is not None:
        rows = rows.filter(score__lte=score_max)
    if selected:
        rows = rows.filter(selected=selected == "yes")
    return rows.only("row").order_by("position")


def run_row(record: RankingResultRow) -> RunRow:
    """The :class:`RunRow` an indexed row stores (JSON lists back into tuples)."""
    data = dict(record.row)
    for key in ("rank_interval_50", "rank_interval_90"):
        if data.get(key) is not None:
            data[key] = tuple(data[key])
    return RunRow(**data)


def run_workbook(run: RankingRun) -> CallExport | None:
    """The run's latest ranking workbook export (``review.services.exports``), any status;
    ``None`` if none was asked for (one query)."""
    return (
        CallExport.objects.filter(run_id=run.pk, kind=CallExport.Kind.RANKING)
        .order_by("-created_at", "-pk")
        .only("pk", "call_id", "run_id", "kind", "status", "progress", "size", "error")
        .first()
    )


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class ComparedBid:
    id: int | str
    label: str
    change: str  # "enters", "leaves", "stays", "out"
    a: RunRow | None
    b: RunRow | None

    @property
    def amount_changed(self) -> bool:
        """Funded in both runs, at different recommended amounts."""
        return (
            self.change == "stays"
            and self.a is not None
            and self.b is not None
            and self.a.recommended_amount != self.b.recommended_amount
        )


def compare_runs(a: RankingRun, b: RankingRun) -> list[ComparedBid]:
    """Every bid of either run: who enters and who leaves the recommended winners (the
    lottery's when a run drew lots) from A to B, then the bids funded in both, then the
    others; each group in B's rank order (A's for leavers)."""
    table_a, table_b = run_table(a), run_table(b)
    rows_a = {str(row.id): row for row in (table_a.rows if table_a else [])}
    rows_b = {str(row.id): row for row in (table_b.rows if table_b else [])}
    ids = list(dict.fromkeys([*rows_b, *rows_a]))
    compared = []
    for key in ids:
        row_a, row_b = rows_a.get(key), rows_b.get(key)
        in_a = row_a is not None and row_a.recommended_amount is not None
        in_b = row_b is not None and row_b.recommended_amount is not None
        change = (
            "enters"
            if in_b and not in_a
            else "leaves"
            if in_a and not in_b
            else "stays"
            if in_a
            else "out"
        )
        row = row_b or row_a
        assert row is not None  # the key comes from one of the two tables
        compared.append(ComparedBid(id=row.id, label=row.label, change=change, a=row_a, b=row_b))
    order = {"enters": 0, "leaves": 1, "stays": 2, "out": 3}
    return sorted(compared, key=lambda item: (order[item.change], _position(item)))


def _position(item: ComparedBid) -> int:
    side = item.a if item.change == "leaves" else (item.b or item.a)
    return side.rank if side is not None else 0
