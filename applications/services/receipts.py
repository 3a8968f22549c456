"""The submission receipt: a one-page PDF stating exactly what was submitted, and when."""

import io
from datetime import datetime

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from portal.formats import format_euros, format_paris_datetime, format_utc_datetime

LEFT = 20 * mm
TOP = A4[1] - 20 * mm
BOTTOM = 20 * mm


def build_receipt_pdf(*, snapshot: dict, sha256: str) -> bytes:
    """Render the receipt of a submitted version from its snapshot and SHA-256.

    States the call, the bid, the lead institution, the version number, the submission time
    in Europe/Paris (zone named) and in UTC, the version's SHA-256 and every attachment with
    its own SHA-256.
    """
    submitted_at = datetime.fromisoformat(snapshot["submitted_at"])
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(_("Submission receipt"))
    canvas.setAuthor("IA-cluster portal")
    y = TOP

    def line(text: str, *, font: str = "Helvetica", size: float = 10, gap: float = 5.5) -> None:
        nonlocal y
        if y < BOTTOM:
            canvas.showPage()
            y = TOP
        canvas.setFont(font, size)
        canvas.drawString(LEFT, y, text)
        y -= gap * mm

    line(_("Submission receipt"), font="Helvetica-Bold", size=16, gap=10)
    call = snapshot["call"]
    title = (
        call["title_en"]
        if call["title_en"] == call["title_fr"]
        else (f"{call['title_en']} / {call['title_fr']}")
    )
    line(_("Call: %(title)s") % {"title": title})
    line(
        _("Bid: %(acronym)s — %(title)s")
        % {"acronym": snapshot["bid"]["acronym"], "title": snapshot["bid"]["title"]}
    )
    line(_("Lead institution: %(name)s") % {"name": snapshot["lead_institution"]["name"]})
    partners = ", ".join(p["name"] for p in snapshot["partners"]) or _("none")
    line(_("Partners: %(names)s") % {"names": partners[:150]})
    line(
        _("Requested amount: %(amount)s")
        % {"amount": format_euros(snapshot["bid"]["requested_amount"])}
    )
    line(_("Version: %(number)s") % {"number": snapshot["version"]}, font="Helvetica-Bold")
    line(_("Submitted at: %(time)s") % {"time": format_paris_datetime(submitted_at, seconds=True)})
    line(_("Submitted at (UTC): %(time)s") % {"time": format_utc_datetime(submitted_at)})
    line(_("Submitted by: %(email)s") % {"email": snapshot["submitted_by"]})
    line(_("SHA-256 of this version:"), gap=5)
    line(sha256, font="Courier", size=9, gap=9)
    line(_("Attachments"), font="Helvetica-Bold", size=12, gap=7)
    if not snapshot["attachments"]:
        line(_("No attachment."))
    for item in snapshot["attachments"]:
        line(
            _("%(name)s (%(pages)s pages, %(size)s bytes)")
            % {"name": item["name"][:90], "pages": item["pages"], "size": f"{item['size']:,}"},
            gap=4.5,
        )
        line("SHA-256 " + item["sha256"], font="Courier", size=8, gap=6)
    y -= 4 * mm
    line(
        _(
            "The SHA-256 is computed over the canonical JSON of the submitted version "
            "(keys sorted, no spaces, UTF-8)."
        ),
        size=8,
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
