"""Helpers for the bid tests: people in every role around one bid, a complete bid, uploads."""

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Attachment, Bid, BidSection, BudgetLine, Membership
from tests.factories import (
    AdministratorFactory,
    BidFactory,
    InstitutionFactory,
    JurorProfileFactory,
    MembershipFactory,
    PartnershipFactory,
    RequiredAttachmentFactory,
    enable_totp,
    make_pdf_bytes,
)


def _administrator_with_totp():
    """Administrators read bids only with two-factor authentication on."""
    administrator = AdministratorFactory()
    enable_totp(administrator)
    return administrator


def _juror_with_totp():
    """Jurors without TOTP are stopped by the gate; with it, the bid's permissions decide."""
    juror = JurorProfileFactory().user
    enable_totp(juror)
    return juror


def pdf_upload(name: str = "document.pdf", *, pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf_bytes(pages=pages), content_type="application/pdf")


def member(institution, role: str = Membership.Role.COORDINATOR):
    return MembershipFactory(institution=institution, role=role).user


@dataclass
class Cast:
    """A bid and one user per role that matters for it."""

    bid: Bid
    coordinator: object
    editor: object
    reader: object
    partner: object
    other: object
    juror: object
    administrator: object

    def user(self, role: str):
        return getattr(self, role)


def make_cast(bid: Bid | None = None) -> Cast:
    bid = bid or BidFactory()
    partner_institution = InstitutionFactory()
    PartnershipFactory(bid=bid, institution=partner_institution)
    return Cast(
        bid=bid,
        coordinator=member(bid.lead_institution, Membership.Role.COORDINATOR),
        editor=member(bid.lead_institution, Membership.Role.EDITOR),
        reader=member(bid.lead_institution, Membership.Role.READER),
        partner=member(partner_institution, Membership.Role.COORDINATOR),
        other=member(InstitutionFactory(), Membership.Role.COORDINATOR),
        juror=_juror_with_totp(),
        administrator=_administrator_with_totp(),
    )


def fill_sections(bid: Bid, text: str = "Written.") -> None:
    for key in BidSection.Key.values:
        BidSection.objects.update_or_create(bid=bid, key=key, defaults={"content": text})


def fill_budget(bid: Bid) -> None:
    """Spread ``bid.requested_amount`` over year 1 staff (the rest zero) with co-funding."""
    BudgetLine.objects.update_or_create(
        bid=bid,
        year=1,
        category=BudgetLine.Category.STAFF,
        defaults={"requested": bid.requested_amount, "cofunding": 1_000_000},
    )


def attach(bid: Bid, required=None, *, name: str = "doc.pdf", pages: int = 1) -> Attachment:
    content = make_pdf_bytes(pages=pages)
    attachment = Attachment(
        bid=bid,
        required_attachment=required,
        original_name=name,
        size=len(content),
        pages=pages,
        sha256=hashlib.sha256(content).hexdigest(),
    )
    attachment.file.save("x.pdf", ContentFile(content), save=False)
    attachment.save()
    return attachment


def complete_bid(bid: Bid | None = None) -> Bid:
    """A bid that passes the checklist: sections, budget, one required document."""
    bid = bid or BidFactory()
    fill_sections(bid)
    fill_budget(bid)
    required = RequiredAttachmentFactory(call=bid.call, code="scientific", max_pages=10)
    attach(bid, required, name="scientific.pdf", pages=2)
    return bid
