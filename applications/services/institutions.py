"""Institutions, their members and e-mail invitations to join them.

Invitations: a coordinator invites an e-mail address with a role; the e-mail carries a
one-time link (``Invitation.token``). The link is accepted only by a signed-in user whose
account e-mail (any of their verified addresses) matches the invited address,
case-insensitively, so a forwarded or leaked link cannot make someone else a member. A link
works once and expires ``INVITATION_VALIDITY`` after it was sent.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.models import INVITATION_VALIDITY, Institution, Invitation, Membership
from applications.queries import usable_invitations, verified_emails
from portal.mail import absolute_url, send_templated_mail
from portal.users import display_name

logger = logging.getLogger(__name__)


def register_institution(
    *,
    by: User,
    name: str,
    kind: str,
    city: str,
    identifier_type: str,
    identifier: str,
    email_domain: str = "",
) -> Institution:
    """Create an institution whose first coordinator is ``by``.

    A user registers at most one institution this way: someone who already belongs to one
    joins others by invitation.
    """
    if Membership.objects.filter(user=by).exists():
        raise ValidationError(
            _("You already belong to an institution; ask its coordinator to invite colleagues.")
        )
    institution = Institution(
        name=name.strip(),
        kind=kind,
        city=city.strip(),
        identifier_type=identifier_type,
        identifier=identifier,
        email_domain=email_domain,
    )
    institution.full_clean()
    with transaction.atomic():
        institution.save()
        Membership.objects.create(
            user=by, institution=institution, role=Membership.Role.COORDINATOR
        )
    logger.info("User %s registered institution %s", by.pk, institution.pk)
    return institution


def invitation_url(token) -> str:
    return absolute_url(reverse("applications:invitation_accept", kwargs={"token": token}))


def invite_member(
    *,
    institution: Institution,
    email: str,
    role: str,
    by,
    accept_url_builder: Callable[..., str] = invitation_url,
) -> Invitation:
    """Record an invitation and e-mail its one-time link, in the inviter's language.

    ``accept_url_builder(token) -> str`` turns the token into the absolute link. The e-mail
    is queued after the transaction commits.
    """
    email = email.strip()
    if Membership.objects.filter(institution=institution, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s is already a member of this institution.") % {"email": email}}
        )
    if usable_invitations().filter(institution=institution, email__iexact=email).exists():
        raise ValidationError(
            {"email": _("An invitation to %(email)s is already pending.") % {"email": email}}
        )
    invitation = Invitation(institution=institution, email=email, role=role, invited_by=by)
    invitation.full_clean()
    with transaction.atomic():
        invitation.save()
        send_templated_mail(
            template="applications/institutions/invitation",
            to=invitation.email,
            context={
                "institution": institution.name,
                "inviter": display_name(by),
                "role": str(invitation.get_role_display()),
                "url": accept_url_builder(invitation.token),
                "expires_at": invitation.created_at + INVITATION_VALIDITY,
            },
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
    logger.info("User %s invited %s to institution %s", by.pk, email, institution.pk)
    return invitation


def check_invitation_usable(*, invitation: Invitation, at=None) -> None:
    """Raise ``ValidationError`` if the invitation was used or has expired."""
    now = at or timezone.now()
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if now >= invitation.created_at + INVITATION_VALIDITY:
        raise ValidationError(
            _("This invitation has expired. Ask the coordinator to send a new one."),
            code="expired",
        )


def check_invitation_acceptable(*, invitation: Invitation, by: User) -> None:
    """Raise ``ValidationError`` unless ``by`` may accept ``invitation`` now: usable, sent to
    one of their verified addresses, and for an institution they are not yet a member of."""
    check_invitation_usable(invitation=invitation)
    if invitation.email.lower() not in verified_emails(user=by):
        raise ValidationError(
            _(
                "This invitation was sent to %(email)s, but you are signed in as "
                "%(current)s. Sign in with the invited address (or add and verify it "
                "in your account) to accept it."
            )
            % {"email": invitation.email, "current": by.email},
            code="wrong_email",
        )
    if Membership.objects.filter(user=by, institution=invitation.institution_id).exists():
        raise ValidationError(
            _("You are already a member of this institution."), code="already_member"
        )


def accept_invitation(*, invitation: Invitation, by: User) -> Membership:
    """Make ``by`` a member with the invited role; the link then stops working."""
    with transaction.atomic():
        # Lock the row: two clicks on the same link must not both succeed.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        check_invitation_acceptable(invitation=invitation, by=by)
        try:
            membership = Membership.objects.create(
                user=by, institution=invitation.institution, role=invitation.role
            )
        except IntegrityError as error:  # pragma: no cover - raced with another accept
            raise ValidationError(_("You are already a member of this institution.")) from error
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = by
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    logger.info("User %s accepted invitation %s", by.pk, invitation.pk)
    return membership


def revoke_invitation(*, invitation: Invitation, by: User) -> None:
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been accepted."))
    logger.info("User %s revoked invitation %s (%s)", by.pk, invitation.pk, invitation.email)
    invitation.delete()


def _check_keeps_a_coordinator(*, membership: Membership) -> None:
    """Precondition: called inside ``transaction.atomic()`` before demoting/removing."""
    coordinators = (
        Membership.objects.select_for_update()
        .filter(institution_id=membership.institution_id, role=Membership.Role.COORDINATOR)
        .exclude(pk=membership.pk)
    )
    if not list(coordinators):
        raise ValidationError(
            _(
                "An institution needs at least one coordinator: appoint another coordinator "
                "before changing this one."
            )
        )


def change_member_role(*, membership: Membership, role: str, by: User) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == Membership.Role.COORDINATOR and role != Membership.Role.COORDINATOR:
            _check_keeps_a_coordinator(membership=membership)
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
    logger.info("User %s set membership %s to role %s", by.pk, membership.pk, role)
    return membership


def remove_member(*, membership: Membership, by: User) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == Membership.Role.COORDINATOR:
            _check_keeps_a_coordinator(membership=membership)
        membership_pk = membership.pk
        membership.delete()
    logger.info("User %s removed membership %s", by.pk, membership_pk)


def set_institution_language(*, institution: Institution, language: str, by: User) -> Institution:
    """Record the language the institution's decision letters are written in."""
    if language not in Institution.Language.values:
        raise ValidationError(
            {"language": _("Choose French or English for the institution's letters.")}
        )
    with transaction.atomic():
        institution.language = language
        institution.save(update_fields=["language"])
    logger.info("Institution %s writes in %s (set by user %s)", institution.pk, language, by.pk)
    return institution
