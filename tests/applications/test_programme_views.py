from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from applications.models import Bid, BidVersion, Call, Institution
from tests.factories import (
    AdministratorFactory,
    BidFactory,
    CallFactory,
    ExternalPartnerFactory,
    InstitutionFactory,
    JurorProfileFactory,
    MembershipFactory,
    PartnershipFactory,
    UserFactory,
    enable_totp,
)

pytestmark = pytest.mark.django_db


def administrator_with_totp():
    """Administrators need TOTP for the programme pages and the Django admin."""
    user = AdministratorFactory()
    enable_totp(user)
    return user


# Programme pages: administrators only. Institution members and jurors get 403.
PERMISSIONS = [
    ("anonymous", 302),
    ("other", 403),
    ("reader", 403),
    ("editor", 403),
    ("coordinator", 403),
    ("juror", 403),
    ("administrator", 200),
]


def _closed_call(**kwargs) -> Call:
    now = timezone.now()
    kwargs.setdefault("status", Call.Status.CLOSED)
    return CallFactory(
        opens_at=now - timedelta(days=60), closes_at=now - timedelta(hours=1), **kwargs
    )


@pytest.fixture
def bid():
    return BidFactory(call=_closed_call(), status=Bid.Status.SUBMITTED)


def _login(client, role: str, bid: Bid):
    if role == "anonymous":
        return None
    if role == "other":
        user = MembershipFactory().user
    elif role in {"reader", "editor", "coordinator"}:
        user = MembershipFactory(institution=bid.lead_institution, role=role).user
    elif role == "juror":
        # With TOTP, past the gate: the programme's permission refuses jurors.
        user = JurorProfileFactory().user
        enable_totp(user)
    else:
        user = administrator_with_totp()
    client.force_login(user)
    return user


def _add_version(bid: Bid, number: int = 1) -> BidVersion:
    return BidVersion.objects.create(
        bid=bid,
        number=number,
        snapshot={},
        sha256="0" * 64,
        receipt_pdf="receipts/x.pdf",
        submitted_at=timezone.now(),
        submitted_by=UserFactory(),
    )


@pytest.mark.parametrize(("role", "expected"), PERMISSIONS)
def test_admin_dashboard_by_role(client, bid, role, expected):
    _login(client, role, bid)

    response = client.get(reverse("applications:admin_dashboard"))

    assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), PERMISSIONS)
def test_call_detail_by_role(client, bid, role, expected):
    _login(client, role, bid)

    response = client.get(reverse("applications:programme_call", args=[bid.call.slug]))

    assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), PERMISSIONS)
def test_call_bids_by_role(client, bid, role, expected):
    _login(client, role, bid)

    response = client.get(reverse("applications:programme_call_bids", args=[bid.call.slug]))

    assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), PERMISSIONS)
def test_screen_page_by_role(client, bid, role, expected):
    _login(client, role, bid)

    response = client.get(
        reverse("applications:programme_bid_screen", args=[bid.call.slug, bid.public_id])
    )

    assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), PERMISSIONS)
def test_call_transition_by_role(client, role, expected):
    call = CallFactory(status=Call.Status.DRAFT)
    bid = BidFactory(call=call)
    _login(client, role, bid)

    response = client.post(
        reverse("applications:programme_call_transition", args=[call.slug]),
        {"to_status": Call.Status.OPEN},
    )

    call.refresh_from_db()
    assert response.status_code == (302 if expected == 200 else expected)
    assert call.status == (Call.Status.OPEN if expected == 200 else Call.Status.DRAFT)


def test_call_detail_shows_only_allowed_transitions(client):
    call = CallFactory(status=Call.Status.OPEN)  # deadline in 30 days: cannot close yet
    client.force_login(administrator_with_totp())

    response = client.get(reverse("applications:programme_call", args=[call.slug]))

    assert response.context["transitions"] == []
    assert 'id="no-transition"' in response.content.decode()


def test_call_transition_refused_shows_the_reason_with_409(client):
    call = CallFactory(status=Call.Status.OPEN)
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("applications:programme_call_transition", args=[call.slug]),
        {"to_status": Call.Status.CLOSED},
    )

    call.refresh_from_db()
    assert response.status_code == 409
    assert "has not passed yet" in response.content.decode()
    assert call.status == Call.Status.OPEN


def test_call_transition_get_is_not_allowed(client):
    call = CallFactory(status=Call.Status.DRAFT)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("applications:programme_call_transition", args=[call.slug]))

    assert response.status_code == 405


def test_call_detail_unknown_call_is_404(client):
    client.force_login(administrator_with_totp())

    response = client.get(reverse("applications:programme_call", args=["nope"]))

    assert response.status_code == 404


# -- list pages: counts and query pins -----------------------------------------------------


