"""``jury-report.pdf``: the record of a call's evaluation, in the active language.

Dates; counts (submitted, eligible, reviewed); the jury's composition; assignment and
conflict statistics; score distributions as charts (consensus totals, each criterion's
scores); the ranked list of the reference run with consensus totals; the approved decision
with every deviation from the recommendation and its reason; the method and the run's
input hash; the audit chain's head hash (``review.queries.exports.audit_head_hash``:
"not yet recorded" until the chain exists). The data is ``review.queries.exports
.jury_report``; the figures are ``review.figures`` (pure); money and times go through
``portal.formats``.
"""

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape  # escapes text for reportlab, parses nothing # nosec B406

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from applications.models import Call
from portal.formats import format_euros, format_paris_datetime
from portal.pdf import WIDTH, a4_document
from review import figures
from review.exports import data_hash
from review.queries.exports import JuryReport, jury_report


def _table(rows: Sequence[Sequence[object]], *, widths: list[float] | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    return table


def _pairs(rows: list[tuple[str, object]]) -> Table:
    table = Table([[label, value] for label, value in rows], colWidths=[60 * mm, WIDTH - 60 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 9),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def histogram_drawing(histogram: figures.Histogram, *, title: str) -> Drawing:
    """Bars with their counts, the bins' lower edges below: a plain reportlab drawing."""
    width, height, bottom, top = WIDTH, 42 * mm, 12, 14
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 9, title, fontName="Helvetica-Bold", fontSize=8))
    bins = len(histogram.counts)
    bar = (width - 10) / max(bins, 1)
    tallest = max(histogram.tallest, 1)
    plot = height - bottom - top
    drawing.add(Line(0, bottom, width, bottom, strokeColor=colors.grey, strokeWidth=0.5))
    for index, count in enumerate(histogram.counts):
        x = 5 + index * bar
        h = plot * count / tallest
        if count:
            drawing.add(
                Rect(
                    x + 1,
                    bottom,
                    bar - 2,
                    h,
                    fillColor=colors.HexColor("#0d6efd"),
                    strokeColor=None,
                )
            )
            drawing.add(
                String(x + bar / 2, bottom + h + 2, str(count), fontSize=6, textAnchor="middle")
            )
        drawing.add(String(x, 2, f"{histogram.edges[index]:g}", fontName="Helvetica", fontSize=6))
    return drawing


