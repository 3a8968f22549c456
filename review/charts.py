"""Geometry of the inline SVG charts: coordinates computed here, printed by the templates.

- ``leniency_chart``: the progress page's totals per juror against the overall mean.
- ``score_chart`` and ``amount_chart``: a ranking run's scores and rank intervals per bid,
  and the winners' grants against the envelope.

Numbers in, numbers out (plus the escaped titles): nothing here reads the database.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from portal.formats import format_euros
from review.queries.progress import CallProgress, JurorProgress
from review.queries.ranking import RunPageFigures, RunRow, RunTable

# --------------------------------------------------------------------------- progress page

CHART_WIDTH = 640
CHART_LABEL_WIDTH = 160
CHART_ROW_HEIGHT = 22


def leniency_chart(
    progress: CallProgress, *, jurors: Sequence[JurorProgress] | None = None
) -> dict[str, object]:
    """Coordinates of the inline SVG: per juror, their totals as dots and their mean as a bar,
    against the overall mean (vertical line). ``jurors``: those drawn (a page), all by
    default."""
    scale_max = float(progress.max_total) or 1.0
    plot_width = CHART_WIDTH - CHART_LABEL_WIDTH - 20

    def x(value: float) -> float:
        return round(CHART_LABEL_WIDTH + plot_width * value / scale_max, 1)

    rows = []
    jurors = [j for j in (progress.jurors if jurors is None else jurors) if j.totals]
    for index, juror in enumerate(jurors):
        y = 20 + index * CHART_ROW_HEIGHT
        # Numbers only: nothing to escape.
        dots = "".join(
            f'<circle cx="{x(float(t))}" cy="{y}" r="3" fill-opacity="0.35"></circle>'
            for t in juror.totals
        )
        rows.append(
            {
                "juror": juror,
                "y": y,
                "label_y": y + 4,
                "dots": mark_safe(dots),  # noqa: S308 - numeric coordinates only # nosec B308, B703
                "mean_x": x(juror.mean or 0),
                "mean_y1": y - 8,
                "mean_y2": y + 8,
            }
        )
    height = 40 + len(jurors) * CHART_ROW_HEIGHT
    ticks = []
    steps = 5
    for i in range(steps + 1):
        value = scale_max * i / steps
        ticks.append({"x": x(value), "label": f"{value:g}"})
    return {
        "width": CHART_WIDTH,
        "height": height,
        "rows": rows,
        "ticks": ticks,
        "axis_y": height - 14,
        "overall_x": x(progress.overall_mean) if progress.overall_mean is not None else None,
        "plot_left": CHART_LABEL_WIDTH,
        "plot_right": CHART_LABEL_WIDTH + plot_width,
    }


# --------------------------------------------------------------------------- ranking run


@dataclass(frozen=True)
class ScoreRow:
    y: float
    label: str
    selected: bool
    score_x: float | None
    raw_x: float | None
    rank_x: float | None
    i50: tuple[float, float] | None
    i90: tuple[float, float] | None
    title: str


ROW = 18
LABEL = 96
PANEL = 300
GAP = 30


def score_chart(
    table: RunTable,
    *,
    max_score: float,
    rows: Sequence[RunRow] | None = None,
    figures: RunPageFigures | None = None,
) -> dict[str, object]:
    """Coordinates for the inline SVG: per bid, its calibrated (dot) and raw (ring) scores,
    and with the bootstrap its rank with the 50 % (thick) and 90 % (thin) intervals.

    ``rows``: the bids drawn (the page of the ranking shown), all by default; the axes
    span the whole run either way, so that pages compare: from ``table.rows``, or from the
    run's indexed ``figures`` when the table holds one page only.

    The score axis spans the scores actually given (whole points), not the whole scale:
    bids near the funding line differ by fractions of a point."""
    top = 24
    if figures is not None:
        n = figures.ranks
        low = figures.score_low if figures.score_low is not None else 0.0
        high = figures.score_high if figures.score_high is not None else max_score
        winners = len(figures.winners_amounts)
    else:
        n = len(table.rows)
        given = [v for row in table.rows for v in (row.score, row.raw_score) if v is not None]
        low = float(math.floor(min(given))) if given else 0.0
        high = float(math.ceil(max(given))) if given else max_score
        winners = sum(1 for row in table.rows if row.selected)
    if high <= low:
        high = low + 1

    def sx(value: float | None) -> float | None:
        if value is None:
            return None
        return LABEL + PANEL * (max(low, min(value, high)) - low) / (high - low)

    rank_left = LABEL + PANEL + GAP

    def rx(rank: float) -> float:
        return rank_left + PANEL * (rank - 0.5) / max(n, 1)

    drawn = []
    for index, row in enumerate(table.rows if rows is None else rows):
        drawn.append(
            ScoreRow(
                y=top + index * ROW + ROW / 2,
                label=row.label,
                selected=row.selected,
                score_x=sx(row.score),
                raw_x=sx(row.raw_score),
                rank_x=rx(row.rank) if table.has_bootstrap else None,
                i50=(rx(row.rank_interval_50[0]), rx(row.rank_interval_50[1]))
                if row.rank_interval_50
                else None,
                i90=(rx(row.rank_interval_90[0]), rx(row.rank_interval_90[1]))
                if row.rank_interval_90
                else None,
                title=_("%(bid)s: score %(score)s (raw %(raw)s), rank %(rank)s")
                % {"bid": row.label, "score": row.score, "raw": row.raw_score, "rank": row.rank},
            )
        )
    return {
        "rows": drawn,
        "width": rank_left + PANEL + 10 if table.has_bootstrap else LABEL + PANEL + 10,
        "height": top + len(drawn) * ROW + 8,
        "label_x": LABEL - 6,
        "score_left": LABEL,
        "score_right": LABEL + PANEL,
        "score_min": low,
        "score_max": high,
        "rank_left": rank_left,
        "rank_right": rank_left + PANEL,
        "bottom": top + len(drawn) * ROW,
        "line_x": rx(winners + 0.5) if table.has_bootstrap and table.funding_line_after else None,
        "ranks": n,
    }


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    label: str
    title: str
    shade: int


def amount_chart(
    table: RunTable, *, winners_amounts: Sequence[tuple[str, int, int]] | None = None
) -> dict[str, object]:
    """A stacked bar: each winner's grant, then what is left, against the envelope; and
    below it what the winners asked for. ``winners_amounts``: (label, granted, requested)
    of every winner, when ``table`` holds one page only (the run's indexed figures)."""
    width = 640
    winners = (
        [(row.label, row.granted, row.requested) for row in table.rows if row.selected]
        if winners_amounts is None
        else list(winners_amounts)
    )
    requested = sum(asked for _label, _granted, asked in winners)
    scale_max = max(table.budget, requested, 1)

    def w(amount: int) -> float:
        return width * amount / scale_max

    granted_segments, requested_segments = [], []
    x = 0.0
    y = 0.0
    for index, (label, granted, asked) in enumerate(winners):
        granted_segments.append(
            Segment(
                x=x,
                width=w(granted),
                label=label if w(granted) > 8 * len(label) else "",
                title=_("%(bid)s: %(amount)s") % {"bid": label, "amount": format_euros(granted)},
                shade=index % 2,
            )
        )
        requested_segments.append(
            Segment(
                x=y,
                width=w(asked),
                label="",
                title=_("%(bid)s asked %(amount)s") % {"bid": label, "amount": format_euros(asked)},
                shade=index % 2,
            )
        )
        x += w(granted)
        y += w(asked)
    return {
        "width": width,
        "granted": granted_segments,
        "left_x": x,
        "left_width": max(0.0, w(table.budget) - x),
        "requested": requested_segments,
        "envelope_x": w(table.budget),
    }