def test_admin_dashboard_counts_bids_per_status(client):
    call = _closed_call()
    BidFactory.create_batch(2, call=call, status=Bid.Status.DRAFT)
    BidFactory(call=call, status=Bid.Status.SUBMITTED, eligibility=Bid.Eligibility.ELIGIBLE)
    BidFactory(call=call, status=Bid.Status.WITHDRAWN)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("applications:admin_dashboard"))

    row = response.context["calls"].get(pk=call.pk)
    assert (row.bids_total, row.bids_draft, row.bids_submitted, row.bids_withdrawn) == (4, 2, 1, 1)
    assert (row.bids_eligible, row.bids_ineligible) == (1, 0)


@pytest.mark.parametrize("n_calls", [1, 10])
def test_admin_dashboard_query_count_is_constant(client, django_assert_max_num_queries, n_calls):
    for _ in range(n_calls):
        call = CallFactory()
        BidFactory.create_batch(2, call=call)
    client.force_login(administrator_with_totp())

    # session, user, TOTP check, juror-profile check in base.html, ONE query for the calls
    with django_assert_max_num_queries(5):
        response = client.get(reverse("applications:admin_dashboard"))

    assert len(response.context["calls"]) == n_calls


def test_call_bids_lists_partners_amount_and_latest_version(client):
    call = _closed_call()
    bid = BidFactory(call=call, status=Bid.Status.SUBMITTED, requested_amount=42_000_000)
    PartnershipFactory(bid=bid)
    ExternalPartnerFactory(bid=bid)
    _add_version(bid, 1)
    _add_version(bid, 2)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("applications:programme_call_bids", args=[call.slug]))

    (row,) = response.context["bids"]
    assert (row.partners_count, row.latest_version_number) == (2, 2)
    assert "42,000,000" in response.content.decode()


@pytest.mark.parametrize("n_bids", [1, 10])
def test_call_bids_query_count_is_constant(client, django_assert_max_num_queries, n_bids):
    call = _closed_call()
    for _ in range(n_bids):
        bid = BidFactory(call=call, status=Bid.Status.SUBMITTED)
        PartnershipFactory(bid=bid)
        _add_version(bid)
    client.force_login(administrator_with_totp())

    # session, user, TOTP check, the call (permission check and view), the count of the
    # bids (pagination) and ONE query for the page of bids
    with django_assert_max_num_queries(8):
        response = client.get(reverse("applications:programme_call_bids", args=[call.slug]))

    assert len(response.context["bids"]) == n_bids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "submitted"}, ["INE", "SUB"]),
        ({"status": "draft"}, ["DRA"]),
        ({"eligibility": "ineligible"}, ["INE"]),
        ({"status": "submitted", "eligibility": "pending"}, ["SUB"]),
        ({}, ["DRA", "INE", "SUB"]),
    ],
)
def test_call_bids_filters(client, query, expected):
    call = _closed_call()
    BidFactory(call=call, acronym="SUB", status=Bid.Status.SUBMITTED)
    BidFactory(call=call, acronym="DRA", status=Bid.Status.DRAFT)
    BidFactory(
        call=call,
        acronym="INE",
        status=Bid.Status.SUBMITTED,
        eligibility=Bid.Eligibility.INELIGIBLE,
    )
    client.force_login(administrator_with_totp())

    response = client.get(reverse("applications:programme_call_bids", args=[call.slug]), query)

    assert [b.acronym for b in response.context["bids"]] == expected


def test_call_bids_only_lists_the_calls_bids(client, bid):
    BidFactory(acronym="ELSEWHERE")
    client.force_login(administrator_with_totp())

    response = client.get(reverse("applications:programme_call_bids", args=[bid.call.slug]))

    assert [b.pk for b in response.context["bids"]] == [bid.pk]


# -- screening through the page --------------------------------------------------------------


def _screen_url(bid: Bid) -> str:
    return reverse("applications:programme_bid_screen", args=[bid.call.slug, bid.public_id])


def test_screen_records_ineligibility_with_reason(client, bid):
    admin = administrator_with_totp()
    client.force_login(admin)

    response = client.post(_screen_url(bid), {"eligible": "no", "reason": "No partner school."})

    bid.refresh_from_db()
    assert response.url == reverse("applications:programme_call_bids", args=[bid.call.slug])
    assert (bid.eligibility, bid.eligibility_reason) == ("ineligible", "No partner school.")
    assert bid.eligibility_decided_by == admin


@pytest.mark.parametrize("role", ["coordinator", "juror", "other"])
def test_screen_post_refused_for_non_administrators(client, bid, role):
    _login(client, role, bid)

    response = client.post(_screen_url(bid), {"eligible": "yes", "reason": ""})

    bid.refresh_from_db()
    assert response.status_code == 403
    assert bid.eligibility == Bid.Eligibility.PENDING


