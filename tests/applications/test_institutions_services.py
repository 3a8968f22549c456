from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import Institution, Invitation, Membership
from applications.services.institutions import (
    INVITATION_VALIDITY,
    accept_invitation,
    change_member_role,
    invite_member,
    register_institution,
    remove_member,
)
from tests.factories import InstitutionFactory, MembershipFactory, UserFactory, valid_uai

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return f"https://portal.test/invitations/{token}/"


def _register(user, **overrides):
    data = {
        "name": "Université de Nulle-Part",
        "kind": Institution.Kind.UNIVERSITY,
        "city": "Nulle-Part",
        "identifier_type": Institution.IdentifierType.UAI,
        "identifier": valid_uai(4242).lower(),
        "email_domain": "@Univ-Nulle.FR",
    }
    data.update(overrides)
    return register_institution(by=user, **data)


def test_register_institution_makes_the_user_coordinator():
    user = UserFactory()

    institution = _register(user)

    assert Membership.objects.get(user=user).role == Membership.Role.COORDINATOR
    assert institution.identifier == valid_uai(4242)
    assert institution.email_domain == "univ-nulle.fr"


def test_register_institution_refuses_a_bad_siren():
    user = UserFactory()

    with pytest.raises(ValidationError) as error:
        _register(user, identifier_type=Institution.IdentifierType.SIREN, identifier="123456788")

    assert list(error.value.message_dict) == ["identifier"]
    assert Institution.objects.count() == 0


def test_register_institution_refuses_a_user_who_already_belongs_to_one():
    membership = MembershipFactory()

    with pytest.raises(ValidationError):
        _register(membership.user)

    assert Institution.objects.count() == 1


def test_invite_member_sends_one_time_link(mailoutbox, django_capture_on_commit_callbacks):
    coordinator = MembershipFactory()

    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite_member(
            institution=coordinator.institution,
            email="Colleague@Example.org",
            role=Membership.Role.EDITOR,
            by=coordinator.user,
            accept_url_builder=_url,
        )

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["Colleague@Example.org"]
    assert _url(invitation.token) in mailoutbox[0].body


def test_invite_member_refuses_an_existing_member():
    coordinator = MembershipFactory()
    member = MembershipFactory(institution=coordinator.institution, role=Membership.Role.READER)

    with pytest.raises(ValidationError) as error:
        invite_member(
            institution=coordinator.institution,
            email=member.user.email.upper(),
            role=Membership.Role.EDITOR,
            by=coordinator.user,
            accept_url_builder=_url,
        )

    assert list(error.value.message_dict) == ["email"]


def test_invite_member_refuses_a_second_pending_invitation():
    coordinator = MembershipFactory()
    kwargs = {
        "institution": coordinator.institution,
        "email": "x@example.org",
        "role": Membership.Role.READER,
        "by": coordinator.user,
        "accept_url_builder": _url,
    }
    invite_member(**kwargs)

    with pytest.raises(ValidationError):
        invite_member(**kwargs)

    assert Invitation.objects.count() == 1


def _invitation(email: str, role=Membership.Role.EDITOR) -> Invitation:
    return Invitation.objects.create(
        institution=InstitutionFactory(), email=email, role=role, invited_by=None
    )


def test_accept_invitation_matches_email_case_insensitively():
    user = UserFactory(username="colleague@example.org")
    invitation = _invitation("Colleague@EXAMPLE.org")

    membership = accept_invitation(invitation=invitation, by=user)

    invitation.refresh_from_db()
    assert membership.role == Membership.Role.EDITOR
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None


def test_accept_invitation_refuses_another_email():
    user = UserFactory(username="someone-else@example.org")
    invitation = _invitation("colleague@example.org")

    with pytest.raises(ValidationError) as error:
        accept_invitation(invitation=invitation, by=user)

    assert error.value.code == "wrong_email"
    assert Membership.objects.count() == 0


def test_accept_invitation_refuses_an_unverified_secondary_address():
    user = UserFactory(username="main@example.org")
    EmailAddress.objects.create(user=user, email="colleague@example.org", verified=False)
    invitation = _invitation("colleague@example.org")

    with pytest.raises(ValidationError) as error:
        accept_invitation(invitation=invitation, by=user)

    assert error.value.code == "wrong_email"


def test_accept_invitation_refuses_a_reused_token():
    user = UserFactory(username="colleague@example.org")
    invitation = _invitation("colleague@example.org")
    accept_invitation(invitation=invitation, by=user)

    with pytest.raises(ValidationError) as error:
        accept_invitation(invitation=invitation, by=user)

    assert error.value.code == "used"
    assert Membership.objects.count() == 1


def test_accept_invitation_refuses_an_expired_link():
    user = UserFactory(username="colleague@example.org")
    invitation = _invitation("colleague@example.org")
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - INVITATION_VALIDITY - timedelta(seconds=1)
    )

    with pytest.raises(ValidationError) as error:
        accept_invitation(invitation=invitation, by=user)

    assert error.value.code == "expired"


def test_change_member_role_refuses_demoting_the_last_coordinator():
    coordinator = MembershipFactory()

    with pytest.raises(ValidationError):
        change_member_role(membership=coordinator, role=Membership.Role.EDITOR, by=coordinator.user)

    coordinator.refresh_from_db()
    assert coordinator.role == Membership.Role.COORDINATOR


def test_change_member_role_demotes_a_coordinator_when_another_remains():
    coordinator = MembershipFactory()
    other = MembershipFactory(institution=coordinator.institution)

    change_member_role(membership=other, role=Membership.Role.READER, by=coordinator.user)

    other.refresh_from_db()
    assert other.role == Membership.Role.READER


def test_remove_member_refuses_the_last_coordinator():
    coordinator = MembershipFactory()
    MembershipFactory(institution=coordinator.institution, role=Membership.Role.EDITOR)

    with pytest.raises(ValidationError):
        remove_member(membership=coordinator, by=coordinator.user)

    assert Membership.objects.filter(pk=coordinator.pk).exists()


def test_remove_member_removes_an_editor():
    coordinator = MembershipFactory()
    editor = MembershipFactory(institution=coordinator.institution, role=Membership.Role.EDITOR)

    remove_member(membership=editor, by=coordinator.user)

    assert list(Membership.objects.all()) == [coordinator]
