"""The administrators' list of jurors: one page, searched and sorted on the server, in a
constant number of queries (permissions: ``test_jurors.py`` and ``test_mfa.py``)."""

import pytest
from django.urls import reverse

from portal.pagination import PER_PAGE
from tests.factories import AffiliationFactory, AssignmentFactory, CallFactory, JurorProfileFactory
from tests.review.jury_setup import administrator_with_totp

pytestmark = pytest.mark.django_db

URL = "review:juror_list"


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


@pytest.mark.parametrize("count", [3, 2 * PER_PAGE + 5])
def test_juror_list_shows_one_page_in_fixed_queries(
    admin_client, django_assert_max_num_queries, count
):
    call = CallFactory()
    for index in range(count):
        juror = JurorProfileFactory(display_name=f"Juror {index:03d}")
        juror.calls.add(call)
        AffiliationFactory(juror=juror)

    with django_assert_max_num_queries(9):
        response = admin_client.get(reverse(URL), {"page": 2})

    page = response.context["page"]
    expected = [f"Juror {i:03d}" for i in range(count)][
        (page.number - 1) * PER_PAGE : page.number * PER_PAGE
    ]
    assert [juror.display_name for juror in page] == expected
    assert page.paginator.count == count
    assert [list(juror.calls.all()) for juror in page] == [[call]] * len(expected)


def test_juror_list_searches_name_email_country_and_keywords(admin_client):
    JurorProfileFactory(display_name="Ada Lovelace", country="United Kingdom")
    JurorProfileFactory(display_name="Grace Hopper", keywords="compilers, cobol")
    JurorProfileFactory(display_name="Marie Curie", country="France")

    by_country = admin_client.get(reverse(URL), {"text": "france"})
    by_keyword = admin_client.get(reverse(URL), {"text": "COBOL"})

    assert [j.display_name for j in by_country.context["page"]] == ["Marie Curie"]
    assert [j.display_name for j in by_keyword.context["page"]] == ["Grace Hopper"]
    assert 'value="france"' in by_country.content.decode()


def test_juror_list_sorts_by_bids_assigned(admin_client):
    busy = JurorProfileFactory(display_name="Busy")
    idle = JurorProfileFactory(display_name="Idle")
    AssignmentFactory.create_batch(2, juror=busy)

    most = admin_client.get(reverse(URL), {"sort": "-assignments"})
    fewest = admin_client.get(reverse(URL), {"sort": "assignments"})

    assert [(j.display_name, j.assignment_count) for j in most.context["page"]] == [
        ("Busy", 2),
        ("Idle", 0),
    ]
    assert [j.pk for j in fewest.context["page"]] == [idle.pk, busy.pk]


def test_juror_list_refuses_an_unknown_order_with_a_message_and_keeps_the_search(admin_client):
    JurorProfileFactory(display_name="Ada Lovelace")

    response = admin_client.get(reverse(URL), {"text": "ada", "sort": "salary"})

    assert response.status_code == 200
    assert list(response.context["filters"].errors) == ["sort"]
    assert 'value="ada"' in response.content.decode()
    assert [j.display_name for j in response.context["page"]] == ["Ada Lovelace"]


def test_juror_list_keeps_the_invite_and_import_links(admin_client):
    html = admin_client.get(reverse(URL)).content.decode()

    assert reverse("review:juror_import") in html
    assert reverse("review:juror_invite") in html