def test_screen_ineligible_without_reason_keeps_the_choice(client, bid):
    client.force_login(administrator_with_totp())

    response = client.post(_screen_url(bid), {"eligible": "no", "reason": ""})

    bid.refresh_from_db()
    assert response.status_code == 200
    assert "Give the reason why the bid is ineligible." in response.content.decode()
    assert response.context["form"].data["eligible"] == "no"
    assert bid.eligibility == Bid.Eligibility.PENDING


def test_screen_before_the_deadline_is_refused_with_409(client):
    bid = BidFactory(status=Bid.Status.SUBMITTED)  # open call, closing in 30 days
    client.force_login(administrator_with_totp())

    response = client.post(_screen_url(bid), {"eligible": "yes", "reason": ""})

    bid.refresh_from_db()
    assert response.status_code == 409
    assert "after the call has closed" in response.content.decode()
    assert bid.eligibility == Bid.Eligibility.PENDING


def test_screen_bid_of_another_call_slug_is_404(client, bid):
    client.force_login(administrator_with_totp())
    other_call = CallFactory()

    response = client.get(
        reverse("applications:programme_bid_screen", args=[other_call.slug, bid.public_id])
    )

    assert response.status_code == 404


def test_eligibility_badge_partial_shows_the_reason(bid):
    bid.eligibility = Bid.Eligibility.INELIGIBLE
    bid.eligibility_reason = "Budget exceeds the ceiling."

    html = render_to_string("applications/partials/eligibility_badge.html", {"bid": bid})

    assert "Budget exceeds the ceiling." in html
    assert "Ineligible" in html


@pytest.mark.parametrize(
    "name", ["applications:admin_dashboard", "applications:programme_call_bids"]
)
def test_programme_pages_send_an_administrator_without_totp_to_set_it_up(client, bid, name):
    client.force_login(AdministratorFactory())
    url = (
        reverse(name)
        if name == "applications:admin_dashboard"
        else reverse(name, args=[bid.call.slug])
    )

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))


def test_programme_pages_relaxed_mfa_in_demo_lets_the_administrator_in(client, bid, settings):
    settings.PORTAL_DEMO_RELAX_MFA = True
    client.force_login(AdministratorFactory())

    response = client.get(reverse("applications:admin_dashboard"))

    assert response.status_code == 200


def _many_bids(call, count: int) -> None:
    leads = Institution.objects.bulk_create([InstitutionFactory.build() for _ in range(count)])
    Bid.objects.bulk_create(
        [
            BidFactory.build(
                call=call,
                lead_institution=leads[index],
                acronym=f"B{index:04d}",
                title=f"Project {'robotics' if index % 3 == 0 else 'health'} {index}",
                requested_amount=1_000_000 + index,
                minimum_amount=500_000,
                status=Bid.Status.SUBMITTED,
            )
            for index in range(count)
        ]
    )


@pytest.mark.parametrize("n_bids", [30, 300])
def test_call_bids_shows_one_page_in_fixed_queries(client, django_assert_max_num_queries, n_bids):
    call = _closed_call()
    _many_bids(call, n_bids)
    client.force_login(administrator_with_totp())
    url = reverse("applications:programme_call_bids", args=[call.slug])

    # One more query than the unpaginated list: the count of the filtered bids.
    with django_assert_max_num_queries(8):
        response = client.get(url, {"sort": "-requested", "text": "robotics", "page": 2})

    page = response.context["bids"]
    matching = [i for i in range(n_bids) if i % 3 == 0]
    expected = [f"B{i:04d}" for i in sorted(matching, reverse=True)[50:100]] or [
        f"B{i:04d}" for i in sorted(matching, reverse=True)
    ]
    assert [bid.acronym for bid in page] == expected
    assert page.paginator.count == len(matching)


def test_call_bids_page_links_keep_the_filters(client):
    call = _closed_call()
    _many_bids(call, 120)
    client.force_login(administrator_with_totp())

    response = client.get(
        reverse("applications:programme_call_bids", args=[call.slug]),
        {"status": "submitted", "sort": "requested"},
    )

    assert 'href="?status=submitted&amp;sort=requested&amp;page=2"' in response.content.decode()


def test_call_bids_refuses_an_unknown_sort_with_a_message(client):
    call = _closed_call()
    _many_bids(call, 2)
    client.force_login(administrator_with_totp())

    response = client.get(
        reverse("applications:programme_call_bids", args=[call.slug]),
        {"sort": "password", "text": "robotics"},
    )

    assert response.status_code == 200
    assert response.context["filters"].errors["sort"] == [
        "Select a valid choice. password is not one of the available choices."
    ]
    assert response.context["filters"]["text"].value() == "robotics"
