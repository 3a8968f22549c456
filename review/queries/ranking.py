"""Reads for ranking runs: the engine's input assembled from the jury's scores, the runs of a
call, a run's result as table rows, and the comparison of two runs.

The engine's input follows the JSON contract of ``docs/ranking.md``. Bids are identified by
their primary key (stable, unique), jurors by theirs; acronyms are kept beside the run (in
its ``parameters``) for display and exports, so a run stays readable as it was computed.

The bids ranked are ``Bid.objects.assessable()``; the scores counted are those of jurors a
conflict does not remove (``CriterionScore.objects.of_active_jurors()``).
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from applications.models import Bid, Call
from review import scoring
from review.models import Criterion, CriterionScore, RankingRun, Review


def canonical_json(data: Any) -> str:
    """Sorted keys, compact separators: the text whose SHA-256 identifies an input."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_sha256(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _number(value: Decimal) -> float | int:
    """Decimal → the shortest JSON number: 3 rather than 3.0, so inputs read naturally."""
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


@dataclass(frozen=True)
class RankingData:
    """What the jury produced for a call, in the engine's vocabulary (3 queries)."""

    data: dict[str, Any]  # budget, winners, criteria, overall_threshold, bids, scores
    bid_labels: dict[str, str]  # str(bid pk) → acronym
    criterion_labels: dict[str, str]  # code → name in the current language


def ranking_data(*, call: Call) -> RankingData:
    criteria = list(Criterion.objects.filter(call=call).order_by("order", "code"))
    bids = list(
        Bid.objects.assessable()
        .filter(call=call)
        .order_by("pk")
        .values_list("pk", "acronym", "requested_amount", "minimum_amount")
    )
    codes = {criterion.pk: criterion.code for criterion in criteria}
    rows = counted_scores(call=call).values_list(
        "review__assignment__bid_id", "review__assignment__juror_id", "criterion_id", "value"
    )
    # Sorted by bid, juror and criterion (as listed) so that equal data give equal inputs.
    position = {criterion.pk: index for index, criterion in enumerate(criteria)}
    ordered = sorted(rows, key=lambda row: (row[0], row[1], position[row[2]]))
    scores = [
        {"bid": bid, "juror": juror, "criterion": codes[criterion], "value": _number(value)}
        for bid, juror, criterion, value in ordered
        if value is not None  # filtered in SQL already; keeps the types honest
    ]
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
    return RankingData(
        data=data,
        bid_labels={str(pk): acronym for pk, acronym, _r, _m in bids},
        criterion_labels={criterion.code: criterion.name for criterion in criteria},
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


def runs_for_call(*, call: Call) -> QuerySet[RankingRun]:
    """The call's runs, newest first, without their bulky JSON (one query)."""
    return (
        RankingRun.objects.filter(call=call)
        .select_related("created_by")
        .defer("engine_input", "result", "result_json")
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


def run_table(run: RankingRun) -> RunTable | None:
    """The result of a finished run as rows in rank order; ``None`` before it is done."""
    result = run.result
    if not result:
        return None
    labels: Mapping[str, str] = (run.parameters or {}).get("bid_labels", {})
    codes = [criterion["code"] for criterion in result["params"]["criteria"]]
    lottery = result.get("lottery")
    lottery_granted = (
        {str(item["id"]): item["granted"] for item in lottery["granted"]} if lottery else {}
    )
    rows = []
    for bid in result["bids"]:
        interval_50 = bid.get("rank_interval_50")
        interval_90 = bid.get("rank_interval_90")
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
    )


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class ComparedBid:
    id: int | str
    label: str
    change: str  # "enters", "leaves", "stays", "out"
    a: RunRow | None
    b: RunRow | None


def compare_runs(a: RankingRun, b: RankingRun) -> list[ComparedBid]:
    """Every bid of either run: who enters and who leaves the winners from A to B, then the
    bids funded in both, then the others; each group in B's rank order (A's for leavers)."""
    table_a, table_b = run_table(a), run_table(b)
    rows_a = {str(row.id): row for row in (table_a.rows if table_a else [])}
    rows_b = {str(row.id): row for row in (table_b.rows if table_b else [])}
    ids = list(dict.fromkeys([*rows_b, *rows_a]))
    compared = []
    for key in ids:
        row_a, row_b = rows_a.get(key), rows_b.get(key)
        in_a = bool(row_a and row_a.selected)
        in_b = bool(row_b and row_b.selected)
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
