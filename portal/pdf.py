"""The portal's A4 documents (whole bid, decision letter, jury report): one page layout.

Every PDF the portal writes is built with reportlab's platypus on this template, with the
same margins, an author line and ``invariant`` output (the same content gives the same
bytes, so a file's SHA-256 is reproducible).
"""

from typing import IO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN  # the text width, for tables and drawings


def a4_document(
    buffer: str | IO[bytes], *, title: str, margin: float = MARGIN
) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title,
        author="IA-cluster portal",
        invariant=True,
    )