def _number(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _amount(value: int | None) -> str:
    return format_euros(value) if value is not None else "—"


def story_of(report: JuryReport) -> list[object]:
    sheet = getSampleStyleSheet()
    h1, h2, body = sheet["Title"], sheet["Heading2"], sheet["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    mono = ParagraphStyle("mono", parent=sheet["Code"], fontSize=7.5, leading=9)
    call = report.call

    def text(value: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(value), style)

    story: list[object] = [
        text(_("Jury report"), h1),
        text(call.title, sheet["Heading3"]),
        text(_("Generated at %(time)s.") % {"time": format_paris_datetime(timezone.now())}, small),
        text(_("Dates"), h2),
        _pairs(
            [
                (_("Call opened"), format_paris_datetime(call.opens_at)),
                (_("Call closed"), format_paris_datetime(call.closes_at)),
                (_("Review deadline"), format_paris_datetime(call.review_deadline) or "—"),
                (
                    _("Decision approved"),
                    format_paris_datetime(report.decision.approved_at)
                    if report.decision
                    else _("no approved decision"),
                ),
            ]
        ),
        text(_("Bids"), h2),
        _pairs(
            [
                (_("Submitted"), report.submitted),
                (_("Withdrawn"), report.withdrawn),
                (_("Found ineligible"), report.ineligible),
                (_("Eligible (assessed by the jury)"), report.eligible),
                (_("Reviewed (at least one counted review)"), report.reviewed),
            ]
        ),
        text(_("The jury"), h2),
    ]
    story.append(
        _table(
            [
                [
                    _("Juror"),
                    _("Country"),
                    _("Assignments"),
                    _("Reviews submitted"),
                    _("Rapporteur"),
                ]
            ]
            + [[j.name, j.country, j.assignments, j.reviews, j.rapporteur] for j in report.jurors]
        )
        if report.jurors
        else text(_("No juror is attached to the call."))
    )
    loads = figures.loads(report.loads)
    story += [
        text(_("Assignments and conflicts of interest"), h2),
        _pairs(
            [
                (_("Assignments made"), report.assignments),
                (_("Assignments in force"), report.active_assignments),
                (_("Reviews submitted"), report.reviews_submitted),
                (
                    _("Bids per juror"),
                    _("min %(min)s, median %(median)s, mean %(mean)s, max %(max)s")
                    % {
                        "min": _number(loads.minimum),
                        "median": _number(loads.median),
                        "mean": _number(loads.mean),
                        "max": _number(loads.maximum),
                    },
                ),
                (_("Conflicts suggested (undecided)"), report.conflicts.get("suggested", 0)),
                (_("Conflicts confirmed"), report.conflicts.get("confirmed", 0)),
                (_("Conflicts dismissed"), report.conflicts.get("dismissed", 0)),
                (_("Conflicts declared by jurors"), report.declared_conflicts),
            ]
        ),
        text(_("Score distributions"), h2),
    ]
    if report.consensus_totals:
        width = max(report.max_total / 10, 0.5)
        story.append(
            histogram_drawing(
                figures.histogram(
                    report.consensus_totals, low=0, high=max(report.max_total, 1), width=width
                ),
                title=_("Consensus totals (panel scores where adjusted), %(count)s bids")
                % {"count": len(report.consensus_totals)},
            )
        )
    else:
        story.append(text(_("No consensus score yet.")))
    for criterion in report.criteria:
        values = report.criterion_values.get(criterion.code, [])
        if not values:
            continue
        step = float(criterion.scale.step) or 1.0
        story.append(
            histogram_drawing(
                figures.histogram(
                    values,
                    low=float(criterion.scale.minimum) - step / 2,
                    high=float(criterion.scale.maximum) + step / 2,
                    width=step,
                ),
                title=_("%(criterion)s: %(count)s counted scores, mean %(mean)s")
                % {
                    "criterion": f"{criterion.code} — {criterion.name}",
                    "count": len(values),
                    "mean": _number(figures.summarise(values).mean),
                },
            )
        )
    story.append(text(_("Ranked list"), h2))
    table = report.table
    outcomes = {line.bid_id: line for line in report.lines}
    if table is None or report.run is None:
        story.append(text(_("No finished ranking run.")))
    else:
        story.append(
            text(
                _("Ranking run #%(number)s, finished at %(time)s.")
                % {"number": report.run.pk, "time": format_paris_datetime(report.run.finished_at)},
                small,
            )
        )
        rows: list[list[object]] = [
            [
                _("Rank"),
                _("Bid"),
                _("Run score"),
                _("Consensus total"),
                _("Recommended"),
                _("Decided"),
                _("Amount awarded"),
            ]
        ]
        for row in table.rows:
            line = outcomes.get(int(row.id))
            rows.append(
                [
                    row.rank,
                    row.label,
                    _number(row.score),
                    _number(report.consensus_by_bid.get(int(row.id))),
                    _amount(row.granted) if row.selected else _("not selected"),
                    line.get_outcome_display() if line else "—",
                    _amount(line.amount_awarded) if line else "—",
                ]
            )
        story.append(_table(rows))
    story.append(text(_("The funding decision"), h2))
    decision = report.decision
    if decision is None:
        story.append(text(_("No approved decision.")))
    else:
        story.append(
            _pairs(
                [
                    (_("Version"), decision.number),
                    (_("Prepared by"), decision.prepared_by.email),
                    (_("Approved by"), decision.approved_by.email if decision.approved_by else "—"),
                    (
                        _("Reason for this version"),
                        Paragraph(escape(decision.reason or "—"), small),
                    ),
                    (
                        _("Total awarded"),
                        _amount(sum(line.amount_awarded or 0 for line in report.lines)),
                    ),
                ]
            )
        )
        story.append(text(_("Deviations from the jury's recommendation"), sheet["Heading3"]))
        if not report.deviations:
            story.append(text(_("The decision follows the recommendation for every bid.")))
        else:
            rows = [[_("Bid"), _("Recommended"), _("Decided"), _("Reason")]]
            for deviation in report.deviations:
                recommended = deviation.recommended
                if deviation.recommended_amount is not None:
                    recommended += f" {_amount(deviation.recommended_amount)}"
                if deviation.recommended_reserve is not None:
                    recommended += f" #{deviation.recommended_reserve}"
                decided = deviation.decided
                if deviation.amount is not None:
                    decided += f" {_amount(deviation.amount)}"
                if deviation.reserve is not None:
                    decided += f" #{deviation.reserve}"
                reason = deviation.reason
                if deviation.override_reason:
                    reason += "\n" + _("Funded with fewer reviews than required: %(reason)s") % {
                        "reason": deviation.override_reason
                    }
                rows.append(
                    [
                        deviation.acronym,
                        Paragraph(escape(recommended), small),
                        Paragraph(escape(decided), small),
                        Paragraph(escape(reason).replace("\n", "<br/>"), small),
                    ]
                )
            story.append(_table(rows, widths=[25 * mm, 35 * mm, 35 * mm, WIDTH - 95 * mm]))
    story.append(text(_("Method"), h2))
    run = report.run
    if run is not None:
        parameters = run.parameters or {}
        story.append(
            _pairs(
                [
                    (_("Selection rule"), str(parameters.get("rule", ""))),
                    (_("Calibration"), str(parameters.get("calibration", ""))),
                    (_("Aggregate"), str(parameters.get("aggregate", ""))),
                    (
                        _("Tie-break chain"),
                        ", ".join((run.result or {}).get("params", {}).get("tiebreak", [])) or "—",
                    ),
                    (_("Bootstrap samples"), parameters.get("bootstrap_samples") or 0),
                    (_("Engine version"), run.engine_version),
                ]
            )
        )
        story.append(text(_("SHA-256 of the run's input:"), small))
        story.append(text(run.input_hash, mono))
        story.append(text(_("SHA-256 of the jury's data in that input:"), small))
        story.append(text(data_hash(run), mono))
    else:
        story.append(text(_("No finished ranking run.")))
    story.append(text(_("Audit trail"), h2))
    story.append(text(_("Head hash of the audit chain:"), small))
    story.append(text(report.audit_head or _("not yet recorded"), mono))
    story.append(Spacer(1, 4 * mm))
    return story


def write_jury_report(*, call: Call, pseudonymise: bool, path: Path) -> None:
    report = jury_report(call=call, pseudonymise=pseudonymise)
    document = a4_document(str(path), title=_("Jury report"))
    document.build(story_of(report))
