"""The administrators' progress page of a call: who has done what, disagreements, leniency.

Built from ``review.queries.progress.call_progress`` (a page of bids and a page of jurors, a
fixed handful of queries); the matrix cells are prepared here and the chart's coordinates in
``review.charts``, so the template only prints them.
"""

import uuid
from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from applications.models import Call
from applications.rules import permission_required
from review.charts import leniency_chart
from review.queries import progress as queries


def _cell_labels() -> dict[str, tuple[str, str]]:
    """Cell code → (CSS class, short visible mark); a legend above the table explains them."""
    return {
        queries.Cell.EMPTY: ("", ""),
        queries.Cell.CONFLICT: ("table-danger", "×"),
        queries.Cell.TO_DECLARE: ("table-info", "?"),
        queries.Cell.ASSIGNED: ("table-light", "○"),
        queries.Cell.DRAFT: ("table-warning", "◐"),
        queries.Cell.SUBMITTED: ("table-success", "●"),
    }


def matrix_body(
    progress: queries.CallProgress,
    bids: Sequence[queries.BidProgress] | None = None,
    jurors: Sequence[queries.JurorProgress] | None = None,
) -> SafeString:
    """The matrix's ``<tbody>`` rows, one per bid (``bids``: a page, all by default; columns
    ``jurors``, all by default), as HTML.

    200 bids × 60 jurors is 12 000 cells: printed by template loops (or one ``format_html``
    per cell) they take tens of milliseconds. Only five distinct cells exist, so each is
    escaped once and the rows are joined from them; the bid's link and acronym are escaped
    per row.
    """
    titles = {
        queries.Cell.CONFLICT: _("conflict"),
        queries.Cell.TO_DECLARE: _("conflict of interest still to declare"),
        queries.Cell.ASSIGNED: _("no conflict declared, not started"),
        queries.Cell.DRAFT: _("draft"),
        queries.Cell.SUBMITTED: _("submitted"),
    }
    html = {
        code: str(format_html('<td class="{}" title="{}">{}</td>', css, titles[code], mark))
        for code, (css, mark) in _cell_labels().items()
        if code
    }
    empty = "<td></td>"
    juror_ids = [j.pk for j in (progress.jurors if jurors is None else jurors)]
    cells = progress.cells
    placeholder = str(uuid.UUID(int=0))
    url_pattern = reverse("review:bid_reviews", args=[placeholder])
    rows = []
    understaffed_title = _("fewer active jurors than planned")
    for bid in progress.bids if bids is None else bids:
        head = format_html(
            '<tr><th scope="row" class="bid"><a href="{}">{}</a>{}</th>',
            url_pattern.replace(placeholder, str(bid.public_id)),
            bid.acronym,
            format_html(
                ' <span class="badge text-bg-warning understaffed" title="{}">!</span>',
                understaffed_title,
            )
            if bid.understaffed
            else "",
        )
        body = "".join(
            html[cells[(bid.pk, j)]] if (bid.pk, j) in cells else empty for j in juror_ids
        )
        rows.append(f"{head}{body}<td>{bid.submitted}/{bid.assigned}</td></tr>")
    return mark_safe("".join(rows))  # noqa: S308 - built from the escaped pieces above # nosec B308, B703


@permission_required("jury.administer")
def call_progress(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    # At 10 000 bids × 2 000 jurors the whole matrix is 20 million cells: it goes by page.
    progress = queries.call_progress(
        call=call,
        bid_page=request.GET.get("page"),
        juror_page=request.GET.get("jurors_page"),
    )
    legend = [
        (css, mark, label)
        for (css, mark), label in (
            (_cell_labels()[queries.Cell.SUBMITTED], _("submitted")),
            (_cell_labels()[queries.Cell.DRAFT], _("draft")),
            (_cell_labels()[queries.Cell.ASSIGNED], _("no conflict declared, not started")),
            (_cell_labels()[queries.Cell.TO_DECLARE], _("conflict of interest still to declare")),
            (_cell_labels()[queries.Cell.CONFLICT], _("conflict (confirmed or declared)")),
        )
    ]
    return render(
        request,
        "review/progress/progress.html",
        {
            "call": call,
            "progress": progress,
            "matrix": matrix_body(progress, progress.bids, progress.columns),
            "bids": progress.bids,
            "jurors": progress.jurors,
            "legend": legend,
            "disputed": progress.most_disputed(),
            "chart": leniency_chart(progress),
            "juror_header": format_html_join(
                "",
                '<th scope="col" class="small fw-normal jury-matrix-juror">{}</th>',
                ((j.name,) for j in progress.columns),
            ),
        },
    )
