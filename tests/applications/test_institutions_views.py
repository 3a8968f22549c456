import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Institution, Invitation, Membership
from applications.services.institutions import INVITATION_VALIDITY
from tests.factories import (
    AdministratorFactory,
    InstitutionFactory,
    JurorProfileFactory,
    MembershipFactory,
    UserFactory,
    enable_totp,
    valid_uai,
)

pytestmark = pytest.mark.django_db

# Administrators (with TOTP) may manage any institution's members (e.g. appoint a coordinator
# when the last one left): ``institutions.manage`` says so. Jurors and administrators here have
# TOTP, so the gate lets them through and the permission decides.


@pytest.fixture
def institution():
    institution = InstitutionFactory()
    MembershipFactory(institution=institution, role=Membership.Role.COORDINATOR)
    return institution


def _user_for(role: str, institution: Institution):
    if role == "anonymous":
        return None
    if role == "other":
        return MembershipFactory().user
    if role in {"reader", "editor", "coordinator"}:
        return MembershipFactory(institution=institution, role=role).user
    user = JurorProfileFactory().user if role == "juror" else AdministratorFactory()
    enable_totp(user)
    return user


def _login(client, role: str, institution: Institution):
    user = _user_for(role, institution)
    if user is not None:
        client.force_login(user)
    return user


# -- institution page -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("other", 403),
        ("reader", 200),
        ("editor", 200),
        ("coordinator", 200),
        ("juror", 403),
        ("administrator", 200),
    ],
)
def test_institution_detail_by_role(client, institution, role, expected):
    _login(client, role, institution)

    response = client.get(reverse("applications:institution_detail", args=[institution.pk]))

    assert response.status_code == expected


def test_institution_detail_anonymous_is_sent_to_login(client, institution):
    url = reverse("applications:institution_detail", args=[institution.pk])

    response = client.get(url)

    assert response.url == f"{reverse('account_login')}?next={url}"


def test_institution_detail_shows_invite_form_to_coordinator_only(client, institution):
    editor = MembershipFactory(institution=institution, role=Membership.Role.EDITOR).user
    coordinator = institution.memberships.get(role=Membership.Role.COORDINATOR).user
    url = reverse("applications:institution_detail", args=[institution.pk])

    client.force_login(editor)
    editor_page = client.get(url).content.decode()
    client.force_login(coordinator)
    coordinator_page = client.get(url).content.decode()

    assert 'id="invite-form"' not in editor_page
    assert 'id="invite-form"' in coordinator_page


def test_institution_detail_lists_members_and_pending_invitations(client, institution):
    coordinator = institution.memberships.get().user
    Invitation.objects.create(
        institution=institution, email="pending@example.org", role="reader", invited_by=coordinator
    )
    client.force_login(coordinator)

    page = client.get(reverse("applications:institution_detail", args=[institution.pk]))

    content = page.content.decode()
    assert coordinator.email in content
    assert "pending@example.org" in content


def test_my_institution_redirects_to_registration_without_membership(client):
    client.force_login(UserFactory())

    response = client.get(reverse("applications:my_institution"))

    assert response.url == reverse("applications:institution_register")


def test_my_institution_redirects_to_the_users_institution(client, institution):
    client.force_login(institution.memberships.get().user)

    response = client.get(reverse("applications:my_institution"))

    assert response.url == reverse("applications:institution_detail", args=[institution.pk])


# -- registration ------------------------------------------------------------------------


def _registration_data(**overrides):
    data = {
        "name": "École fictive du Nord",
        "kind": Institution.Kind.ECOLE,
        "city": "Lille",
        "identifier_type": Institution.IdentifierType.UAI,
        "identifier": valid_uai(777),
        "email_domain": "ecole-fictive.fr",
    }
    data.update(overrides)
    return data


def test_register_creates_institution_with_user_as_coordinator(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("applications:institution_register"), _registration_data())

    institution = Institution.objects.get()
    assert response.url == reverse("applications:institution_detail", args=[institution.pk])
    assert Membership.objects.get(user=user).role == Membership.Role.COORDINATOR


@pytest.mark.parametrize(
    ("identifier_type", "identifier", "message"),
    [
        ("uai", "0751717X", "control letter is wrong"),
        ("uai", "75-1717J", "7 digits followed by a letter"),
        ("siren", "12345678", "exactly 9 digits"),
        ("siren", "123456788", "fails its checksum"),
    ],
)
def test_register_invalid_identifier_keeps_the_input(client, identifier_type, identifier, message):
    client.force_login(UserFactory())

    response = client.post(
        reverse("applications:institution_register"),
        _registration_data(identifier_type=identifier_type, identifier=identifier),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert f'value="{identifier}"' in content
    assert 'value="École fictive du Nord"' in content
    assert Institution.objects.count() == 0


def test_register_refused_for_a_member_of_an_institution(client, institution):
    client.force_login(institution.memberships.get().user)

    response = client.post(reverse("applications:institution_register"), _registration_data())

    assert response.status_code == 302
    assert Institution.objects.count() == 1


def test_register_anonymous_is_sent_to_login(client):
    response = client.get(reverse("applications:institution_register"))

    assert response.url.startswith(reverse("account_login"))


# -- invitations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("other", 403),
        ("reader", 403),
        ("editor", 403),
        ("coordinator", 302),
        ("juror", 403),
        ("administrator", 302),
    ],
)
def test_invite_by_role(client, institution, role, expected, mailoutbox):
    _login(client, role, institution)

    response = client.post(
        reverse("applications:institution_invite", args=[institution.pk]),
        {"email": "new@example.org", "role": Membership.Role.EDITOR},
    )

    assert response.status_code == expected
    assert Invitation.objects.count() == (1 if expected == 302 and role != "anonymous" else 0)


