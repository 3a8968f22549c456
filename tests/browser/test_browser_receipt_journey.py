"""A receipt checked on the public verification page: genuine, tampered, by its SHA-256."""

import pytest

from applications.services.submission import ensure_receipt, submit_bid
from tests.applications.bidkit import complete_bid, make_cast
from tests.browser.accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receipt_verification_journey(page, tmp_path):
    cast = make_cast(complete_bid())
    version = ensure_receipt(version=submit_bid(bid=cast.bid, by=cast.coordinator))
    with version.receipt_pdf.open("rb") as handle:
        data = handle.read()
    genuine = tmp_path / "receipt.pdf"
    genuine.write_bytes(data)
    index = data.index(b"ReportLab")
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(data[:index] + b"X" + data[index + 1 :])

    page.goto("/receipts/verify/")
    assert_accessible(page)
    page.set_input_files("#id_receipt", str(genuine))
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Verify')")
    assert_accessible(page)
    assert page.locator("#verdict-genuine").is_visible()
    assert cast.bid.acronym in page.locator("#verify-result").inner_text()

    page.set_input_files("#id_receipt", str(tampered))
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Verify')")
    assert_accessible(page)
    assert page.locator("#verdict-tampered").is_visible()

    page.fill("#id_sha256", version.sha256)
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Verify')")
    assert_accessible(page)
    assert page.locator("#verdict-version").is_visible()
    assert page.locator("#verdict-genuine").count() == 0
