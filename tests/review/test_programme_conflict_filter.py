"""The programme's bid list filtered by conflict state (the rule:
``review.queries.conflicts.bids_in_conflict_state``, offered to applications through
``applications.queries.register_bid_list_filter``). Permissions: ``test_programme_views``."""

import pytest
from django.urls import reverse

from applications.models import Bid, Call
from tests.factories import BidFactory, CallFactory, ConflictDeclarationFactory, ConflictFactory
from tests.review.jury_setup import administrator_with_totp

pytestmark = pytest.mark.django_db

URL = "applications:programme_call_bids"


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


@pytest.fixture
def call():
    """Five bids: a confirmed conflict, a juror's declaration, a suggested conflict, a
    dismissed one, none."""
    call = CallFactory(status=Call.Status.CLOSED)
    bids = {
        acronym: BidFactory(call=call, acronym=acronym, status=Bid.Status.SUBMITTED)
        for acronym in ("CONF", "DECL", "SUGG", "DISM", "NONE")
    }
    ConflictFactory(bid=bids["CONF"], status="confirmed")
    ConflictFactory(bid=bids["CONF"], status="suggested")
    ConflictDeclarationFactory(bid=bids["DECL"], has_conflict=True)
    ConflictDeclarationFactory(bid=bids["NONE"], has_conflict=False)
    ConflictFactory(bid=bids["SUGG"], status="suggested")
    ConflictFactory(bid=bids["DISM"], status="dismissed")
    return call


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("excluding", ["CONF", "DECL"]),
        ("awaiting", ["CONF", "SUGG"]),
        ("none", ["DISM", "NONE"]),
        ("", ["CONF", "DECL", "DISM", "NONE", "SUGG"]),
    ],
)
def test_the_bid_list_filters_by_conflict_state(admin_client, call, state, expected):
    response = admin_client.get(reverse(URL, args=[call.slug]), {"conflict_state": state})

    assert [bid.acronym for bid in response.context["bids"]] == expected


def test_the_conflict_state_combines_with_the_other_filters(admin_client, call):
    Bid.objects.filter(acronym="SUGG").update(eligibility=Bid.Eligibility.INELIGIBLE)

    response = admin_client.get(
        reverse(URL, args=[call.slug]),
        {"conflict_state": "awaiting", "eligibility": "ineligible", "text": "sug"},
    )

    assert [bid.acronym for bid in response.context["bids"]] == ["SUGG"]
    assert 'value="sug"' in response.content.decode()


def test_an_unknown_conflict_state_re_renders_with_the_choice_refused(admin_client, call):
    response = admin_client.get(
        reverse(URL, args=[call.slug]), {"conflict_state": "maybe", "text": "co"}
    )

    assert response.status_code == 200
    assert list(response.context["filters"].errors) == ["conflict_state"]
    assert 'value="co"' in response.content.decode()


@pytest.mark.parametrize("size", [30, 300])
def test_the_filtered_bid_list_takes_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, size
):
    call = CallFactory(status=Call.Status.CLOSED)
    for index in range(size):
        bid = BidFactory(call=call, acronym=f"B{index:03d}", status=Bid.Status.SUBMITTED)
        if index % 3 == 0:
            ConflictFactory(bid=bid, status="suggested")

    with django_assert_max_num_queries(8):
        response = admin_client.get(
            reverse(URL, args=[call.slug]), {"conflict_state": "awaiting", "page": 2}
        )

    page = response.context["bids"]
    assert page.paginator.count == len(range(0, size, 3))
    assert [bid.acronym for bid in page] == [f"B{i:03d}" for i in range(0, size, 3)][
        (page.number - 1) * 50 : page.number * 50
    ]
