"""The submission receipt: a sealed PDF stating exactly what was submitted, and when.

``build_receipt_pdf(snapshot=..., sha256=...)`` renders the receipt of a submitted version from
its snapshot and SHA-256 and returns the PDF's bytes, signed with the portal's seal
(``portal.sealing``, PAdES). It reads nothing else, so it gives the same text whenever it
runs (in the request or in a worker); ``language`` is the recipient's (default: the active
language): amounts, sizes and times follow it through ``portal.formats``.

The PDF's metadata are true: title, the portal as author, a subject naming the bid and the
version, the submission time as creation date, and the keyword ``sha256:<hex>`` from which
the public verification page (``applications.views.receipts``) finds the version again
(``applications.queries.receipt_sha256`` reads it back).
"""

import io
from contextlib import nullcontext
from datetime import datetime
from xml.sax.saxutils import escape  # escapes text for reportlab, parses nothing # nosec B406

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from applications.queries import RECEIPT_KEYWORD_PREFIX
from portal import pdf
from portal.formats import format_bytes, format_euros, format_paris_datetime, format_utc_datetime
from portal.mail import absolute_url
from portal.sealing import seal_pdf


def build_receipt_pdf(*, snapshot: dict, sha256: str, language: str | None = None) -> bytes:
    """The sealed receipt of the version whose snapshot is ``snapshot`` and SHA-256 ``sha256``.

    States the call, the bid, the lead institution, the version number, the submission time
    in Europe/Paris (zone named) and in UTC, the version's SHA-256 and every attachment with
    its own SHA-256, and where to verify the receipt.
    """
    with translation.override(language) if language else nullcontext():
        unsigned = _render(snapshot=snapshot, sha256=sha256)
        return seal_pdf(unsigned, reason=_("Submission receipt"))


def _render(*, snapshot: dict, sha256: str) -> bytes:
    sheet = pdf.styles()
    body = sheet["BodyText"]
    small = sheet["BodyText"].clone("small", fontSize=8, leading=10)
    mono = sheet["Code"].clone("mono", fontSize=8, leading=10, leftIndent=0)
    submitted_at = datetime.fromisoformat(snapshot["submitted_at"])
    bid = snapshot["bid"]
    call = snapshot["call"]
    title = (
        call["title_en"]
        if call["title_en"] == call["title_fr"]
        else f"{call['title_en']} / {call['title_fr']}"
    )
    buffer = io.BytesIO()
    document = pdf.a4_document(
        buffer,
        title=_("Submission receipt: %(acronym)s, version %(number)s")
        % {"acronym": bid["acronym"], "number": snapshot["version"]},
        subject=_("Receipt of version %(number)s of the bid %(acronym)s to the call %(call)s")
        % {"number": snapshot["version"], "acronym": bid["acronym"], "call": title},
        keywords=[f"{RECEIPT_KEYWORD_PREFIX}{sha256}", bid["acronym"]],
        created_at=submitted_at,
    )

    def text(value: str, style=body) -> Paragraph:
        return Paragraph(escape(value), style)

    partners = ", ".join(p["name"] for p in snapshot["partners"]) or _("none")
    story: list[object] = [
        text(_("Submission receipt"), sheet["Title"]),
        text(_("Call: %(title)s") % {"title": title}),
        text(
            _("Bid: %(acronym)s — %(title)s") % {"acronym": bid["acronym"], "title": bid["title"]}
        ),
        text(_("Lead institution: %(name)s") % {"name": snapshot["lead_institution"]["name"]}),
        text(_("Partners: %(names)s") % {"names": partners}),
        text(_("Requested amount: %(amount)s") % {"amount": format_euros(bid["requested_amount"])}),
        Paragraph(
            "<b>" + escape(_("Version: %(number)s") % {"number": snapshot["version"]}) + "</b>",
            body,
        ),
        text(
            _("Submitted at: %(time)s")
            % {"time": format_paris_datetime(submitted_at, seconds=True)}
        ),
        text(_("Submitted at (UTC): %(time)s") % {"time": format_utc_datetime(submitted_at)}),
        text(_("Submitted by: %(email)s") % {"email": snapshot["submitted_by"]}),
        text(_("SHA-256 of this version:")),
        text(sha256, mono),
        Spacer(1, 3 * mm),
        text(_("Attachments"), sheet["Heading3"]),
    ]
    if not snapshot["attachments"]:
        story.append(text(_("No attachment.")))
    for item in snapshot["attachments"]:
        pages = ngettext("%(count)s page", "%(count)s pages", item["pages"]) % {
            "count": item["pages"]
        }
        story.append(
            text(
                _("%(name)s (%(pages)s, %(size)s)")
                % {"name": item["name"], "pages": pages, "size": format_bytes(item["size"])}
            )
        )
        story.append(text("SHA-256 " + item["sha256"], mono))
    story += [
        Spacer(1, 4 * mm),
        text(
            _(
                "The SHA-256 is computed over the canonical JSON of the submitted version "
                "(keys sorted, no spaces, UTF-8)."
            ),
            small,
        ),
        text(
            _(
                "This receipt carries the electronic seal of %(portal)s. Anyone can check it "
                "at %(url)s by dropping this file or entering the SHA-256 above."
            )
            % {
                "portal": document.author,
                "url": absolute_url(reverse("applications:receipt_verify")),
            },
            small,
        ),
    ]
    document.build(story)
    return buffer.getvalue()
