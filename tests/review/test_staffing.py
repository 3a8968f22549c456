"""Understaffed bids: flagged on the assignment and progress pages, administrators e-mailed
when a conflict drops a bid below its planned jurors."""

import pytest
from django.urls import reverse

from applications.models import Bid
from review.forms.conflicts import DECLARABLE_KINDS
from review.models import Assignment, Conflict
from review.queries.staffing import understaffed_bids, understaffed_list, with_staffing
from review.services.conflicts import confirm_conflict, declare_conflict
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    BidFactory,
    ConflictDeclarationFactory,
    ConflictFactory,
    JurorProfileFactory,
)
from tests.review.jury_setup import administrator_with_totp
from tests.review.review_setup import call_with_grid, panel

pytestmark = pytest.mark.django_db

KIND = DECLARABLE_KINDS[0][0]


def test_understaffed_bids_counts_active_jurors_against_the_plan():
    p = panel(jurors=3, jurors_per_bid=3)
    at_plan = understaffed_bids(call=p.call)
    ConflictFactory(juror=p.jurors[0], bid=p.bid, status="confirmed")  # assignment kept, inactive

    assert (at_plan, understaffed_bids(call=p.call)) == ({}, {p.bid.pk: 2})


def test_assignment_page_flags_understaffed_bid(client):
    p = panel(jurors=2, jurors_per_bid=3)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:assignment_list", args=[p.call.slug]))

    content = response.content.decode()
    assert 'id="understaffed-bids"' in content
    assert f"{p.bid.acronym}: 2 active" in content
    assert "2 of 3 jurors" in content


def test_assignment_page_does_not_flag_bid_at_plan(client):
    p = panel(jurors=3, jurors_per_bid=3)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:assignment_list", args=[p.call.slug]))

    assert 'id="understaffed-bids"' not in response.content.decode()


def test_progress_page_flags_understaffed_bid(client):
    p = panel(jurors=2, jurors_per_bid=3)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:call_progress", args=[p.call.slug]))

    content = response.content.decode()
    assert response.context["progress"].understaffed[0].acronym == p.bid.acronym
    assert f"{p.bid.acronym}: 2 active" in content
    assert 'class="badge text-bg-warning understaffed"' in content


def test_progress_page_does_not_flag_bid_at_plan(client):
    p = panel(jurors=3, jurors_per_bid=3)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:call_progress", args=[p.call.slug]))

    assert response.context["progress"].understaffed == []
    assert "understaffed" not in response.content.decode()


def test_declared_conflict_below_plan_emails_administrators(
    mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=3, jurors_per_bid=3, declared=False)
    admins = [administrator_with_totp(), AdministratorFactory()]

    with django_capture_on_commit_callbacks(execute=True):
        declare_conflict(
            juror=p.jurors[0], bid=p.bid, has_conflict=True, kind=KIND, reason="My lab."
        )

    assert sorted(m.to[0] for m in mailoutbox) == sorted(a.email for a in admins)
    assert mailoutbox[0].subject == (
        f"[IA-cluster portal] {p.bid.acronym} has fewer jurors than planned — {p.call.title_en}"
    )
    assert "It now has 2 active jurors; the call plans 3 per bid." in mailoutbox[0].body
    assert reverse("review:assignment_list", args=[p.call.slug]) in mailoutbox[0].body


def test_confirmed_conflict_below_plan_emails_administrators(
    mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=3, jurors_per_bid=3)
    admin = administrator_with_totp()
    conflict = ConflictFactory(juror=p.jurors[1], bid=p.bid, status="suggested")

    with django_capture_on_commit_callbacks(execute=True):
        confirm_conflict(conflict=conflict, by=admin)

    assert [m.to for m in mailoutbox] == [[admin.email]]
    assert Assignment.objects.filter(bid=p.bid).count() == 2


def test_conflict_that_leaves_bid_at_plan_emails_no_one(
    mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=4, jurors_per_bid=3, declared=False)
    administrator_with_totp()

    with django_capture_on_commit_callbacks(execute=True):
        declare_conflict(
            juror=p.jurors[0], bid=p.bid, has_conflict=True, kind=KIND, reason="My lab."
        )

    assert mailoutbox == []


def test_confirmed_conflict_of_unassigned_juror_emails_no_one(
    mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=2, jurors_per_bid=3)  # already understaffed
    admin = administrator_with_totp()
    outsider = ConflictFactory(bid=p.bid, status="suggested")

    with django_capture_on_commit_callbacks(execute=True):
        confirm_conflict(conflict=outsider, by=admin)

    assert mailoutbox == []


def _staffing_call():
    """A call with every kind of bid the staffing rule tells apart: at plan, short of jurors,
    without any, below the plan through a confirmed or a declared conflict, a conflict of an
    unassigned juror, a suggested (not excluding) conflict, and bids the jury does not assess
    (ineligible, withdrawn, draft) with too few jurors."""
    call = call_with_grid(jurors_per_bid=3)
    jurors = [JurorProfileFactory() for _ in range(5)]

    def bid(assigned: int, **fields):
        bid = BidFactory(call=call, **{"status": Bid.Status.SUBMITTED, **fields})
        for juror in jurors[:assigned]:
            AssignmentFactory(juror=juror, bid=bid)
        return bid

    bid(3)
    bid(2)
    bid(0)
    ConflictFactory(juror=jurors[0], bid=bid(3), status=Conflict.Status.CONFIRMED)
    declared = bid(4)
    ConflictDeclarationFactory(juror=jurors[1], bid=declared, has_conflict=True)
    ConflictDeclarationFactory(juror=jurors[0], bid=declared, has_conflict=True)
    ConflictDeclarationFactory(juror=jurors[0], bid=bid(3), has_conflict=False)
    ConflictFactory(juror=jurors[4], bid=bid(3), status=Conflict.Status.CONFIRMED)
    ConflictFactory(juror=jurors[0], bid=bid(3), status=Conflict.Status.SUGGESTED)
    bid(1, eligibility=Bid.Eligibility.INELIGIBLE)
    bid(1, status=Bid.Status.WITHDRAWN)
    bid(1, status=Bid.Status.DRAFT)
    other_call = BidFactory(status=Bid.Status.SUBMITTED)  # another call's bid: never listed
    AssignmentFactory(juror=jurors[0], bid=other_call)
    return call


def test_understaffed_bids_equal_the_with_staffing_annotation():
    call = _staffing_call()
    annotated = {
        bid.pk: bid.active_jurors
        for bid in with_staffing(Bid.objects.filter(call=call))
        if bid.understaffed
    }

    listed = understaffed_list(call=call)

    assert (understaffed_bids(call=call), [row[0] for row in listed]) == (
        annotated,
        sorted(annotated, key=lambda pk: (Bid.objects.get(pk=pk).acronym, pk)),
    )
    assert sorted(annotated.values()) == [0, 2, 2, 2]  # short, none, confirmed, declared


def test_understaffed_bids_narrowed_to_some_bids_equal_the_annotation():
    call = _staffing_call()
    some = list(Bid.objects.filter(call=call).order_by("pk").values_list("pk", flat=True))[2:6]
    annotated = {
        bid.pk: bid.active_jurors
        for bid in with_staffing(Bid.objects.filter(pk__in=some))
        if bid.understaffed
    }

    assert understaffed_bids(call=call, bid_ids=some) == annotated
