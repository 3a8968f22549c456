"""Kept drafts in Chromium: tied to the user and the version they were typed on, merged (never
overwriting a colleague's text) when the server moved on, cleared at sign-out."""

import pytest
from django.urls import reverse

from applications.models import BidSection, Membership
from tests.applications.bidkit import member
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login
from tests.factories import PASSWORD, BidFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bid():
    bid = BidFactory()
    BidSection.objects.create(bid=bid, key="research", content="Original plan.")
    return bid


def _section_url(bid) -> str:
    return reverse("applications:bid_section", args=[bid.public_id, "research"])


def _other_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _draft_keys(page) -> list[str]:
    return page.evaluate(
        "Object.keys(localStorage).filter(function (k) { return k.indexOf('portal-draft:') === 0; })"
    )


def test_restore_after_a_colleague_saved_shows_both_texts_and_overwrites_nothing(
    page, browser, live_server, bid
):
    colleague = member(bid.lead_institution, Membership.Role.EDITOR)
    me = member(bid.lead_institution, Membership.Role.EDITOR)
    other_context, other = _other_page(browser, live_server)
    try:
        # Both open the section at version 1.
        login(page, email=me.email, password=PASSWORD)
        page.goto(_section_url(bid))
        login(other, email=colleague.email, password=PASSWORD)
        other.goto(_section_url(bid))
        assert_accessible(other)

        # The colleague adds a paragraph; it is saved (version 2).
        other.fill("textarea[name=content]", "Original plan.\n\nTheir addition.")
        other.wait_for_selector("#autosave-status.text-success")
        # My autosave, from version 1, is refused: my text stays in this browser.
        page.fill("textarea[name=content]", "Original plan.\n\nMy addition.")
        page.wait_for_selector("#autosave-status.text-danger")
        assert "Someone else" in page.inner_text("#autosave-status")

        # After a reload both texts are side by side; the saved one is untouched.
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(_section_url(bid))
        page.wait_for_selector("#autosave-merge:not(.d-none)")
        assert_accessible(page)
        assert page.inner_text("#autosave-merge .merge-theirs") == (
            "Original plan.\n\nTheir addition."
        )
        assert page.inner_text("#autosave-merge .merge-yours") == "Original plan.\n\nMy addition."
        assert page.input_value("textarea[name=content]") == "Original plan.\n\nTheir addition."
        assert page.is_hidden("#autosave-restore")
        saved = BidSection.objects.get(bid=bid, key="research")
        assert (saved.content, saved.version) == ("Original plan.\n\nTheir addition.", 2)

        # Only when I ask: mine goes below theirs, and the merge is saved from version 2.
        page.click("#autosave-merge-use")
        page.wait_for_selector("#autosave-status.text-success")
        saved.refresh_from_db()
        assert saved.content == (
            "Original plan.\n\nTheir addition.\n\nOriginal plan.\n\nMy addition."
        )
        assert saved.version == 3
        assert _draft_keys(page) == []
    finally:
        other_context.close()


def test_same_version_offers_restore_and_another_user_is_never_offered_it(page, live_server, bid):
    me = member(bid.lead_institution, Membership.Role.EDITOR)
    colleague = member(bid.lead_institution, Membership.Role.EDITOR)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, email=me.email, password=PASSWORD)
    page.goto(_section_url(bid))
    # Typed while the server could not be reached: the text is kept in this browser.
    page.context.set_offline(True)
    page.fill("textarea[name=content]", "Typed offline.")
    page.wait_for_selector("#autosave-status.text-danger")
    page.context.set_offline(False)
    assert _draft_keys(page) == [f"portal-draft:{me.pk}:{bid.public_id}:research"]

    # The session is lost (cookies gone) and a colleague signs in on this browser.
    page.context.clear_cookies()
    login(page, email=colleague.email, password=PASSWORD)
    page.goto(_section_url(bid))
    assert page.is_hidden("#autosave-restore")
    assert page.is_hidden("#autosave-merge")
    assert page.input_value("textarea[name=content]") == "Original plan."

    # Back as me: nobody saved since, so my text is offered back as it was.
    page.context.clear_cookies()
    login(page, email=me.email, password=PASSWORD)
    page.goto(_section_url(bid))
    page.wait_for_selector("#autosave-restore:not(.d-none)")
    assert_accessible(page)
    page.click("#autosave-restore-yes")
    page.wait_for_selector("#autosave-status.text-success")
    assert BidSection.objects.get(bid=bid, key="research").content == "Typed offline."


def test_sign_out_clears_my_kept_drafts(page, live_server, bid):
    me = member(bid.lead_institution, Membership.Role.EDITOR)
    colleague = member(bid.lead_institution, Membership.Role.EDITOR)
    login(page, email=me.email, password=PASSWORD)
    page.goto(_section_url(bid))
    page.context.set_offline(True)
    page.fill("textarea[name=content]", "Not for my colleague.")
    page.wait_for_selector("#autosave-status.text-danger")
    page.context.set_offline(False)
    assert len(_draft_keys(page)) == 1

    # Signing out (past the warning about unsaved text) forgets it in this browser.
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("nav form[action='/accounts/logout/'] button")
    assert_accessible(page)
    assert _draft_keys(page) == []

    login(page, email=colleague.email, password=PASSWORD)
    page.goto(_section_url(bid))
    assert page.is_hidden("#autosave-restore")
    assert page.is_hidden("#autosave-merge")
