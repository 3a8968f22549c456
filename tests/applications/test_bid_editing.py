"""Consortium and budget: strict amounts, version checks, totals, the user's input kept."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from applications.forms.bids import EuroAmountField
from applications.models import Bid, BudgetLine
from applications.queries import bid_budget, bid_checklist, summarise_budget
from tests.applications.bidkit import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _consortium_data(bid, **overrides):
    data = {
        "acronym": "ALPHA",
        "title": "Alpha cluster",
        "requested_amount": "60 000 000",
        "minimum_amount": "40000000",
        "version": bid.consortium_version,
    }
    data.update(overrides)
    return data


def _post_consortium(client, bid, **overrides):
    return client.post(
        reverse("applications:bid_consortium", args=[bid.public_id]),
        _consortium_data(bid, **overrides),
    )


def test_consortium_saves_fields(client, cast):
    client.force_login(cast.editor)

    response = _post_consortium(client, cast.bid)

    bid = Bid.objects.get(pk=cast.bid.pk)
    assert response.status_code == 302
    assert (bid.acronym, bid.requested_amount, bid.minimum_amount) == (
        "ALPHA",
        60_000_000,
        40_000_000,
    )
    assert bid.consortium_version == 2


@pytest.mark.parametrize("amount", ["5", "200000000"])
def test_consortium_requested_amount_outside_call_limits_is_refused(client, cast, amount):
    client.force_login(cast.editor)

    response = _post_consortium(client, cast.bid, requested_amount=amount, minimum_amount="1")

    html = response.content.decode()
    assert response.status_code == 200
    assert "The requested amount must be between" in html
    assert f'value="{amount}"' in html


def test_consortium_minimum_above_requested_is_refused(client, cast):
    client.force_login(cast.editor)

    response = _post_consortium(client, cast.bid, minimum_amount="70000000")

    assert "cannot exceed the requested amount" in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.5", "without cents"),
        ("-1000", "cannot be negative"),
        ("1e6", "whole number of euros"),
        ("lots", "whole number of euros"),
    ],
)
def test_consortium_bad_amount_is_refused_and_input_kept(client, cast, typed, message):
    client.force_login(cast.editor)

    response = _post_consortium(client, cast.bid, requested_amount=typed)

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'value="{typed}"' in html
    assert 'value="Alpha cluster"' in html


def test_consortium_stale_version_is_refused(client, cast):
    client.force_login(cast.editor)
    _post_consortium(client, cast.bid)

    response = _post_consortium(client, cast.bid, acronym="BETA", version=1)

    assert response.status_code == 200
    assert "Someone else saved the consortium" in response.content.decode()
    assert Bid.objects.get(pk=cast.bid.pk).acronym == "ALPHA"


def _budget_url(bid):
    return reverse("applications:bid_budget", args=[bid.public_id])


def test_budget_saves_cells_and_shows_server_totals(client, cast):
    client.force_login(cast.editor)

    response = client.post(
        _budget_url(cast.bid),
        {
            "version": 1,
            "requested_1_staff": "30 000 000",
            "requested_2_equipment": "20000000",
            "cofunding_1_staff": "5000000",
        },
        follow=True,
    )

    summary = bid_budget(bid=cast.bid)
    assert summary.total_requested == 50_000_000
    assert summary.total_cofunding == 5_000_000
    assert summary.matches is True
    assert BudgetLine.objects.filter(bid=cast.bid).count() == 5 * 5
    assert 'id="budget-total-requested" data-total="requested">€50,000,000' in (
        response.content.decode()
    )


def test_budget_mismatch_saved_with_clear_warning(client, cast):
    client.force_login(cast.editor)

    response = client.post(
        _budget_url(cast.bid), {"version": 1, "requested_1_staff": "1000"}, follow=True
    )

    html = response.content.decode()
    assert "differs from the requested amount" in html
    assert bid_budget(bid=cast.bid).total_requested == 1000
    checklist = bid_checklist(bid=cast.bid)
    assert [i.code for i in checklist.missing if i.code == "budget"] == ["budget"]


@pytest.mark.parametrize("typed", ["12.50", "-3", "abc", "1,5"])
def test_budget_non_integer_amount_refused_and_input_kept(client, cast, typed):
    client.force_login(cast.editor)

    response = client.post(
        _budget_url(cast.bid),
        {"version": 1, "requested_1_staff": "1000", "requested_2_staff": typed},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="requested_2_staff" id="id_requested_2_staff" value="{typed}"' in html
    assert 'name="requested_1_staff" id="id_requested_1_staff" value="1000"' in html
    assert BudgetLine.objects.filter(bid=cast.bid).count() == 0


def test_budget_stale_version_is_refused(client, cast):
    client.force_login(cast.editor)
    client.post(_budget_url(cast.bid), {"version": 1, "requested_1_staff": "7"})

    response = client.post(_budget_url(cast.bid), {"version": 1, "requested_1_staff": "9"})

    assert "Someone else saved the budget" in response.content.decode()
    assert bid_budget(bid=cast.bid).total_requested == 7


def test_summarise_budget_totals_per_year_and_category():
    summary = summarise_budget(
        years=2,
        lines=[(1, "staff", 10, 1), (2, "staff", 20, 2), (2, "other", 5, 0), (3, "staff", 99, 9)],
        requested_amount=35,
    )

    assert summary.year_totals == {1: (10, 1), 2: (25, 2)}
    assert summary.category_totals["staff"] == (30, 3)
    assert (summary.total_requested, summary.total_cofunding, summary.matches) == (35, 3, True)


@given(st.integers(min_value=0, max_value=10**12))
def test_euro_amount_field_accepts_digits_with_grouping(amount):
    field = EuroAmountField()
    grouped = f"{amount:,}".replace(",", " ")

    assert field.clean(str(amount)) == amount
    assert field.clean(grouped) == amount
    assert field.clean(f"{amount:,}".replace(",", "\u202f") + " €") == amount


@given(st.text(max_size=30))
def test_euro_amount_field_never_returns_non_integer(text):
    """Any text is either refused with a ValidationError or parsed to a whole euro amount."""
    from django.core.exceptions import ValidationError

    field = EuroAmountField(required=False, empty_value_as_zero=True)
    try:
        value = field.clean(text)
    except ValidationError:
        return
    assert isinstance(value, int)
    assert value >= 0


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2).filter(
        lambda d: d != d.to_integral()
    )
)
def test_euro_amount_field_refuses_decimals(value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        EuroAmountField().clean(str(value))


def _budget_autosave(client, bid, **cells):
    return client.post(
        reverse("applications:bid_budget_autosave", args=[bid.public_id]),
        {"version": bid.budget_version, **cells},
    )


def test_budget_autosave_saves_and_answers_the_servers_totals(client, cast):
    cast.bid.requested_amount = 50_000_000
    cast.bid.save()
    client.force_login(cast.editor)

    response = _budget_autosave(
        client, cast.bid, requested_1_staff="30 000 000", requested_2_staff="20,000,000"
    )

    data = response.json()
    assert response.status_code == 200
    assert data["version"] == 2
    assert len(data["saved_at"]) == len("14:03:27")
    assert data["totals"]["requested"] == "€50,000,000"
    assert data["totals"]["requested-staff"] == "€50,000,000"
    assert data["totals"]["requested-year-2"] == "€20,000,000"
    assert data["totals"]["cofunding"] == "€0"
    assert 'data-matches="true"' in data["check_html"]
    assert bid_budget(bid=cast.bid).total_requested == 50_000_000


def test_budget_autosave_invalid_cell_gets_422_with_the_cell_and_saves_nothing(client, cast):
    client.force_login(cast.editor)

    response = _budget_autosave(client, cast.bid, requested_1_staff="7", requested_2_staff="1,5")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["requested_2_staff"]
    assert BudgetLine.objects.filter(bid=cast.bid).count() == 0


def test_budget_autosave_stale_version_gets_409_and_keeps_the_saved_budget(client, cast):
    client.force_login(cast.editor)
    _budget_autosave(client, cast.bid, requested_1_staff="7")

    response = client.post(
        reverse("applications:bid_budget_autosave", args=[cast.bid.public_id]),
        {"version": 1, "requested_1_staff": "9"},
    )

    assert response.status_code == 409
    assert "Someone else saved the budget" in response.json()["message"]
    assert bid_budget(bid=cast.bid).total_requested == 7


@pytest.mark.parametrize(
    ("role", "status"),
    [("reader", 403), ("partner", 403), ("other", 404), ("juror", 404), ("administrator", 403)],
)
def test_budget_autosave_refuses_who_may_not_edit(client, cast, role, status):
    client.force_login(cast.user(role))

    response = _budget_autosave(client, cast.bid, requested_1_staff="7")

    assert response.status_code == status
    assert BudgetLine.objects.filter(bid=cast.bid).count() == 0


def test_budget_autosave_anonymous_gets_401_json(client, cast):
    response = _budget_autosave(client, cast.bid, requested_1_staff="7")

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_budget_page_shows_grouped_amounts_and_carries_autosave(client, cast, settings):
    BudgetLine.objects.create(
        bid=cast.bid, year=1, category="staff", requested=2_500_000, cofunding=0
    )
    client.force_login(cast.editor)

    response = client.get(_budget_url(cast.bid), HTTP_ACCEPT_LANGUAGE="fr")

    html = response.content.decode()
    assert 'id="id_requested_1_staff" value="2\u00a0500\u00a0000"' in html
    assert f'data-autosave-url="/bids/{cast.bid.public_id}/budget/autosave/"' in html
    assert f'data-draft-key="{cast.bid.public_id}:budget"' in html
    assert 'data-euros-template="0\u00a0€"' in html
    assert "js/budget.js" in html


def test_budget_of_an_empty_bid_is_not_shown_as_balanced(client, cast):
    cast.bid.requested_amount = cast.bid.minimum_amount = 0
    cast.bid.save()
    client.force_login(cast.editor)

    response = client.get(_budget_url(cast.bid))

    checklist = {item.code: item for item in bid_checklist(bid=cast.bid).items}
    assert 'data-matches="false"' in response.content.decode()
    assert "The budget is empty" in response.content.decode()
    assert checklist["budget"].ok is False
    assert checklist["budget"].detail.startswith("The budget is empty")
