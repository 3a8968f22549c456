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
        {"email": "new.person@univ-fictive.fr", "password1": STRONG, "password2": STRONG},
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
