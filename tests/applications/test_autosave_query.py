"""The autosave's one read (applications.queries.get_bid_to_autosave): the same answers as
get_bid_for(perm="bids.edit") and section_guidance, from one query."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from applications import queries
from applications.models import Membership, SectionGuidance
from tests.applications.bidkit import make_cast
from tests.factories import InstitutionFactory, MembershipFactory, SectionGuidanceFactory

EDITOR = Membership.Role.EDITOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


@pytest.mark.parametrize("role", ["editor", "coordinator"])
def test_autosave_read_gives_the_bid_and_its_call_to_a_writer(cast, role):
    bid, guidance = queries.get_bid_to_autosave(
        user=cast.user(role), public_id=cast.bid.public_id, key="research"
    )

    assert (bid.pk, bid.call_id, bid.lead_institution_id) == (
        cast.bid.pk,
        cast.bid.call_id,
        cast.bid.lead_institution_id,
    )
    assert (bid.call.status, bid.call.opens_at, bid.call.closes_at) == (
        cast.bid.call.status,
        cast.bid.call.opens_at,
        cast.bid.call.closes_at,
    )
    assert guidance is None


def test_autosave_read_loads_other_fields_when_asked_never_a_default(cast):
    bid, _ = queries.get_bid_to_autosave(
        user=cast.editor, public_id=cast.bid.public_id, key="research"
    )

    assert (bid.acronym, bid.call.title) == (cast.bid.acronym, cast.bid.call.title)


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("reader", PermissionDenied),
        ("partner", PermissionDenied),
        ("administrator", PermissionDenied),
        ("other", Http404),
        ("juror", Http404),
    ],
)
def test_autosave_read_refuses_as_get_bid_for_does(cast, role, error):
    user = cast.user(role)
    with pytest.raises(error):
        queries.get_bid_for(user=user, public_id=cast.bid.public_id, perm="bids.edit")
    user = type(user).objects.get(pk=user.pk)  # a fresh request's user: nothing cached

    with pytest.raises(error):
        queries.get_bid_to_autosave(user=user, public_id=cast.bid.public_id, key="research")


def test_autosave_read_of_an_unknown_bid_is_a_404(cast):
    with pytest.raises(Http404):
        queries.get_bid_to_autosave(user=cast.editor, public_id=uuid.uuid4(), key="research")


def test_autosave_read_asks_the_role_in_the_lead_institution_only(cast):
    """An editor elsewhere who only reads this bid's institution still may not write."""
    MembershipFactory(user=cast.reader, institution=InstitutionFactory(), role=EDITOR)

    with pytest.raises(PermissionDenied):
        queries.get_bid_to_autosave(user=cast.reader, public_id=cast.bid.public_id, key="research")


def test_autosave_read_gives_the_sections_limit_and_unit(cast):
    SectionGuidanceFactory(
        call=cast.bid.call, section="research", limit=7, limit_unit=SectionGuidance.LimitUnit.WORDS
    )
    SectionGuidanceFactory(call=cast.bid.call, section="summary", limit=3)

    _, guidance = queries.get_bid_to_autosave(
        user=cast.editor, public_id=cast.bid.public_id, key="research"
    )

    assert (guidance.limit, guidance.limit_unit) == (7, SectionGuidance.LimitUnit.WORDS)


def test_autosave_read_is_one_query(cast, django_assert_num_queries):
    user = type(cast.editor).objects.get(pk=cast.editor.pk)

    with django_assert_num_queries(1):
        queries.get_bid_to_autosave(user=user, public_id=cast.bid.public_id, key="research")
