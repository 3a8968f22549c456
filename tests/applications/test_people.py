"""People and words: names, institutions of someone in several, e-mail senders and subjects,
no "changed since" on a closed call."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import BidSection, Call, Membership
from applications.services.institutions import invite_member
from applications.services.submission import submit_bid
from portal.users import display_name
from tests.applications.bidkit import complete_bid, make_cast
from tests.factories import (
    InstitutionFactory,
    JurorProfileFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MINE = "/institutions/"


def test_display_name_is_the_full_name_or_the_email():
    named = UserFactory.build(first_name="Marie", last_name="Curie", email="m@example.org")
    blank = UserFactory.build(first_name=" ", last_name="", email="blank@example.org")

    assert display_name(named) == "Marie Curie"
    assert display_name(blank) == "blank@example.org"


def test_member_list_and_navigation_show_names(client):
    institution = InstitutionFactory()
    coordinator = MembershipFactory(
        institution=institution,
        role=Membership.Role.COORDINATOR,
        user=UserFactory(first_name="Ada", last_name="Lovelace"),
    ).user
    MembershipFactory(institution=institution, role=Membership.Role.EDITOR)
    client.force_login(coordinator)

    html = client.get(reverse("applications:institution_detail", args=[institution.pk])).content
    html = html.decode()

    assert "Ada Lovelace" in html
    assert coordinator.email in html
    assert f'<span class="navbar-text me-2" title="{coordinator.email}">Ada Lovelace</span>' in html


def test_my_institution_lists_both_institutions_of_a_member_of_two(client):
    user = UserFactory()
    first, second = InstitutionFactory(), InstitutionFactory()
    MembershipFactory(user=user, institution=first, role=Membership.Role.COORDINATOR)
    MembershipFactory(user=user, institution=second, role=Membership.Role.READER)
    client.force_login(user)

    response = client.get(MINE)

    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("applications:institution_detail", args=[first.pk]) in html
    assert reverse("applications:institution_detail", args=[second.pk]) in html


@pytest.mark.parametrize("count", [2, 5])
def test_my_institutions_page_query_count_does_not_grow(
    client, count, django_assert_max_num_queries
):
    user = UserFactory()
    for _ in range(count):
        MembershipFactory(user=user, institution=InstitutionFactory())
    client.force_login(user)

    with django_assert_max_num_queries(8):
        response = client.get(MINE)

    assert response.status_code == 200


def test_my_institution_anonymous_is_sent_to_login(client):
    response = client.get(MINE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_my_institution_juror_without_totp_is_sent_to_totp_activation(client):
    client.force_login(JurorProfileFactory().user)

    response = client.get(MINE)

    assert response.status_code == 302
    assert "/mfa/" in response.url or "totp" in response.url


def test_invitation_email_names_the_inviter_and_comes_from_the_portal(
    mailoutbox, settings, django_capture_on_commit_callbacks
):
    institution = InstitutionFactory(name="Université Lumière")
    inviter = UserFactory(first_name="Ada", last_name="Lovelace")

    with django_capture_on_commit_callbacks(execute=True):
        invite_member(institution=institution, email="new@example.org", role="reader", by=inviter)

    (message,) = mailoutbox
    assert (
        message.from_email == settings.DEFAULT_FROM_EMAIL == "IA-cluster portal <noreply@localhost>"
    )
    assert message.body.startswith("Ada Lovelace invites you to join Université Lumière")


def test_submission_email_subject_names_the_call(mailoutbox, django_capture_on_commit_callbacks):
    cast = make_cast(complete_bid())

    with django_capture_on_commit_callbacks(execute=True):
        version = submit_bid(bid=cast.bid, by=cast.coordinator)

    subjects = {message.subject for message in mailoutbox}
    assert subjects == {
        f"[IA-cluster portal] {cast.bid.acronym}: version {version.number} submitted to "
        f"{cast.bid.call.title}"
    }


def test_no_changed_since_last_version_on_a_closed_call(client):
    cast = make_cast(complete_bid())
    submit_bid(bid=cast.bid, by=cast.coordinator)
    BidSection.objects.filter(bid=cast.bid, key="summary").update(content="Changed.")
    client.force_login(cast.coordinator)
    url = reverse("applications:bid_detail", args=[cast.bid.public_id])
    open_page = client.get(url).content

    Call.objects.filter(pk=cast.bid.call_id).update(closes_at=timezone.now() - timedelta(minutes=1))
    closed_page = client.get(url).content

    assert b'id="unsubmitted-changes"' in open_page
    assert b'id="unsubmitted-changes"' not in closed_page
