"""An invitee with no account: the invitation link, sign-up, e-mail verification in another
browser, sign-in, and the invitation offered at once."""

import re

import pytest
from django.core import mail

from applications.models import Invitation, Membership
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "invitee@univ-example-journey.fr"
PASSWORD = "A-long-and-unusual-passphrase-2026"


def _link_in_last_mail() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def test_invitee_signs_up_from_the_link_and_is_offered_the_invitation(page, browser, live_server):
    institution = InstitutionFactory(name="Université de l'Invitation")
    coordinator = MembershipFactory(institution=institution, role=Membership.Role.COORDINATOR)
    invitation = Invitation.objects.create(
        institution=institution, email=EMAIL, role="editor", invited_by=coordinator.user
    )

    page.goto(f"/invitations/{invitation.token}/")
    assert_accessible(page)
    with page.expect_navigation():
        page.click("#invitation-sign-up")
    assert_accessible(page)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=first_name]", "Inès")
    page.fill("input[name=last_name]", "Invitée")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert_accessible(page)

    # The address is confirmed in another browser (the mail client's): no session there.
    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    mail_client = other.new_page()
    mail_client.goto(_link_in_last_mail())
    with mail_client.expect_navigation():
        mail_client.click("main form [type=submit]")
    other.close()

    login(page, email=EMAIL, password=PASSWORD)
    assert f"/invitations/{invitation.token}/" in page.url
    with page.expect_navigation():
        page.click("#invitation-accept")
    assert_accessible(page)

    assert Membership.objects.get(user__email=EMAIL).institution == institution
    assert "Inès Invitée" in page.locator("#members").inner_text()
