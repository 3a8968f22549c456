"""The legal pages (legal notice, personal data, accessibility statement): open to every
visitor, linked from every page's footer, in both languages, with the operator's details
from settings."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp

pytestmark = pytest.mark.django_db

PAGES = ["legal_notice", "personal_data", "accessibility_statement"]


@pytest.mark.parametrize("name", PAGES)
def test_legal_page_is_open_to_every_visitor(client, name):
    visitors = [
        None,
        MembershipFactory().user,
        juror_with_totp().user,
        AdministratorFactory(),  # staff without TOTP: the gate lets the legal pages through
        administrator_with_totp(),
    ]
    codes = []
    for visitor in visitors:
        client.logout()
        if visitor is not None:
            client.force_login(visitor)
        codes.append(client.get(reverse(name)).status_code)

    assert codes == [200] * len(visitors)


def test_every_page_footer_links_the_three_legal_pages(client):
    html = client.get(reverse("home")).content.decode()

    footer = html[html.index("<footer") :]
    for name in PAGES:
        assert f'href="{reverse(name)}"' in footer
    assert "Accessibility: partially compliant" in footer


def test_legal_notice_names_publisher_director_and_host_from_settings(client, settings):
    settings.PORTAL_PUBLISHER_NAME = "Agence fictive de la recherche"
    settings.PORTAL_PUBLISHER_ADDRESS = "1 rue de l'Exemple\n75000 Paris"
    settings.PORTAL_PUBLICATION_DIRECTOR = "Camille Martin"
    settings.PORTAL_HOST_NAME = "Hébergeur fictif SAS"
    settings.PORTAL_CONTACT_EMAIL = "contact@agence.example.fr"

    html = client.get(reverse("legal_notice")).content.decode()

    assert "Agence fictive de la recherche" in html
    assert "1 rue de l&#x27;Exemple<br>75000 Paris" in html
    assert "Camille Martin" in html
    assert "Hébergeur fictif SAS" in html
    assert 'href="mailto:contact@agence.example.fr"' in html


def test_personal_data_page_states_the_dpo_retention_and_rights(client, settings):
    settings.PORTAL_DPO_EMAIL = "dpo@agence.example.fr"
    settings.PORTAL_CALL_RETENTION_YEARS = 10
    settings.PORTAL_ACCOUNT_RETENTION_YEARS = 1

    html = client.get(reverse("personal_data")).content.decode()

    assert 'href="mailto:dpo@agence.example.fr"' in html
    assert "changes: 10 years after the call's results are published" in html
    assert "Accounts: 1 year after the last sign-in" in html
    assert "Articles 15 to 21 GDPR" in html
    assert "CNIL" in html


def test_accessibility_statement_is_partial_with_contact_and_defenseur_des_droits(client, settings):
    settings.PORTAL_ACCESSIBILITY_EMAIL = ""
    settings.PORTAL_CONTACT_EMAIL = "contact@agence.example.fr"
    settings.PORTAL_ACCESSIBILITY_STATEMENT_DATE = "2026-11-30"

    html = client.get(reverse("accessibility_statement")).content.decode()

    assert "partially compliant" in html
    assert "axe-core" in html
    assert "WCAG 2.1" in html
    assert 'id="accessibility-email">contact@agence.example.fr<' in html
    assert "Défenseur des droits" in html
    assert "Libre réponse 71120" in html
    assert "30 November 2026" in html


def test_legal_pages_in_french(client):
    client.cookies["django_language"] = "fr"

    response = client.get(reverse("accessibility_statement"))

    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


def test_legal_pages_refuse_post(client):
    assert client.post(reverse("legal_notice")).status_code == 405


def test_deploy_check_warns_while_the_operator_is_not_set(settings):
    settings.PORTAL_HOST_NAME = ""

    with pytest.raises(SystemCheckError) as caught:
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")

    assert "portal.W001" in str(caught.value)
    assert "PORTAL_HOST_NAME" in str(caught.value)
