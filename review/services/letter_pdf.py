"""The decision letter as a PDF, in the institution's language: one function,
:func:`decision_letter_pdf`.

It prints the call and the bid, the outcome (funded with the amount awarded and the amount
requested / reserve list with its position / not funded / ineligible with the screening
reason), the evaluation summary report (the approved consensus: score and comment per
criterion, the overall comment, the weighted total; never a juror's name or individual
scores, which :class:`~review.queries.letters.LetterContent` does not carry), and the redress
procedure with its deadline. Helvetica (WinAnsi) draws French accents and the no-break spaces
of French amounts; money, scores and times go through ``portal.formats``.
"""

import io
from xml.sax.saxutils import escape  # nosec B406 - escapes text for reportlab markup; parses nothing

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from applications.services.bid_pdf import paragraphs
from portal.formats import format_euros, format_paris_datetime, format_score
from portal.mail import absolute_url
from portal.pdf import a4_document
from review.queries.letters import LetterContent

MARGIN = 20 * mm
WIDTH = A4[0] - 2 * MARGIN


def outcome_sentence(content: LetterContent) -> str:
    """The outcome in one sentence, in the active language (also shown on the bid's page)."""
    values = {
        "acronym": content.acronym,
        "awarded": format_euros(content.amount_awarded),
        "requested": format_euros(content.amount_requested),
        "position": content.reserve_position,
    }
    if content.outcome == "funded":
        return (
            _(
                "Your bid %(acronym)s is selected for funding: it is awarded %(awarded)s, "
                "for %(requested)s requested."
            )
            % values
        )
    if content.outcome == "reserve":
        return (
            _(
                "Your bid %(acronym)s is on the reserve list, in position %(position)s: it "
                "will be funded, in that order, if money is freed."
            )
            % values
        )
    if content.outcome == "ineligible":
        return (
            _(
                "Your bid %(acronym)s was found ineligible at screening and was not assessed "
                "by the jury."
            )
            % values
        )
    return _("Your bid %(acronym)s is not selected for funding.") % values


def decision_letter_pdf(content: LetterContent) -> bytes:
    """The letter as PDF bytes, in ``content.language``."""
    with translation.override(content.language):
        return _build(content)


def _build(content: LetterContent) -> bytes:
    sheet = getSampleStyleSheet()
    title, h2, body = sheet["Title"], sheet["Heading2"], sheet["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11)
    buffer = io.BytesIO()
    document = a4_document(
        buffer,
        title=_("Decision letter — %(acronym)s") % {"acronym": content.acronym},
        margin=MARGIN,
    )
    story: list[object] = [
        Paragraph(escape(_("Decision on your bid")), title),
        Paragraph(escape(_("Call: %(title)s") % {"title": content.call_title}), body),
        Paragraph(
            escape(
                _("Bid: %(acronym)s — %(title)s")
                % {"acronym": content.acronym, "title": content.bid_title}
            ),
            body,
        ),
        Paragraph(escape(_("Lead institution: %(name)s") % {"name": content.institution}), body),
        Paragraph(
            escape(
                _("Results published on %(time)s")
                % {"time": format_paris_datetime(content.published_at)}
            ),
            body,
        ),
        Spacer(1, 6 * mm),
        Paragraph(escape(_("Outcome")), h2),
        Paragraph(escape(outcome_sentence(content)), body),
    ]
    if content.outcome == "ineligible":
        story.append(
            Paragraph(
                escape(
                    _("Reason given at screening: %(reason)s")
                    % {"reason": content.ineligibility_reason or "—"}
                ),
                body,
            )
        )
    story += [Spacer(1, 4 * mm), Paragraph(escape(_("Evaluation summary report")), h2)]
    story += _summary(content, body, small)
    story += [Spacer(1, 4 * mm), Paragraph(escape(_("Redress procedure")), h2)]
    story.append(
        Paragraph(
            escape(
                _(
                    "Within %(days)s days of the publication, until %(deadline)s, the bid's "
                    "coordinator may file a procedural appeal on the portal, on the bid's "
                    "evaluation page: %(url)s. An appeal may contest the procedure followed, "
                    "not the jury's scientific judgement; the administrators answer it in "
                    "writing, and both are kept with the call's record."
                )
                % {
                    "days": content.redress_days,
                    "deadline": format_paris_datetime(content.redress_closes_at, seconds=True),
                    "url": absolute_url(content.evaluation_path),
                }
            ),
            body,
        )
    )
    document.build(story)
    return buffer.getvalue()


def _summary(content: LetterContent, body: ParagraphStyle, small: ParagraphStyle) -> list[object]:
    summary = content.summary
    if content.outcome == "ineligible":
        return [Paragraph(escape(_("An ineligible bid has no evaluation summary.")), body)]
    if summary is None:
        return [
            Paragraph(escape(_("No consensus report of the jury was approved for this bid.")), body)
        ]
    rows: list[list[object]] = [[_("Criterion"), _("Score"), _("Comments of the jury")]]
    for line in summary.lines:
        rows.append(
            [
                Paragraph(escape(line.criterion), small),
                format_score(line.value, places=1),
                paragraphs(line.comment, small),
            ]
        )
    if summary.total is not None:
        rows.append([_("Weighted total"), format_score(summary.total), ""])
    table = Table(rows, colWidths=[45 * mm, 18 * mm, WIDTH - 63 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    return [
        Paragraph(escape(_("Overall comment of the jury")), body),
        *paragraphs(summary.summary, body),
        Spacer(1, 3 * mm),
        table,
    ]
