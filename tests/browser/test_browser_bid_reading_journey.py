"""The whole bid before it is sent, in Chromium: the preview as the jury will read it, the
differences since the last submitted version, and a section's limit with its live counter."""

import re

import pytest
from playwright.sync_api import expect

from applications.models import BidSection, Membership
from applications.services.bids import save_section
from applications.services.submission import submit_bid
from tests.applications.bidkit import complete_bid, member
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login
from tests.factories import PASSWORD, SectionGuidanceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _write(bid, key, text, by):
    section = BidSection.objects.get(bid=bid, key=key)
    save_section(bid=bid, key=key, content=text, version=section.version, by=by)


def test_member_previews_the_draft_and_sees_the_changes_since_the_last_version(page):
    bid = complete_bid()
    coordinator = member(bid.lead_institution, Membership.Role.COORDINATOR)
    _write(bid, "research", "Our teams publish at NeurIPS.", coordinator)
    submit_bid(bid=bid, by=coordinator)
    _write(bid, "research", "Our teams publish at NeurIPS and ICML.", coordinator)
    login(page, email=coordinator.email, password=PASSWORD)

    page.goto(f"/bids/{bid.public_id}/")
    page.click("#bid-nav >> text=Preview: the whole bid")
    page.wait_for_url(f"**/bids/{bid.public_id}/preview/")
    assert_accessible(page)
    expect(page.locator("#bid-reading")).to_contain_text("Our teams publish at NeurIPS and ICML.")
    expect(page.locator("#preview-notice")).to_contain_text("working copy")

    page.click("#preview-states >> text=Version 1")
    page.wait_for_url(f"**/bids/{bid.public_id}/versions/1/")
    assert_accessible(page)
    expect(page.locator("#bid-reading")).to_contain_text("Our teams publish at NeurIPS.")
    expect(page.locator("#bid-reading")).not_to_contain_text("ICML")
    with page.expect_download() as download:
        page.click("#preview-pdf")
    assert download.value.suggested_filename.endswith("-v1.pdf")

    page.click("text=Changes since the last submitted version")
    page.wait_for_url(re.compile(r".*/compare/$"))
    assert_accessible(page)
    research = page.locator('.diff-section[data-section="research"]')
    expect(research.locator("del")).to_have_text("NeurIPS.")
    expect(research.locator("ins")).to_have_text("NeurIPS and ICML.")
    expect(page.locator('.diff-section[data-section="summary"]')).to_contain_text("Unchanged.")

    page.click("#bid-nav >> text=History and changes")
    page.wait_for_url(f"**/bids/{bid.public_id}/history/")
    assert_accessible(page)
    expect(page.locator('#history tr[data-version="1"]')).to_contain_text(coordinator.email)
    expect(page.locator('#section-edits tr[data-section="research"]')).to_contain_text(
        coordinator.email
    )


def test_editor_sees_the_limit_counter_and_an_over_limit_autosave_keeps_the_text(page):
    bid = complete_bid()
    SectionGuidanceFactory(call=bid.call, section="research", limit=40, limit_unit="chars")
    editor = member(bid.lead_institution, Membership.Role.EDITOR)
    login(page, email=editor.email, password=PASSWORD)

    page.goto(f"/bids/{bid.public_id}/sections/research/")
    expect(page.locator("#section-guidance")).to_contain_text("At most 40 characters.")
    counter = page.locator("#section-counter")
    expect(counter).to_contain_text("8 of 40")  # "Written." from complete_bid

    # Exactly the limit, with an emoji counted once and a line break counted once: saved.
    text = "👍 fifteen\n" + "x" * 30  # 1 + 1 + 7 + 1 + 30
    page.fill("#id_content", text)
    expect(counter).to_contain_text("40 of 40")
    expect(page.locator("#autosave-status")).to_contain_text("Saved at")
    assert BidSection.objects.get(bid=bid, key="research").content == text

    # One more: the counter warns, the server refuses, the text stays in the editor.
    page.fill("#id_content", text + "y")
    expect(counter).to_contain_text("41 of 40")
    expect(page.locator("#section-counter-over")).to_contain_text("1 over the limit")
    expect(page.locator("#autosave-status")).to_contain_text(
        "Not saved: this section is limited to 40 characters and your text has 41."
    )
    assert_accessible(page)
    expect(page.locator("#id_content")).to_have_value(text + "y")
    assert BidSection.objects.get(bid=bid, key="research").content == text
