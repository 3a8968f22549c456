import pytest

from tests.factories import JurorProfileFactory, enable_totp

pytestmark = pytest.mark.django_db


def test_mfa_activation_offers_the_wanted_page_back_once(client, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    juror = JurorProfileFactory()
    client.force_login(juror.user)

    redirected = client.get("/jury/")
    enable_totp(juror.user)
    first = client.get("/accounts/2fa/")
    second = client.get("/accounts/2fa/")

    assert redirected.status_code == 302
    assert redirected["Location"].startswith("/accounts/2fa/totp/activate")
    assert '<a class="alert-link" href="/jury/">' in first.content.decode()
    assert 'id="mfa-return"' not in second.content.decode()


def test_mfa_return_not_offered_while_totp_is_off(client, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    juror = JurorProfileFactory()
    client.force_login(juror.user)
    client.get("/jury/")

    response = client.get("/accounts/2fa/")

    assert 'id="mfa-return"' not in response.content.decode()
    assert client.session["portal_mfa_return_to"] == "/jury/"