def test_invite_invalid_email_keeps_the_input(client, institution):
    client.force_login(institution.memberships.get().user)

    response = client.post(
        reverse("applications:institution_invite", args=[institution.pk]),
        {"email": "not-an-address", "role": Membership.Role.EDITOR},
    )

    assert response.status_code == 200
    assert 'value="not-an-address"' in response.content.decode()
    assert Invitation.objects.count() == 0


def test_invitation_journey_from_email_to_membership(
    client, institution, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(institution.memberships.get().user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("applications:institution_invite", args=[institution.pk]),
            {"email": "Colleague@Example.org", "role": Membership.Role.READER},
        )
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mailoutbox[0].body).group(1)
    colleague = UserFactory(username="colleague@example.org")
    client.force_login(colleague)

    page = client.get(link)
    response = client.post(link)

    assert page.status_code == 200
    assert response.url == reverse("applications:institution_detail", args=[institution.pk])
    assert Membership.objects.get(user=colleague).role == Membership.Role.READER


def _pending_invitation(institution, email="colleague@example.org"):
    return Invitation.objects.create(
        institution=institution,
        email=email,
        role=Membership.Role.EDITOR,
        invited_by=institution.memberships.get().user,
    )


def test_accept_invitation_wrong_email_is_refused_with_a_message(client, institution):
    invitation = _pending_invitation(institution)
    client.force_login(UserFactory(username="intruder@example.org"))

    response = client.post(reverse("applications:invitation_accept", args=[invitation.token]))

    assert response.status_code == 403
    assert "was sent to colleague@example.org" in response.content.decode()
    assert institution.memberships.count() == 1


def test_accept_invitation_reused_token_is_refused(client, institution):
    invitation = _pending_invitation(institution)
    client.force_login(UserFactory(username="colleague@example.org"))
    client.post(reverse("applications:invitation_accept", args=[invitation.token]))

    response = client.post(reverse("applications:invitation_accept", args=[invitation.token]))

    assert response.status_code == 409
    assert "already been used" in response.content.decode()


def test_accept_invitation_expired_link_is_refused(client, institution):
    invitation = _pending_invitation(institution)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - INVITATION_VALIDITY - timedelta(minutes=1)
    )
    client.force_login(UserFactory(username="colleague@example.org"))

    page = client.get(reverse("applications:invitation_accept", args=[invitation.token]))
    response = client.post(reverse("applications:invitation_accept", args=[invitation.token]))

    assert "has expired" in page.content.decode()
    assert response.status_code == 410
    assert institution.memberships.count() == 1


def test_accept_invitation_unknown_token_is_404(client):
    client.force_login(UserFactory())

    response = client.get(reverse("applications:invitation_accept", args=["nope"]))

    assert response.status_code == 404


def test_accept_invitation_anonymous_is_offered_sign_in_and_sign_up(client, institution):
    invitation = _pending_invitation(institution)
    url = reverse("applications:invitation_accept", args=[invitation.token])

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert f"{reverse('account_signup')}?next={url}" in html
    assert f"{reverse('account_login')}?next={url}" in html
    assert 'id="invitation-accept"' not in html
    assert client.session["pending_invitation"] == invitation.token


def test_accept_invitation_anonymous_post_is_sent_to_login(client, institution):
    invitation = _pending_invitation(institution)
    url = reverse("applications:invitation_accept", args=[invitation.token])

    response = client.post(url)

    assert response.url == f"{reverse('account_login')}?next={url}"
    assert institution.memberships.count() == 1


def test_accept_invitation_page_offers_accept_only_to_the_invited_address(client, institution):
    invitation = _pending_invitation(institution)
    url = reverse("applications:invitation_accept", args=[invitation.token])
    client.force_login(UserFactory(username="intruder@example.org"))

    other = client.get(url).content.decode()
    client.force_login(UserFactory(username="colleague@example.org"))
    invited = client.get(url).content.decode()

    assert 'id="invitation-accept"' not in other
    assert "was sent to colleague@example.org" in other
    assert 'id="invitation-accept"' in invited


@pytest.mark.parametrize(
    ("role", "expected"),
    [("other", 403), ("editor", 403), ("administrator", 302), ("coordinator", 302)],
)
def test_revoke_invitation_by_role(client, institution, role, expected):
    invitation = _pending_invitation(institution)
    _login(client, role, institution)

    response = client.post(
        reverse("applications:institution_invitation_revoke", args=[institution.pk, invitation.pk])
    )

    assert response.status_code == expected
    assert Invitation.objects.filter(pk=invitation.pk).exists() == (expected == 403)


