"""Submission refuses a budget whose requested total is off by a single euro, either way."""

import pytest
from django.core.exceptions import ValidationError

from applications.services.submission import submit_bid
from tests.applications.bidkit import complete_bid, make_cast

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("delta", [+1, -1])
def test_submit_refuses_a_requested_total_one_euro_off(delta):
    cast = make_cast(complete_bid())
    amount = cast.bid.requested_amount
    cast.bid.budget_lines.filter(year=1, category="staff").update(requested=amount + delta)

    with pytest.raises(ValidationError) as error:
        submit_bid(bid=cast.bid, by=cast.coordinator)

    assert "The budget's requested total is" in " ".join(error.value.messages)
    assert cast.bid.versions.count() == 0


def test_submit_accepts_a_requested_total_equal_to_the_euro():
    cast = make_cast(complete_bid())

    submit_bid(bid=cast.bid, by=cast.coordinator)

    assert cast.bid.versions.count() == 1
