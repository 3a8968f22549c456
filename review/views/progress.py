"""The administrators' progress page of a call: who has done what, disagreements, leniency.

Built from ``review.queries.call_progress`` (a fixed handful of queries); the matrix cells and
the chart's coordinates are prepared here so the template only prints them.
"""

import rules
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from applications.models import Call
from review import queries
from review.mfa import jury_page

CHART_WIDTH = 640
CHART_LABEL_WIDTH = 160
CHART_ROW_HEIGHT = 22


def _cell_labels() -> dict[str, tuple[str, str]]:
    """Cell code → (CSS class, short visible mark); a legend under the table explains them."""
    return {
        queries.Cell.EMPTY: ("", ""),
        queries.Cell.CONFLICT: ("table-danger", "×"),
        queries.Cell.ASSIGNED: ("table-light", "○"),
        queries.Cell.DRAFT: ("table-warning", "◐"),
        queries.Cell.SUBMITTED: ("table-success", "●"),
    }


def matrix_rows(progress: queries.CallProgress) -> list[tuple[queries.BidProgress, SafeString]]:
    """One row per bid; its cells pre-rendered (escaped by ``format_html``): 200 × 60 cells
    would otherwise cost tens of milliseconds in template loops."""
    labels = _cell_labels()
    titles = {
        queries.Cell.CONFLICT: _("conflict"),
        queries.Cell.ASSIGNED: _("assigned, not started"),
        queries.Cell.DRAFT: _("draft"),
        queries.Cell.SUBMITTED: _("submitted"),
    }
    juror_ids = [j.pk for j in progress.jurors]
    rows = []
    for bid in progress.bids:
        cells = []
        for juror_id in juror_ids:
            code = progress.cells.get((bid.pk, juror_id), queries.Cell.EMPTY)
            css, mark = labels[code]
            cells.append((css, titles.get(code, ""), mark))
        rows.append((bid, format_html_join("", '<td class="{}" title="{}">{}</td>', cells)))
    return rows


def leniency_chart(progress: queries.CallProgress) -> dict[str, object]:
    """Coordinates of the inline SVG: per juror, their totals as dots and their mean as a bar,
    against the overall mean (vertical line)."""
    scale_max = float(progress.max_total) or 1.0
    plot_width = CHART_WIDTH - CHART_LABEL_WIDTH - 20

    def x(value: float) -> float:
        return round(CHART_LABEL_WIDTH + plot_width * value / scale_max, 1)

    rows = []
    jurors = [j for j in progress.jurors if j.totals]
    for index, juror in enumerate(jurors):
        y = 20 + index * CHART_ROW_HEIGHT
        rows.append(
            {
                "juror": juror,
                "y": y,
                "label_y": y + 4,
                "dots": format_html_join(
                    "",
                    '<circle cx="{}" cy="{}" r="3" fill-opacity="0.35"></circle>',
                    ((x(float(t)), y) for t in juror.totals),
                ),
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


@jury_page
def call_progress(request: HttpRequest, slug: str) -> HttpResponse:
    if not rules.has_perm("jury.administer", request.user):
        raise PermissionDenied
    call = get_object_or_404(Call, slug=slug)
    progress = queries.call_progress(call=call)
    legend = [
        (css, mark, label)
        for (css, mark), label in (
            (_cell_labels()[queries.Cell.SUBMITTED], _("submitted")),
            (_cell_labels()[queries.Cell.DRAFT], _("draft")),
            (_cell_labels()[queries.Cell.ASSIGNED], _("assigned, not started")),
            (_cell_labels()[queries.Cell.CONFLICT], _("conflict (confirmed or declared)")),
        )
    ]
    return render(
        request,
        "review/progress/progress.html",
        {
            "call": call,
            "progress": progress,
            "matrix": matrix_rows(progress),
            "legend": legend,
            "disputed": progress.most_disputed(),
            "chart": leniency_chart(progress),
            "juror_header": format_html_join(
                "",
                '<th scope="col" class="small fw-normal jury-matrix-juror">{}</th>',
                ((j.name,) for j in progress.jurors),
            ),
        },
    )
