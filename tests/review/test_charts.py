"""The charts' geometry (``review.charts``): numbers in, coordinates out; no database."""

from decimal import Decimal

from applications.models import Call
from review.charts import (
    CHART_LABEL_WIDTH,
    CHART_WIDTH,
    LABEL,
    PANEL,
    amount_chart,
    leniency_chart,
    score_chart,
)
from review.queries.progress import CallProgress, JurorProgress
from review.queries.ranking import RunRow, RunTable


def _progress(jurors: list[JurorProgress], overall_mean: float | None) -> CallProgress:
    return CallProgress(
        call=Call(),
        jurors=jurors,
        bids=[],
        cells={},
        overall_mean=overall_mean,
        overall_std=None,
        max_total=Decimal(20),
    )


def test_leniency_chart_places_means_and_ticks_on_the_total_scale():
    plot_right = CHART_WIDTH - 20
    juror = JurorProgress(pk=1, name="A", totals=[Decimal(10), Decimal(20)], mean=15.0)
    idle = JurorProgress(pk=2, name="B")

    chart = leniency_chart(_progress([juror, idle], overall_mean=10.0))

    assert [row["juror"] for row in chart["rows"]] == [juror]
    assert chart["plot_left"] == CHART_LABEL_WIDTH
    assert chart["plot_right"] == plot_right
    assert chart["overall_x"] == (CHART_LABEL_WIDTH + plot_right) / 2
    assert chart["ticks"][0] == {"x": CHART_LABEL_WIDTH, "label": "0"}
    assert chart["ticks"][-1] == {"x": plot_right, "label": "20"}


def _row(label: str, *, rank: int, score: float, granted: int, requested: int) -> RunRow:
    return RunRow(
        id=rank,
        label=label,
        rank=rank,
        score=score,
        raw_score=score,
        criterion_scores=[],
        raw_criterion_scores=[],
        spread=None,
        jurors=3,
        requested=requested,
        minimum=requested,
        eligible=True,
        selected=granted > 0,
        granted=granted,
        reason="selected" if granted else "envelope_exhausted",
        reason_detail="",
    )


def _table(rows: list[RunRow], *, budget: int) -> RunTable:
    granted = sum(row.granted for row in rows)
    return RunTable(
        codes=[],
        rows=rows,
        has_bootstrap=False,
        lottery=None,
        funding_line_after=None,
        total_requested=sum(row.requested for row in rows),
        total_granted=granted,
        budget=budget,
        budget_left=budget - granted,
        feasible=True,
        reason=None,
        winners=sum(1 for row in rows if row.selected),
    )


def test_score_chart_axis_spans_the_whole_points_around_the_scores_given():
    table = _table(
        [
            _row("A", rank=1, score=15.5, granted=60, requested=60),
            _row("B", rank=2, score=12.5, granted=0, requested=50),
        ],
        budget=100,
    )

    chart = score_chart(table, max_score=20)

    assert (chart["score_min"], chart["score_max"]) == (12.0, 16.0)
    assert [row.score_x for row in chart["rows"]] == [
        LABEL + PANEL * 3.5 / 4,
        LABEL + PANEL * 0.5 / 4,
    ]
    assert chart["width"] == LABEL + PANEL + 10


def test_amount_chart_stacks_the_grants_against_the_envelope():
    table = _table(
        [
            _row("A", rank=1, score=15, granted=60, requested=80),
            _row("B", rank=2, score=12, granted=0, requested=50),
        ],
        budget=100,
    )

    chart = amount_chart(table)

    width = chart["width"]
    assert [(s.x, s.width) for s in chart["granted"]] == [(0.0, width * 60 / 100)]
    assert chart["left_x"] == width * 60 / 100
    assert chart["left_width"] == width * 40 / 100
    assert chart["envelope_x"] == width
