from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import Bid, Call
from applications.services.eligibility import screen_bid
from portal.editing import EvaluationFrozen
from tests.factories import AdministratorFactory, BidFactory, CallFactory

pytestmark = pytest.mark.django_db


def _closed_call(status=Call.Status.CLOSED) -> Call:
    now = timezone.now()
    return CallFactory(
        status=status, opens_at=now - timedelta(days=60), closes_at=now - timedelta(hours=1)
    )


@pytest.mark.parametrize("status", [Call.Status.CLOSED, Call.Status.UNDER_REVIEW])
def test_screen_bid_records_decision_and_author(status):
    admin = AdministratorFactory()
    bid = BidFactory(call=_closed_call(status), status=Bid.Status.SUBMITTED)

    screen_bid(bid=bid, eligible=False, reason="Lead is not a higher-education body.", by=admin)

    bid.refresh_from_db()
    assert bid.eligibility == Bid.Eligibility.INELIGIBLE
    assert bid.eligibility_reason == "Lead is not a higher-education body."
    assert bid.eligibility_decided_by == admin
    assert bid.eligibility_decided_at is not None


def test_screen_bid_accepts_eligible_without_reason():
    bid = BidFactory(call=_closed_call(), status=Bid.Status.SUBMITTED)

    screen_bid(bid=bid, eligible=True, reason="", by=AdministratorFactory())

    bid.refresh_from_db()
    assert bid.eligibility == Bid.Eligibility.ELIGIBLE


def test_screen_bid_requires_a_reason_when_ineligible():
    bid = BidFactory(call=_closed_call(), status=Bid.Status.SUBMITTED)

    with pytest.raises(ValidationError) as error:
        screen_bid(bid=bid, eligible=False, reason="   ", by=AdministratorFactory())

    assert list(error.value.message_dict) == ["reason"]
    bid.refresh_from_db()
    assert bid.eligibility == Bid.Eligibility.PENDING


def test_screen_bid_refuses_before_the_call_closes():
    bid = BidFactory(status=Bid.Status.SUBMITTED)  # the factory's call is open for 30 days

    with pytest.raises(ValidationError, match="after the call has closed"):
        screen_bid(bid=bid, eligible=True, reason="", by=AdministratorFactory())


def test_screen_bid_refuses_an_open_call_past_its_deadline():
    now = timezone.now()
    call = CallFactory(opens_at=now - timedelta(days=9), closes_at=now - timedelta(seconds=1))
    bid = BidFactory(call=call, status=Bid.Status.SUBMITTED)

    with pytest.raises(ValidationError):
        screen_bid(bid=bid, eligible=True, reason="", by=AdministratorFactory())


@pytest.mark.parametrize("status", [Call.Status.DECIDED, Call.Status.PUBLISHED])
def test_screen_bid_refuses_after_the_review(status):
    # The decision freezes the evaluation: a refusal no form can fix (a 403).
    bid = BidFactory(call=_closed_call(status), status=Bid.Status.SUBMITTED)

    with pytest.raises(EvaluationFrozen):
        screen_bid(bid=bid, eligible=True, reason="", by=AdministratorFactory())


@pytest.mark.parametrize("status", [Bid.Status.DRAFT, Bid.Status.WITHDRAWN])
def test_screen_bid_refuses_a_bid_that_is_not_submitted(status):
    bid = BidFactory(call=_closed_call(), status=status)

    with pytest.raises(ValidationError, match="Only submitted bids"):
        screen_bid(bid=bid, eligible=True, reason="", by=AdministratorFactory())
