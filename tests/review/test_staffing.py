"""Understaffed bids: flagged on the assignment and progress pages, administrators e-mailed
when a conflict drops a bid below its planned jurors."""

import pytest
from django.urls import reverse

from review.forms.conflicts import DECLARABLE_KINDS
from review.models import Assignment
from review.queries.staffing import understaffed_bids
from review.services.conflicts import confirm_conflict, declare_conflict
from tests.factories import AdministratorFactory, ConflictFactory
from tests.review.jury_setup import administrator_with_totp
from tests.review.review_setup import panel

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
