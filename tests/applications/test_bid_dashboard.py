"""The dashboard: the user's bids in one query, completeness, starting a bid."""

import pytest
from django.urls import reverse

from applications.models import Bid, BidSection, Membership
from applications.queries import bid_checklist, dashboard_bids, missing_items
from tests.applications.bidkit import complete_bid, member
from tests.factories import (
    BidFactory,
    CallFactory,
    InstitutionFactory,
    JurorProfileFactory,
    PartnershipFactory,
    RequiredAttachmentFactory,
    enable_totp,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/bids/"


def test_dashboard_anonymous_redirects_to_login(client):
    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_dashboard_url_is_bids():
    assert reverse("applications:dashboard") == DASHBOARD


def test_dashboard_lists_lead_and_partner_bids_only(client):
    institution = InstitutionFactory()
    user = member(institution, Membership.Role.READER)
    led = BidFactory(lead_institution=institution, acronym="LED")
    partnered = BidFactory(acronym="PARTNER")
    PartnershipFactory(bid=partnered, institution=institution)
    BidFactory(acronym="FOREIGN")
    client.force_login(user)

    response = client.get(DASHBOARD)

    acronyms = [bid.acronym for bid in response.context["bids"]]
    assert sorted(acronyms) == ["LED", "PARTNER"]
    html = response.content.decode()
    assert str(led.public_id) in html
    assert "FOREIGN" not in html


def _institution_with_bids(count: int):
    institution = InstitutionFactory()
    user = member(institution, Membership.Role.COORDINATOR)
    for _ in range(count):
        call = CallFactory()
        RequiredAttachmentFactory(call=call)
        bid = complete_bid(BidFactory(call=call, lead_institution=institution))
        PartnershipFactory(bid=bid)
    return user


@pytest.mark.parametrize("count", [1, 10])
def test_dashboard_query_count_does_not_grow_with_bids(
    client, django_assert_max_num_queries, count
):
    user = _institution_with_bids(count)
    client.force_login(user)

    # session, user, memberships, the bids (one query), start options (3 queries), calls,
    # the partnership requests awaiting an answer (a count).
    with django_assert_max_num_queries(9):
        response = client.get(DASHBOARD)

    assert len(response.context["bids"]) == count


def test_dashboard_missing_count_agrees_with_checklist():
    institution = InstitutionFactory()
    user = member(institution)
    complete = complete_bid(BidFactory(lead_institution=institution))
    RequiredAttachmentFactory(call=complete.call, code="second")
    partial = BidFactory(lead_institution=institution, requested_amount=5, minimum_amount=0)
    BidSection.objects.create(bid=partial, key="summary", content="  \n ")
    BidSection.objects.create(bid=partial, key="research", content="Text.")

    rows = {bid.pk: bid for bid in dashboard_bids(user=user)}

    for bid in (complete, partial):
        assert missing_items(rows[bid.pk]) == len(bid_checklist(bid=bid).missing)
    assert missing_items(rows[complete.pk]) == 1


def test_dashboard_shows_start_form_to_editor(client):
    institution = InstitutionFactory()
    CallFactory()
    client.force_login(member(institution, Membership.Role.EDITOR))

    response = client.get(DASHBOARD)

    html = response.content.decode()
    assert 'id="start-bid-form"' in html
    assert 'name="acronym"' in html
    assert 'name="institution"' in html


def test_dashboard_hides_start_form_from_reader(client):
    institution = InstitutionFactory()
    CallFactory()
    client.force_login(member(institution, Membership.Role.READER))

    response = client.get(DASHBOARD)

    assert b'id="start-bid-form"' not in response.content


def _start(client, call, institution, acronym="NEWAI"):
    return client.post(
        reverse("applications:bid_start"),
        {"call": call.pk, "institution": institution.pk, "acronym": acronym, "title": "New AI"},
    )


def test_start_bid_creates_draft_with_sections(client):
    institution = InstitutionFactory()
    call = CallFactory()
    user = member(institution, Membership.Role.EDITOR)
    client.force_login(user)

    response = _start(client, call, institution)

    bid = Bid.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("applications:bid_detail", args=[bid.public_id])
    assert (bid.lead_institution, bid.call, bid.status, bid.created_by) == (
        institution,
        call,
        Bid.Status.DRAFT,
        user,
    )
    assert sorted(bid.sections.values_list("key", flat=True)) == sorted(BidSection.Key.values)


def test_start_second_bid_same_call_and_lead_is_refused(client):
    institution = InstitutionFactory()
    call = CallFactory()
    client.force_login(member(institution, Membership.Role.COORDINATOR))
    _start(client, call, institution)

    response = _start(client, call, institution, acronym="AGAIN")

    assert response.status_code == 403
    assert Bid.objects.count() == 1


def test_start_bid_reader_is_refused(client):
    institution = InstitutionFactory()
    call = CallFactory()
    client.force_login(member(institution, Membership.Role.READER))

    response = _start(client, call, institution)

    assert response.status_code == 403
    assert Bid.objects.count() == 0


def test_start_bid_for_another_institution_is_refused(client):
    mine = InstitutionFactory()
    theirs = InstitutionFactory()
    call = CallFactory()
    client.force_login(member(mine, Membership.Role.COORDINATOR))

    response = _start(client, call, theirs)

    assert response.status_code == 200
    assert Bid.objects.count() == 0


def test_start_bid_on_closed_call_is_refused(client):
    institution = InstitutionFactory()
    open_call = CallFactory()
    closed = CallFactory(status="closed")
    client.force_login(member(institution, Membership.Role.COORDINATOR))

    response = _start(client, closed, institution)

    assert response.status_code == 200
    assert Bid.objects.count() == 0
    assert open_call.bids.count() == 0


def _juror_with_totp():
    """Past the TOTP gate, so that the bid rules decide."""
    user = JurorProfileFactory().user
    enable_totp(user)
    return user


def test_start_bid_juror_is_refused(client):
    CallFactory()
    client.force_login(_juror_with_totp())

    response = client.post(reverse("applications:bid_start"), {})

    assert response.status_code == 403


def test_dashboard_juror_sees_no_bid(client):
    BidFactory()
    client.force_login(_juror_with_totp())

    response = client.get(DASHBOARD)

    assert list(response.context["bids"]) == []
