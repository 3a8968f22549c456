"""The portal's A4 documents (receipt, whole bid, decision letter, jury report): one page layout.

Every PDF the portal writes is built with reportlab's platypus on this template, with the
same margins, ``invariant`` output (the same content gives the same bytes, so a file's
SHA-256 is reproducible) and true metadata: the title, the portal as author and creator, a
subject, keywords and, when the document records an act (a submission), that act's time as
its creation date rather than reportlab's invariant 2000-01-01.

Text is drawn in DejaVu Sans, a Unicode TrueType font embedded (subset) in every file, so
names in any script, ``€``, ``—`` and the no-break spaces of French numbers print as typed.
The TTF files are vendored in ``portal/fonts/`` with their licence: the output does not
depend on the fonts of the machine. ``styles()`` is reportlab's sample style sheet with these
fonts; ``FONT``, ``FONT_BOLD`` and ``FONT_MONO`` name them for tables and drawings.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import SimpleDocTemplate

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN  # the text width, for tables and drawings

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "PortalSans"
FONT_BOLD = "PortalSans-Bold"
FONT_MONO = "PortalMono"


@cache
def register_fonts() -> None:
    """Register the vendored DejaVu fonts with reportlab (once per process)."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_MONO, str(FONTS_DIR / "DejaVuSansMono.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def styles() -> StyleSheet1:
    """reportlab's sample style sheet, every style in the portal's Unicode fonts."""
    register_fonts()
    sheet = getSampleStyleSheet()
    for name in sheet.byName:
        style = sheet[name]
        if not isinstance(style, ParagraphStyle):
            continue
        if name == "Code":
            style.fontName = FONT_MONO
        elif style.fontName.endswith("-Bold") or "Bold" in style.fontName:
            style.fontName = FONT_BOLD
        else:
            style.fontName = FONT
    return sheet


def pdf_date(value: datetime) -> str:
    """A PDF date string (``D:20260630215959+00'00'``) for ``value``, in UTC."""
    return value.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


class PortalDocument(SimpleDocTemplate):
    """A4 platypus document whose creation date is the time it records, when there is one."""

    created_at: datetime | None = None

    def beforeDocument(self) -> None:  # reportlab's hook, called once the canvas exists
        if self.created_at is not None:
            stamp = pdf_date(self.created_at)
            self.canv.setDateFormatter(lambda *_parts: stamp)


def a4_document(
    buffer: str | IO[bytes],
    *,
    title: str,
    margin: float = MARGIN,
    subject: str = "",
    keywords: Sequence[str] = (),
    created_at: datetime | None = None,
) -> PortalDocument:
    register_fonts()
    document = PortalDocument(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title,
        author=settings.PORTAL_NAME,
        creator=settings.PORTAL_NAME,
        subject=subject or title,
        keywords=list(keywords),
        initialFontName=FONT,  # not Helvetica: every font of the file is the embedded one
        invariant=True,
    )
    document.created_at = created_at
    return document
