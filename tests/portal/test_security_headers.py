"""Security headers: a strict CSP and a Permissions-Policy on pages, ``Cache-Control: no-store``
for signed-in users only (portal.middleware), and a favicon at ``/favicon.ico``."""

import pytest
from django.urls import reverse

from tests.factories import AdministratorFactory, MembershipFactory, enable_totp

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_csp_is_strict_on_a_public_page(client):
    response = client.get(reverse("home"))

    directives = _csp(response)
    assert response.status_code == 200
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["style-src-attr"] == ["'none'"]
    assert directives["script-src-attr"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_permissions_policy_turns_devices_off(client):
    policy = client.get(reverse("account_login"))["Permissions-Policy"]

    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


def test_anonymous_public_page_is_not_no_store(client):
    response = client.get(reverse("results:index"))

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_signed_in_pages_are_no_store(client):
    member = MembershipFactory().user
    client.force_login(member)

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_signed_in_redirects_and_refusals_are_no_store(client):
    administrator = AdministratorFactory()
    enable_totp(administrator)
    client.force_login(administrator)

    redirect = client.get(reverse("home"))
    public = client.get(reverse("results:index"))

    assert redirect.status_code == 302
    assert "no-store" in redirect["Cache-Control"]
    assert "no-store" in public["Cache-Control"]


@pytest.fixture
def _whitenoise_finds_static(settings):
    # WhiteNoise reads static/ through the finders, as under runserver (no collectstatic).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.mark.usefixtures("_whitenoise_finds_static")
def test_static_files_are_cached_not_no_store(client):
    # WhiteNoise answers them above the middleware, with its own caching headers.
    member = MembershipFactory().user
    client.force_login(member)

    response = client.get("/static/css/portal.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    response.close()


@pytest.mark.usefixtures("_whitenoise_finds_static")
def test_favicon_ico_leads_to_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith("favicon.ico")
    assert "max-age=86400" in response["Cache-Control"]
    static = client.get(response["Location"])
    assert static.status_code == 200
    static.close()


def test_base_page_links_the_favicon_and_the_shared_script(client):
    body = client.get(reverse("account_login")).content.decode()

    assert 'rel="icon"' in body
    assert "js/portal.js" in body
    assert "onchange=" not in body
