"""Confirmation steps (submit, delete a document, remove a member), the wording of the
submission card, and page titles that name the page. The confirmations are pages: they work
without JavaScript, and nothing is written until their form is posted."""

import pytest
from django.urls import reverse

from applications.models import Attachment, Bid, Membership
from tests.applications.bidkit import attach, complete_bid, make_cast
from tests.factories import AdministratorFactory, BidFactory, MembershipFactory, enable_totp

pytestmark = pytest.mark.django_db

ACTIVATION = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _strict_mfa(settings):
    settings.PORTAL_DEMO_RELAX_MFA = False


@pytest.fixture
def cast():
    return make_cast(complete_bid())


def _submit_url(bid) -> str:
    return reverse("applications:bid_submit", args=[bid.public_id])


def _delete_url(bid, attachment) -> str:
    return reverse("applications:bid_attachment_delete", args=[bid.public_id, attachment.pk])


def test_submit_confirmation_describes_the_version_and_submits_nothing(client, cast):
    client.force_login(cast.coordinator)

    response = client.get(_submit_url(cast.bid))

    html = response.content.decode()
    assert response.status_code == 200
    assert "You are about to submit version 1 of the bid" in html
    assert f'<form method="post" action="{_submit_url(cast.bid)}"' in html
    assert f"<title>Submit the bid — {cast.bid.acronym} — IA-cluster portal</title>" in html
    assert cast.bid.versions.count() == 0


def test_submit_confirmation_then_post_creates_the_version(client, cast):
    client.force_login(cast.coordinator)
    client.get(_submit_url(cast.bid))

    response = client.post(_submit_url(cast.bid))

    assert response.status_code == 302
    assert cast.bid.versions.count() == 1
    assert "Submit version 2" in client.get(_submit_url(cast.bid)).content.decode()


def test_submit_confirmation_of_an_incomplete_bid_offers_no_submit_button(client):
    cast = make_cast(BidFactory())
    client.force_login(cast.coordinator)

    response = client.get(_submit_url(cast.bid))

    assert response.status_code == 200
    assert b'id="submit-incomplete"' in response.content
    assert b'id="confirm-submit"' not in response.content


def test_submit_confirmation_anonymous_redirects_to_login(client, cast):
    response = client.get(_submit_url(cast.bid))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [("editor", 403), ("reader", 403), ("partner", 403), ("other", 404), ("juror", 404)],
)
def test_submit_confirmation_refuses_who_may_not_submit(client, cast, role, status):
    client.force_login(cast.user(role))

    response = client.get(_submit_url(cast.bid))

    assert response.status_code == status


def test_submit_confirmation_administrator_without_totp_is_sent_to_activation(client, cast):
    client.force_login(AdministratorFactory())

    response = client.get(_submit_url(cast.bid))

    assert response.status_code == 302
    assert response["Location"].startswith(ACTIVATION)


def test_submit_confirmation_administrator_with_totp_may_not_submit(client, cast):
    # Administrators read bids; only the lead's coordinator submits.
    client.force_login(cast.administrator)

    response = client.get(_submit_url(cast.bid))

    assert response.status_code == 403


def test_overview_links_submission_to_the_confirmation(client, cast):
    client.force_login(cast.coordinator)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    html = response.content.decode()
    assert f'href="{_submit_url(cast.bid)}" id="submit-bid"' in html
    assert 'id="first-submission"' in html
    assert "You can submit again" not in html
    assert 'id="withdraw-link"' not in html
    assert f"<title>Overview and submission — {cast.bid.acronym} — " in html


def test_overview_after_a_submission_says_submit_again(client, cast):
    client.force_login(cast.coordinator)
    client.post(_submit_url(cast.bid))

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    html = response.content.decode()
    assert "You can submit again until" in html
    assert 'id="first-submission"' not in html
    assert 'id="withdraw-link"' in html


def test_overview_of_an_empty_bid_does_not_tick_the_budget(client):
    cast = make_cast(BidFactory(requested_amount=0, minimum_amount=0))
    client.force_login(cast.coordinator)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert b'data-check="budget" data-ok="false"' in response.content


def test_attachment_delete_confirmation_deletes_nothing_until_posted(client, cast):
    attachment = cast.bid.attachments.get()
    client.force_login(cast.editor)

    page = client.get(_delete_url(cast.bid, attachment))
    listing = client.get(reverse("applications:bid_attachments", args=[cast.bid.public_id]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Delete “scientific.pdf”" in html
    assert f'action="{_delete_url(cast.bid, attachment)}"' in html
    assert f"<title>Delete a document — {cast.bid.acronym} — " in html
    assert f'href="{_delete_url(cast.bid, attachment)}"' in listing.content.decode()
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_attachment_delete_confirmed_deletes(client, cast):
    extra = attach(cast.bid, name="extra.pdf")
    client.force_login(cast.editor)

    response = client.post(_delete_url(cast.bid, extra))

    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=extra.pk).exists()


def test_attachment_delete_confirmation_anonymous_redirects_to_login(client, cast):
    response = client.get(_delete_url(cast.bid, cast.bid.attachments.get()))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [("reader", 403), ("partner", 403), ("other", 404), ("juror", 404), ("administrator", 403)],
)
def test_attachment_delete_confirmation_refuses_who_may_not_edit(client, cast, role, status):
    client.force_login(cast.user(role))

    response = client.get(_delete_url(cast.bid, cast.bid.attachments.get()))

    assert response.status_code == status


def test_attachment_delete_confirmation_administrator_without_totp_is_sent_to_activation(
    client, cast
):
    client.force_login(AdministratorFactory())

    response = client.get(_delete_url(cast.bid, cast.bid.attachments.get()))

    assert response.status_code == 302
    assert response["Location"].startswith(ACTIVATION)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("bid_consortium", "Consortium"),
        ("bid_budget", "Budget"),
        ("bid_attachments", "Attachments"),
    ],
)
def test_workspace_pages_are_titled_by_the_page(client, cast, name, title):
    client.force_login(cast.reader)

    response = client.get(reverse(f"applications:{name}", args=[cast.bid.public_id]))

    expected = f"<title>{title} — {cast.bid.acronym} — IA-cluster portal</title>"
    assert expected in response.content.decode()


def test_section_page_is_titled_by_the_section(client, cast):
    client.force_login(cast.reader)

    response = client.get(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"])
    )

    label = dict(Bid._meta.apps.get_model("applications", "BidSection").Key.choices)["research"]
    assert f"<title>{label} — {cast.bid.acronym} — " in response.content.decode()


def test_member_removal_confirmation_administrator(client):
    target = MembershipFactory(role=Membership.Role.READER)
    url = reverse("applications:institution_member_remove", args=[target.institution_id, target.pk])
    administrator = AdministratorFactory()
    client.force_login(administrator)

    without_totp = client.get(url)
    enable_totp(administrator)
    with_totp = client.get(url)

    assert without_totp.status_code == 302
    assert without_totp["Location"].startswith(ACTIVATION)
    assert with_totp.status_code == 200
    assert Membership.objects.filter(pk=target.pk).exists()
