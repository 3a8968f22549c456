import pytest
from django.urls import reverse

from tests.factories import PASSWORD, AdministratorFactory, JurorProfileFactory, enable_totp
from tests.review.jury_setup import institution_member

pytestmark = pytest.mark.django_db


def test_jury_page_redirects_juror_without_totp_to_activation(client):
    juror = JurorProfileFactory()
    client.force_login(juror.user)

    response = client.get(reverse("review:juror_profile"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_activate_totp')}?next=%2Fjury%2Fprofile%2F"


def test_jury_admin_page_redirects_administrator_without_totp_to_activation(client):
    client.force_login(AdministratorFactory())

    response = client.get(reverse("review:juror_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_jury_page_allows_juror_with_totp(client):
    juror = JurorProfileFactory()
    enable_totp(juror.user)
    client.force_login(juror.user)

    response = client.get(reverse("review:juror_profile"))

    assert response.status_code == 200


def test_jury_admin_page_allows_administrator_with_totp(client):
    admin = AdministratorFactory()
    enable_totp(admin)
    client.force_login(admin)

    response = client.get(reverse("review:juror_list"))

    assert response.status_code == 200


def test_jury_page_allows_juror_without_totp_when_demo_relaxes_mfa(client, settings):
    settings.PORTAL_DEMO_RELAX_MFA = True
    juror = JurorProfileFactory()
    client.force_login(juror.user)

    response = client.get(reverse("review:juror_profile"))

    assert response.status_code == 200
    assert "Demo mode: two-factor authentication is not required" in response.content.decode()


def test_jury_page_does_not_ask_institution_member_for_totp(client):
    client.force_login(institution_member())

    response = client.get(reverse("review:juror_profile"))

    assert response.status_code == 403


def test_jury_page_redirects_anonymous_to_login(client):
    response = client.get(reverse("review:juror_profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_login_asks_for_totp_code_when_authenticator_exists(client):
    juror = JurorProfileFactory()
    enable_totp(juror.user)

    response = client.post(
        reverse("account_login"), {"login": juror.user.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_jury_page_is_english_without_language_choice(client):
    juror = JurorProfileFactory()
    enable_totp(juror.user)
    client.force_login(juror.user)

    response = client.get(reverse("review:juror_profile"), HTTP_ACCEPT_LANGUAGE="fr")

    assert response.wsgi_request.LANGUAGE_CODE == "en"


def test_jury_page_follows_explicit_language_choice(client, settings):
    juror = JurorProfileFactory()
    enable_totp(juror.user)
    client.force_login(juror.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get(reverse("review:juror_profile"))

    assert response.wsgi_request.LANGUAGE_CODE == "fr"


def test_django_admin_sends_administrator_without_totp_to_activation(client):
    client.force_login(AdministratorFactory())

    response = client.get("/admin/", follow=True)

    # /admin/ → TOTP activation (the gate) → allauth asks to re-enter the password.
    assert response.redirect_chain[0][0].startswith(reverse("mfa_activate_totp"))


def test_django_admin_shows_to_administrator_with_totp(client):
    admin = AdministratorFactory()
    enable_totp(admin)
    client.force_login(admin)

    assert client.get("/admin/").status_code == 200


def test_django_admin_login_goes_through_allauth(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