# -- members: role changes and removal --------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("other", 403),
        ("reader", 403),
        ("editor", 403),
        ("coordinator", 302),
        ("juror", 403),
        ("administrator", 302),
    ],
)
def test_change_role_by_role(client, institution, role, expected):
    target = MembershipFactory(institution=institution, role=Membership.Role.READER)
    _login(client, role, institution)

    response = client.post(
        reverse("applications:institution_member_role", args=[institution.pk, target.pk]),
        {"role": Membership.Role.EDITOR},
    )

    target.refresh_from_db()
    assert response.status_code == expected
    allowed = role in {"coordinator", "administrator"}
    assert target.role == (Membership.Role.EDITOR if allowed else Membership.Role.READER)


def test_change_role_of_another_institutions_member_is_404(client, institution):
    client.force_login(institution.memberships.get().user)
    stranger = MembershipFactory(role=Membership.Role.READER)

    response = client.post(
        reverse("applications:institution_member_role", args=[institution.pk, stranger.pk]),
        {"role": Membership.Role.COORDINATOR},
    )

    assert response.status_code == 404


def test_change_role_refuses_demoting_the_last_coordinator(client, institution):
    coordinator = institution.memberships.get()
    client.force_login(coordinator.user)

    response = client.post(
        reverse("applications:institution_member_role", args=[institution.pk, coordinator.pk]),
        {"role": Membership.Role.READER},
        follow=True,
    )

    coordinator.refresh_from_db()
    assert "at least one coordinator" in response.content.decode()
    assert coordinator.role == Membership.Role.COORDINATOR


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("other", 403),
        ("reader", 403),
        ("editor", 403),
        ("administrator", 302),
        ("coordinator", 302),
    ],
)
def test_remove_member_by_role(client, institution, role, expected):
    target = MembershipFactory(institution=institution, role=Membership.Role.READER)
    _login(client, role, institution)

    response = client.post(
        reverse("applications:institution_member_remove", args=[institution.pk, target.pk])
    )

    assert response.status_code == expected
    assert Membership.objects.filter(pk=target.pk).exists() == (expected == 403)


def test_remove_member_refuses_the_last_coordinator(client, institution):
    coordinator = institution.memberships.get()
    client.force_login(coordinator.user)

    response = client.post(
        reverse("applications:institution_member_remove", args=[institution.pk, coordinator.pk]),
        follow=True,
    )

    assert "at least one coordinator" in response.content.decode()
    assert Membership.objects.filter(pk=coordinator.pk).exists()


def test_member_removal_get_asks_for_confirmation_and_removes_nobody(client, institution):
    coordinator = institution.memberships.get()
    target = MembershipFactory(institution=institution, role=Membership.Role.READER)
    client.force_login(coordinator.user)
    url = reverse("applications:institution_member_remove", args=[institution.pk, target.pk])

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'action="{url}"' in html
    assert 'id="confirm-remove"' in html
    assert f"<title>Remove a member — {institution.name} — " in html
    assert Membership.objects.filter(pk=target.pk).exists()


def test_member_removal_confirmation_refuses_a_member_who_does_not_manage(client, institution):
    target = MembershipFactory(institution=institution, role=Membership.Role.READER)
    editor = MembershipFactory(institution=institution, role=Membership.Role.EDITOR)
    client.force_login(editor.user)

    response = client.get(
        reverse("applications:institution_member_remove", args=[institution.pk, target.pk])
    )

    assert response.status_code == 403


def test_member_removal_confirmation_anonymous_redirects_to_login(client, institution):
    target = institution.memberships.get()

    response = client.get(
        reverse("applications:institution_member_remove", args=[institution.pk, target.pk])
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_institution_page_links_removal_to_the_confirmation(client, institution):
    coordinator = institution.memberships.get()
    client.force_login(coordinator.user)

    response = client.get(reverse("applications:institution_detail", args=[institution.pk]))

    url = reverse("applications:institution_member_remove", args=[institution.pk, coordinator.pk])
    assert f'href="{url}"' in response.content.decode()


def test_coordinator_sets_the_language_of_the_letters(client):
    membership = MembershipFactory(role=Membership.Role.COORDINATOR)
    client.force_login(membership.user)
    url = reverse("applications:institution_language", args=[membership.institution_id])

    bad = client.post(url, {"language": "de"})
    good = client.post(url, {"language": "en"})

    assert bad.status_code == 400
    assert good.status_code == 302
    assert Institution.objects.get(pk=membership.institution_id).language == "en"


def test_reader_cannot_set_the_language_of_the_letters(client):
    membership = MembershipFactory(role=Membership.Role.READER)
    client.force_login(membership.user)

    response = client.post(
        reverse("applications:institution_language", args=[membership.institution_id]),
        {"language": "en"},
    )

    assert response.status_code == 403
    assert Institution.objects.get(pk=membership.institution_id).language == "fr"
