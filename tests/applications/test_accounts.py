"""Accounts through django-allauth, as the portal configures it (portal/settings.py)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
STRONG = "Orchid-Tectonic-Lantern-42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _link(body: str) -> str:
    return re.search(r"http://testserver(/\S+)", body).group(1)


def test_signup_sends_verification_and_login_works_after_it(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.person@univ-fictive.fr",
            "password1": STRONG,
            "password2": STRONG,
            "first_name": "New",
            "last_name": "Person",
        },
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    client.logout()

    refused = client.post(
        reverse("account_login"), {"login": "new.person@univ-fictive.fr", "password": STRONG}
    )
    confirm_url = _link(mailoutbox[0].body)
    client.post(confirm_url)
    accepted = client.post(
        reverse("account_login"), {"login": "new.person@univ-fictive.fr", "password": STRONG}
    )

    assert refused.url == reverse("account_email_verification_sent")
    assert EmailAddress.objects.get(email="new.person@univ-fictive.fr").verified is True
    assert accepted.url == reverse("home")
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1A", "too short"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_signup_refuses_a_weak_password_and_keeps_the_email(client, password, message):
    response = client.post(
        reverse("account_signup"),
        {"email": "weak@univ-fictive.fr", "password1": password, "password2": password},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert 'value="weak@univ-fictive.fr"' in content
    assert User.objects.count() == 0


def test_login_wrong_password_keeps_the_email(client):
    UserFactory(username="someone@univ-fictive.fr")

    response = client.post(
        reverse("account_login"), {"login": "someone@univ-fictive.fr", "password": "nope"}
    )

    assert response.status_code == 200
    assert 'value="someone@univ-fictive.fr"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_after_repeated_failures(client):
    UserFactory(username="target@univ-fictive.fr")
    for _ in range(5):
        client.post(
            reverse("account_login"), {"login": "target@univ-fictive.fr", "password": "wrong"}
        )

    response = client.post(
        reverse("account_login"), {"login": "target@univ-fictive.fr", "password": PASSWORD}
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_that_sets_a_new_password(client, mailoutbox):
    user = UserFactory(username="forgetful@univ-fictive.fr")

    client.post(reverse("account_reset_password"), {"email": "Forgetful@univ-fictive.fr"})
    link = _link(mailoutbox[0].body)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": STRONG, "password2": STRONG},
    )

    user.refresh_from_db()
    assert len(mailoutbox) == 1
    assert user.check_password(STRONG)


def test_password_reset_for_unknown_address_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "ghost@nowhere.fr"})

    assert response.url == reverse("account_reset_password_done")


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_account_pages_use_the_portal_layout(client, name):
    response = client.get(reverse(name))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="language-switcher"' in content
    assert 'id="id_email"' in content or 'id="id_login"' in content
    assert "form-control" in content
    assert 'class="btn btn-primary"' in content


def test_account_email_page_renders_for_a_signed_in_user(client):
    client.force_login(UserFactory())

    response = client.get(reverse("account_email"))

    assert response.status_code == 200
    assert 'class="badge text-bg-success"' in response.content.decode()


# -- invitations across sign-up and names ----------------------------------------------------


def _invitation(email="invitee@univ-fictive.fr"):
    from applications.models import Invitation, Membership
    from tests.factories import InstitutionFactory, MembershipFactory

    institution = InstitutionFactory()
    coordinator = MembershipFactory(institution=institution, role=Membership.Role.COORDINATOR)
    return Invitation.objects.create(
        institution=institution,
        email=email,
        role=Membership.Role.EDITOR,
        invited_by=coordinator.user,
    )


def _sign_up(client, email, **names):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": STRONG,
            "password2": STRONG,
            "first_name": names.get("first_name", "Marie"),
            "last_name": names.get("last_name", "Curie"),
        },
    )


def test_signup_asks_for_first_and_last_name(client, mailoutbox):
    page = client.get(reverse("account_signup")).content.decode()
    _sign_up(client, "marie@univ-fictive.fr", first_name=" Marie ", last_name="Skłodowska-Curie")

    user = User.objects.get(email="marie@univ-fictive.fr")
    assert 'name="first_name"' in page
    assert 'name="last_name"' in page
    assert (user.first_name, user.last_name) == ("Marie", "Skłodowska-Curie")


def test_signup_without_a_name_is_refused_and_keeps_the_input(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "anon@univ-fictive.fr", "password1": STRONG, "password2": STRONG},
    )

    assert response.status_code == 200
    assert 'value="anon@univ-fictive.fr"' in response.content.decode()
    assert User.objects.count() == 0


def test_invitation_survives_sign_up_and_verification_in_the_same_browser(client, mailoutbox):
    invitation = _invitation()
    link = reverse("applications:invitation_accept", args=[invitation.token])
    client.get(link)

    _sign_up(client, invitation.email)
    client.post(_link(mailoutbox[-1].body))
    signed_in = client.post(
        reverse("account_login"), {"login": invitation.email, "password": STRONG}
    )
    page = client.get(signed_in.url)
    accepted = client.post(link)

    assert signed_in.url == link
    assert 'id="invitation-accept"' in page.content.decode()
    assert accepted.status_code == 302
    assert invitation.institution.memberships.filter(user__email=invitation.email).exists()


def test_invitation_is_offered_at_sign_in_from_another_browser_by_verified_address(
    client, mailoutbox
):
    invitation = _invitation()
    _sign_up(client, invitation.email)
    client.logout()
    other_browser = type(client)()

    other_browser.post(_link(mailoutbox[-1].body))
    signed_in = other_browser.post(
        reverse("account_login"), {"login": invitation.email, "password": STRONG}
    )

    assert signed_in.url == reverse("applications:invitation_accept", args=[invitation.token])


def test_sign_in_without_invitation_goes_home(client):
    user = UserFactory()

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.url == reverse("home")


def test_sign_in_does_not_offer_an_expired_or_used_invitation(client):
    from datetime import timedelta

    from django.utils import timezone

    from applications.models import INVITATION_VALIDITY, Invitation

    user = UserFactory(username="late@univ-fictive.fr")
    expired = _invitation(email=user.email)
    Invitation.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - INVITATION_VALIDITY - timedelta(minutes=1)
    )

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.url == reverse("home")


def test_allauth_emails_carry_the_portal_name_not_the_host(client, mailoutbox, settings):
    _sign_up(client, "named@univ-fictive.fr")

    message = mailoutbox[-1]
    assert message.subject.startswith(f"[{settings.PORTAL_NAME}] ")
    assert "testserver" not in message.subject
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert settings.PORTAL_NAME in message.body
    assert "Hello Marie Curie" in message.body
