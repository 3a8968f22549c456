"""The one TOTP gate (``applications.mfa.TotpGateMiddleware``): a juror or an administrator
without TOTP reaches nothing but their account pages; a password alone opens no bid."""

import uuid

import pytest
from django.urls import reverse

from applications.mfa import MFA_RETURN_SESSION_KEY
from applications.models import Invitation, Membership
from tests.factories import (
    AdministratorFactory,
    BidFactory,
    CallFactory,
    InstitutionFactory,
    JurorProfileFactory,
    MembershipFactory,
    enable_totp,
)

pytestmark = pytest.mark.django_db

ACTIVATION = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _strict_mfa(settings):
    settings.PORTAL_DEMO_RELAX_MFA = False


@pytest.fixture
def staff(client):
    user = AdministratorFactory()
    client.force_login(user)
    return user


def _assert_sent_to_activation(response, path: str) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ACTIVATION}?next=")
    assert response.wsgi_request.session[MFA_RETURN_SESSION_KEY] == path


def test_gate_sends_staff_without_totp_from_the_bid_list_to_activation(client, staff):
    BidFactory()

    response = client.get("/bids/")

    _assert_sent_to_activation(response, "/bids/")


def test_gate_sends_staff_without_totp_from_an_institution_page_to_activation(client, staff):
    institution = InstitutionFactory()
    url = reverse("applications:institution_detail", args=[institution.pk])

    response = client.get(url)

    _assert_sent_to_activation(response, url)


def test_gate_keeps_staff_without_totp_from_inviting_members(client, staff, mailoutbox):
    institution = InstitutionFactory()
    url = reverse("applications:institution_invite", args=[institution.pk])

    response = client.post(url, {"email": "new@example.org", "role": Membership.Role.EDITOR})

    _assert_sent_to_activation(response, url)
    assert Invitation.objects.filter(institution=institution).count() == 0
    assert mailoutbox == []


def test_gate_keeps_staff_without_totp_from_changing_a_role(client, staff):
    target = MembershipFactory(role=Membership.Role.READER)
    url = reverse("applications:institution_member_role", args=[target.institution_id, target.pk])

    response = client.post(url, {"role": Membership.Role.COORDINATOR})

    target.refresh_from_db()
    _assert_sent_to_activation(response, url)
    assert target.role == Membership.Role.READER


def test_gate_keeps_staff_without_totp_from_removing_a_member(client, staff):
    target = MembershipFactory(role=Membership.Role.READER)
    url = reverse("applications:institution_member_remove", args=[target.institution_id, target.pk])

    response = client.post(url)

    _assert_sent_to_activation(response, url)
    assert Membership.objects.filter(pk=target.pk).exists() is True


def test_gate_keeps_staff_without_totp_from_revoking_an_invitation(client, staff):
    coordinator = MembershipFactory(role=Membership.Role.COORDINATOR)
    invitation = Invitation.objects.create(
        institution=coordinator.institution,
        email="colleague@example.org",
        role=Membership.Role.EDITOR,
        invited_by=coordinator.user,
    )
    url = reverse(
        "applications:institution_invitation_revoke",
        args=[invitation.institution_id, invitation.pk],
    )

    response = client.post(url)

    _assert_sent_to_activation(response, url)
    assert Invitation.objects.filter(pk=invitation.pk).exists() is True


@pytest.mark.parametrize(
    "url",
    [
        "/programme/",
        "/jury/",
        "/jury/admin/jurors/",
        "/admin/",
        "/admin/applications/bid/",
        "/invitations/some-token/",
    ],
)
def test_gate_sends_staff_without_totp_to_activation_everywhere(client, staff, url):
    CallFactory(slug="c")

    response = client.get(url)

    _assert_sent_to_activation(response, url)


@pytest.mark.parametrize(
    "url",
    ["/jury/admin/proposals/1/progress/", "/jury/admin/calls/c/ranking/1/status/"],
)
def test_gate_answers_json_endpoints_with_403(client, staff, url):
    response = client.get(url)

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert response.json()["activate_url"] == ACTIVATION


def test_gate_answers_autosave_with_403(client):
    bid = BidFactory()
    editor = MembershipFactory(institution=bid.lead_institution, role=Membership.Role.EDITOR)
    JurorProfileFactory(user=editor.user)
    client.force_login(editor.user)

    response = client.post(
        reverse("applications:bid_section_autosave", args=[bid.public_id, "summary"]),
        {"content": "Text", "version": "0"},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


@pytest.mark.parametrize(
    "url", ["/accounts/2fa/", ACTIVATION, "/accounts/email/", "/accounts/password/change/"]
)
def test_gate_lets_staff_without_totp_reach_their_account_pages(client, staff, url):
    response = client.get(url, follow=True)

    assert response.status_code == 200
    assert not any(hop.startswith(f"{ACTIVATION}?next=") for hop, _ in response.redirect_chain)


def test_gate_lets_staff_without_totp_switch_language(client, staff):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/accounts/2fa/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"


def test_gate_lets_staff_without_totp_sign_out(client, staff):
    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_gate_lets_staff_with_totp_through(client, staff):
    enable_totp(staff)

    assert client.get("/bids/").status_code == 200


def test_gate_lets_staff_through_when_the_demo_relaxes_mfa(client, staff, settings):
    settings.PORTAL_DEMO_RELAX_MFA = True

    assert client.get("/bids/").status_code == 200


def test_gate_does_not_ask_institution_members_for_totp(client):
    client.force_login(MembershipFactory().user)

    assert client.get("/bids/").status_code == 200


def test_gate_leaves_anonymous_users_to_the_login_page(client):
    response = client.get("/programme/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_gate_sends_staff_without_totp_to_activation_before_any_404(client, staff):
    url = f"/jury/bids/{uuid.uuid4()}/"

    response = client.get(url)

    _assert_sent_to_activation(response, url)
