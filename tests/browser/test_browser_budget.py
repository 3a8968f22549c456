"""The budget and the consortium in Chromium: totals while typing, autosave, grouped amounts,
a warning before leaving changes the server has not received."""

import pytest
from django.urls import reverse

from applications.models import Bid, Membership
from applications.queries import bid_budget
from tests.applications.bidkit import member
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login
from tests.factories import PASSWORD, BidFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bid():
    return BidFactory(requested_amount=50_000_000, minimum_amount=30_000_000)


@pytest.fixture
def dialogs(page):
    """Leave-page prompts the page raised; each is dismissed (the user stays on the page)."""
    seen: list[str] = []

    def on_dialog(dialog):
        seen.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


def test_budget_totals_update_while_typing_and_autosave_keeps_the_servers(page, bid):
    editor = member(bid.lead_institution, Membership.Role.EDITOR)
    login(page, email=editor.email, password=PASSWORD)
    page.goto(reverse("applications:bid_budget", args=[bid.public_id]))

    page.fill("input[name=requested_1_staff]", "30000000")
    page.fill("input[name=requested_2_staff]", "20000000")
    # Summed before any answer of the server, grouped as English groups them.
    assert page.inner_text("[data-total='requested-staff']") == "€50,000,000"
    assert page.inner_text("[data-total='requested-year-2']") == "€20,000,000"
    assert page.inner_text("#budget-total-requested") == "€50,000,000"

    page.wait_for_selector("#autosave-status.text-success")
    assert page.inner_text("#autosave-status").startswith("Saved at ")
    page.wait_for_selector("#budget-check[data-matches=true]")
    assert_accessible(page)
    assert bid_budget(bid=bid).total_requested == 50_000_000
    assert Bid.objects.get(pk=bid.pk).budget_version == 2
    # Leaving a cell groups its digits.
    page.click("input[name=cofunding_1_staff]")
    assert page.input_value("input[name=requested_2_staff]") == "20,000,000"


def test_leaving_the_budget_with_unsaved_figures_warns_first(page, bid, dialogs):
    editor = member(bid.lead_institution, Membership.Role.EDITOR)
    login(page, email=editor.email, password=PASSWORD)
    page.goto(reverse("applications:bid_budget", args=[bid.public_id]))
    page.context.set_offline(True)
    page.click("input[name=requested_1_staff]")
    page.fill("input[name=requested_1_staff]", "12 000 000")
    page.wait_for_selector("#autosave-status.text-danger")
    page.context.set_offline(False)

    page.click("#bid-nav >> text=Consortium")
    page.wait_for_timeout(500)

    assert dialogs == ["beforeunload"]
    assert "/budget/" in page.url
    assert page.input_value("input[name=requested_1_staff]") == "12,000,000"


def test_leaving_the_consortium_with_unsaved_changes_warns_first(page, bid, dialogs):
    coordinator = member(bid.lead_institution, Membership.Role.COORDINATOR)
    login(page, email=coordinator.email, password=PASSWORD)
    page.goto(reverse("applications:bid_consortium", args=[bid.public_id]))
    assert page.input_value("input[name=requested_amount]") == "50,000,000"
    page.click("input[name=title]")
    page.fill("input[name=title]", "A title not saved yet")

    page.click("#bid-nav >> text=Budget")
    page.wait_for_timeout(500)

    assert dialogs == ["beforeunload"]
    assert "/consortium/" in page.url
