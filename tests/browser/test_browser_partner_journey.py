"""Partner consent, end to end in Chromium.

The lead's coordinator asks two institutions to be partners. The first one's coordinator
sees only the request (the bid's pages are 404) and declines; the second one's coordinator
accepts and then reads the bid. The lead sees both answers on the consortium page.
"""

import pytest
from django.urls import reverse

from applications.models import Membership, Partnership
from tests.applications.bidkit import complete_bid
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login
from tests.factories import PASSWORD, BidFactory, InstitutionFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _coordinator(institution, email):
    return MembershipFactory(
        institution=institution, role=Membership.Role.COORDINATOR, user__email=email
    ).user


def _sign_out(page) -> None:
    page.context.clear_cookies()


def _ask(page, bid, institution) -> None:
    page.goto(reverse("applications:bid_consortium", args=[bid.public_id]))
    page.select_option("select[name=partner-institution]", str(institution.pk))
    with page.expect_navigation():
        page.click("#request-partner")
    assert_accessible(page)


def test_partner_sees_only_the_request_until_it_accepts(page):
    bid = complete_bid(BidFactory(acronym="CONSENT", title="A cluster that asks first"))
    lead = _coordinator(bid.lead_institution, "lead@journey.example")
    refusing = InstitutionFactory(name="Refusing University")
    accepting = InstitutionFactory(name="Accepting School")
    refuser = _coordinator(refusing, "refuser@journey.example")
    accepter = _coordinator(accepting, "accepter@journey.example")
    bid_url = reverse("applications:bid_detail", args=[bid.public_id])
    section_url = reverse("applications:bid_section", args=[bid.public_id, "summary"])

    # The lead asks both institutions.
    login(page, email=lead.email, password=PASSWORD)
    _ask(page, bid, refusing)
    _ask(page, bid, accepting)
    assert page.locator("#partnerships tr[data-status=requested]").count() == 2
    _sign_out(page)

    # Before answering, the partner sees the request, never the bid.
    login(page, email=refuser.email, password=PASSWORD)
    assert page.goto(bid_url).status == 404
    assert page.goto(section_url).status == 404
    page.goto(reverse("applications:dashboard"))
    with page.expect_navigation():
        page.click("#partnership-requests a")
    assert_accessible(page)
    request_row = page.locator("#requests-awaiting tbody tr")
    assert "CONSENT" in request_row.inner_text()
    assert bid.lead_institution.name in request_row.inner_text()
    assert lead.email in request_row.inner_text()
    assert "Written." not in page.content()
    with page.expect_navigation():
        page.click("#requests-awaiting .decline-partnership")
    assert_accessible(page)
    assert page.locator("#no-requests").is_visible()
    assert page.goto(bid_url).status == 404
    _sign_out(page)

    # The other partner accepts, then reads the whole bid.
    login(page, email=accepter.email, password=PASSWORD)
    assert page.goto(bid_url).status == 404
    page.goto(reverse("applications:partnerships"))
    with page.expect_navigation():
        page.click("#requests-awaiting .accept-partnership")
    assert_accessible(page)
    assert "CONSENT" in page.locator("#partnerships-accepted").inner_text()
    assert page.goto(bid_url).status == 200
    assert page.goto(section_url).status == 200
    assert page.locator("#id_content").input_value() == "Written."
    _sign_out(page)

    # The lead sees both answers.
    login(page, email=lead.email, password=PASSWORD)
    page.goto(reverse("applications:bid_consortium", args=[bid.public_id]))
    statuses = page.locator("#partnerships tr[data-status]").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    assert sorted(statuses) == ["accepted", "declined"]
    assert dict(Partnership.objects.values_list("institution__name", "status")) == {
        "Refusing University": "declined",
        "Accepting School": "accepted",
    }
