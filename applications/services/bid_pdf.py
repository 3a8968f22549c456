"""The whole bid as a PDF: what the jury read, built from a submitted version's snapshot.

One function, :func:`whole_bid_pdf`, used by the institution's download of each of its
submitted versions and by the administrators' ``bids.zip`` export; :func:`draft_bid_pdf`
prints the working copy the same way (read as ``submit_bid`` would freeze it), headed as a
draft, for the institution's preview. It prints the version's
header (number, submission time, SHA-256), the call, the bid and its consortium, every
section, the budget table with its totals, and the attachments with their SHA-256 (the
files themselves travel beside the PDF). Only the snapshot is read: the PDF of a version
stays the same whatever the working copy becomes.
"""

import io
from contextlib import nullcontext
from datetime import datetime
from xml.sax.saxutils import escape  # escapes text for reportlab, parses nothing # nosec B406

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from applications.models import Bid, BidSection, BidVersion
from applications.queries import summarise_budget
from applications.services.submission import bid_content
from portal import pdf
from portal.formats import format_bytes, format_euros, format_paris_datetime


def _styles() -> dict[str, ParagraphStyle]:
    sheet = pdf.styles()
    return {
        "title": sheet["Title"],
        "h2": sheet["Heading2"],
        "body": sheet["BodyText"],
        "small": ParagraphStyle("small", parent=sheet["BodyText"], fontSize=8, leading=10),
        "mono": ParagraphStyle("mono", parent=sheet["Code"], fontSize=7.5, leading=9),
    }


def paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """Plain text as paragraphs (blank lines separate them; line breaks are kept)."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n")]
    return [
        Paragraph(escape(block).replace("\n", "<br/>"), style) for block in blocks if block
    ] or [Paragraph("—", style)]


def _budget_table(snapshot: dict, style: ParagraphStyle) -> Table:
    lines = [
        (int(line["year"]), str(line["category"]), int(line["requested"]), int(line["cofunding"]))
        for line in snapshot.get("budget", [])
    ]
    years = max([line[0] for line in lines] or [1])
    summary = summarise_budget(
        years=years, lines=lines, requested_amount=int(snapshot["bid"]["requested_amount"])
    )
    header: list[object] = [_("Category")]
    header += [_("Year %(year)s") % {"year": y} for y in summary.years]
    header.append(_("Total"))
    rows: list[list[object]] = [header]
    for code, label in summary.categories:
        row: list[object] = [Paragraph(escape(label), style)]
        for year in summary.years:
            requested, cofunding = summary.cells.get((year, code), (0, 0))
            row.append(f"{format_euros(requested)}\n+ {format_euros(cofunding)}")
        total = summary.category_totals[code]
        row.append(f"{format_euros(total[0])}\n+ {format_euros(total[1])}")
        rows.append(row)
    totals: list[object] = [_("Total")]
    for year in summary.years:
        requested, cofunding = summary.year_totals[year]
        totals.append(f"{format_euros(requested)}\n+ {format_euros(cofunding)}")
    totals.append(
        f"{format_euros(summary.total_requested)}\n+ {format_euros(summary.total_cofunding)}"
    )
    rows.append(totals)
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), pdf.FONT, 7),
                ("FONT", (0, 0), (-1, 0), pdf.FONT_BOLD, 7),
                ("FONT", (0, -1), (-1, -1), pdf.FONT_BOLD, 7),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    return table


def _version_header(
    snapshot: dict, version: BidVersion, body: ParagraphStyle, mono: ParagraphStyle
) -> list[object]:
    submitted_at = (
        datetime.fromisoformat(snapshot["submitted_at"])
        if snapshot.get("submitted_at")
        else version.submitted_at
    )
    return [
        Paragraph(
            escape(
                _("Version %(number)s, submitted at %(time)s by %(email)s")
                % {
                    "number": version.number,
                    "time": format_paris_datetime(submitted_at, seconds=True),
                    "email": snapshot.get("submitted_by", ""),
                }
            ),
            body,
        ),
        Paragraph(escape(_("SHA-256 of this version:")) + f" {version.sha256}", mono),
    ]


def _draft_header(body: ParagraphStyle) -> list[object]:
    return [
        Paragraph(
            escape(
                _(
                    "Draft printed at %(time)s: the working copy, not submitted. The jury reads "
                    "only the last submitted version."
                )
                % {"time": format_paris_datetime(timezone.now(), seconds=True)}
            ),
            body,
        )
    ]


def whole_bid_pdf(version: BidVersion, *, language: str | None = None) -> bytes:
    """The submitted ``version`` as one PDF, in ``language`` (default: the active one)."""
    with translation.override(language) if language else nullcontext():
        return _build(version.snapshot, version=version)


def draft_bid_pdf(*, bid: Bid, language: str | None = None) -> bytes:
    """The working copy of ``bid`` as the same PDF, headed as a draft (not what the jury
    reads until it is submitted). Reads the bid as ``submit_bid`` would freeze it."""
    with translation.override(language) if language else nullcontext():
        return _build(bid_content(bid=bid), version=None)


def _build(snapshot: dict, *, version: BidVersion | None) -> bytes:
    styles = _styles()
    body, small, mono = styles["body"], styles["small"], styles["mono"]
    bid = snapshot["bid"]
    call = snapshot["call"]
    buffer = io.BytesIO()
    french = (translation.get_language() or "en").startswith("fr")
    if version is not None:
        submitted_at = (
            datetime.fromisoformat(snapshot["submitted_at"])
            if snapshot.get("submitted_at")
            else version.submitted_at
        )
        title = f"{bid['acronym']} v{version.number}"
    else:  # the working copy: dated when printed
        submitted_at = timezone.now()
        title = f"{bid['acronym']} {_('draft')}"
    document = pdf.a4_document(
        buffer,
        title=title,
        subject=f"{bid['acronym']} — {bid['title']}",
        keywords=[bid["acronym"]],
        created_at=submitted_at,
    )
    story: list[object] = [
        Paragraph(escape(f"{bid['acronym']} — {bid['title']}"), styles["title"]),
        Paragraph(
            escape(_("Call: %(title)s") % {"title": call["title_fr" if french else "title_en"]}),
            body,
        ),
    ]
    story += _version_header(snapshot, version, body, mono) if version else _draft_header(body)
    story += [
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Consortium")), styles["h2"]),
        Paragraph(
            escape(
                _("Lead institution: %(name)s") % {"name": snapshot["lead_institution"]["name"]}
            ),
            body,
        ),
        Paragraph(
            escape(
                _("Partners: %(names)s")
                % {"names": ", ".join(p["name"] for p in snapshot["partners"]) or _("none")}
            ),
            body,
        ),
        Paragraph(
            escape(
                _("Requested amount: %(amount)s")
                % {"amount": format_euros(bid["requested_amount"])}
            ),
            body,
        ),
        Paragraph(
            escape(
                _("Minimum viable amount: %(amount)s")
                % {"amount": format_euros(bid["minimum_amount"])}
            ),
            body,
        ),
    ]
    labels = dict(BidSection.Key.choices)
    for key, content in snapshot.get("sections", {}).items():
        story.append(Paragraph(escape(str(labels.get(key, key))), styles["h2"]))
        story.extend(paragraphs(content, body))
    story.append(Paragraph(escape(_("Budget")), styles["h2"]))
    story.append(Paragraph(escape(_("Each cell: requested, then + co-funding (euros).")), small))
    story.append(_budget_table(snapshot, small))
    story.append(Paragraph(escape(_("Attachments")), styles["h2"]))
    if not snapshot.get("attachments"):
        story.append(Paragraph(escape(_("No attachment.")), body))
    for item in snapshot.get("attachments", []):
        story.append(
            Paragraph(
                escape(
                    _("%(name)s (%(pages)s, %(size)s)")
                    % {
                        "name": item["name"],
                        "pages": ngettext("%(count)s page", "%(count)s pages", item["pages"])
                        % {"count": item["pages"]},
                        "size": format_bytes(item["size"]),
                    }
                ),
                body,
            )
        )
        story.append(Paragraph("SHA-256 " + escape(item["sha256"]), mono))
    document.build(story)
    return buffer.getvalue()
