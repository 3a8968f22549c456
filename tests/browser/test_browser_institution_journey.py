"""The institution's journey, end to end in Chromium, as a new user would do it.

Register an account (with e-mail verification), register an institution, invite a
colleague, write a bid (consortium, every section, budget, PDFs), submit it and download
the receipt.
"""

import re

import pytest
from django.core import mail
from pypdf import PdfReader

from applications.models import Bid, BidVersion, Invitation
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login
from tests.factories import CallFactory, RequiredAttachmentFactory, make_pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "coordinator@univ-example-journey.fr"
PASSWORD = "A-long-and-unusual-passphrase-2026"


def _link_in_last_mail() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def test_new_user_registers_institution_writes_submits_and_downloads_receipt(page, tmp_path):
    call = CallFactory(title_en="AI clusters", min_amount=10_000_000, max_amount=100_000_000)
    RequiredAttachmentFactory(call=call, code="project", name_en="Scientific project")
    pdf_path = tmp_path / "project.pdf"
    pdf_path.write_bytes(make_pdf_bytes(pages=3))

    # An account, verified by the link in the e-mail.
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=first_name]", "Camille")
    page.fill("input[name=last_name]", "Journée")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert_accessible(page)
    page.goto(_link_in_last_mail())
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert_accessible(page)
    login(page, email=EMAIL, password=PASSWORD)

    # The institution, of which the user becomes coordinator; a colleague is invited.
    page.goto("/institutions/new/")
    page.fill("input[name=name]", "Université de la Journée")
    page.select_option("select[name=kind]", "university")
    page.fill("input[name=city]", "Nantes")
    page.select_option("select[name=identifier_type]", "uai")
    page.fill("input[name=identifier]", "0751717J")
    page.fill("input[name=email_domain]", "univ-example-journey.fr")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert_accessible(page)
    page.fill("#invite-form input[name=email]", "colleague@univ-example-journey.fr")
    page.select_option("#invite-form select[name=role]", "editor")
    with page.expect_navigation():
        page.click("#invite-form button[type=submit]")
    assert_accessible(page)
    assert Invitation.objects.get().email == "colleague@univ-example-journey.fr"
    assert mail.outbox[-1].to == ["colleague@univ-example-journey.fr"]

    # The bid: consortium, every section, the budget and the PDF.
    page.goto("/bids/")
    page.fill("#start-bid-form input[name=acronym]", "JOURNEY")
    page.fill("#start-bid-form input[name=title]", "An AI cluster in Nantes")
    with page.expect_navigation():
        page.click("#start-bid-submit")
    assert_accessible(page)
    bid = Bid.objects.get(acronym="JOURNEY")
    base = f"/bids/{bid.public_id}"
    page.goto(f"{base}/consortium/")
    page.fill("input[name=requested_amount]", "50 000 000")
    page.fill("input[name=minimum_amount]", "30 000 000")
    with page.expect_navigation():
        page.click("#save-consortium")
    assert_accessible(page)
    for key in [
        "summary",
        "research",
        "training",
        "attractiveness",
        "transfer",
        "governance",
        "indicators",
    ]:
        page.goto(f"{base}/sections/{key}/")
        page.fill("textarea[name=content]", f"Our plan for {key}.")
        with page.expect_navigation():
            page.click("#save-section")
        assert_accessible(page)
    page.goto(f"{base}/budget/")
    page.fill("input[name=requested_1_staff]", "30 000 000")
    page.fill("input[name=requested_2_equipment]", "20 000 000")
    page.fill("input[name=cofunding_1_staff]", "10 000 000")
    with page.expect_navigation():
        page.click("#save-budget")
    assert_accessible(page)
    page.goto(f"{base}/attachments/")
    page.set_input_files("#file-project", str(pdf_path))
    with page.expect_navigation():
        page.click("#upload-project button[type=submit]")
    assert_accessible(page)

    # Submission and the receipt.
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.click("#submit-bid")
    assert_accessible(page)
    assert "Submit the bid — JOURNEY — " in page.title()
    with page.expect_navigation():
        page.click("#confirm-submit")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.click(".receipt-link >> nth=0")
    receipt = tmp_path / "receipt.pdf"
    download_info.value.save_as(receipt)

    version = BidVersion.objects.get(bid=bid)
    assert version.snapshot["sections"]["summary"] == "Our plan for summary."
    text = "".join(p.extract_text() for p in PdfReader(receipt).pages)
    assert version.sha256 in text.replace("\n", "")
    assert Bid.objects.get(pk=bid.pk).status == "submitted"
