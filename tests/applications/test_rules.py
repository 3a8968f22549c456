"""The administrator and TOTP predicates of ``applications/rules.py``, and the one view
decorator that asks them."""

import pytest
from django.contrib.auth.models import AnonymousUser

from applications.models import Bid
from applications.rules import is_administrator, is_verified_administrator, needs_mfa
from tests.factories import (
    AdministratorFactory,
    BidFactory,
    JurorProfileFactory,
    MembershipFactory,
    enable_totp,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _strict_mfa(settings):
    settings.PORTAL_DEMO_RELAX_MFA = False


def test_is_verified_administrator_requires_staff_and_totp():
    without = AdministratorFactory()
    with_totp = AdministratorFactory()
    enable_totp(with_totp)

    assert is_administrator(without) is True
    assert is_verified_administrator(without) is False
    assert is_verified_administrator(with_totp) is True
    assert is_verified_administrator(MembershipFactory().user) is False
    assert is_verified_administrator(AnonymousUser()) is False


def test_is_verified_administrator_accepts_the_demo_relaxation(settings):
    settings.PORTAL_DEMO_RELAX_MFA = True

    assert is_verified_administrator(AdministratorFactory()) is True


def test_needs_mfa_for_jurors_and_administrators_without_totp():
    juror = JurorProfileFactory().user
    verified_juror = JurorProfileFactory().user
    enable_totp(verified_juror)

    assert needs_mfa(juror) is True
    assert needs_mfa(AdministratorFactory()) is True
    assert needs_mfa(verified_juror) is False
    assert needs_mfa(MembershipFactory().user) is False
    assert needs_mfa(AnonymousUser()) is False


def test_visible_to_gives_every_bid_to_a_verified_administrator_only():
    BidFactory.create_batch(2)
    administrator = AdministratorFactory()

    assert list(Bid.objects.visible_to(administrator)) == []
    enable_totp(administrator)
    administrator = type(administrator).objects.get(pk=administrator.pk)  # a fresh request
    assert Bid.objects.visible_to(administrator).count() == 2


def test_visible_to_gives_a_member_their_institutions_bids():
    bid, _other = BidFactory.create_batch(2)
    member = MembershipFactory(institution=bid.lead_institution).user

    assert list(Bid.objects.visible_to(member)) == [bid]
