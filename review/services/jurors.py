"""Jurors: invitation by an administrator, profile and affiliations.

An invited juror gets an account with no usable password and a verified e-mail address
(the administrator vouches for it), and an e-mail with a one-time link to set a password.
The link is allauth's password-reset link: it stops working once the password is set
(the token depends on the password hash) and after ``PASSWORD_RESET_TIMEOUT``.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.models import Call, Institution, Membership
from portal.mail import absolute_url, send_templated_mail
from review.models import Affiliation, JurorProfile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AffiliationData:
    organisation_name: str
    institution: Institution | None = None
    start_year: int | None = None
    end_year: int | None = None


def set_password_path(user) -> tuple[str, str]:
    """(uidb36, key) of allauth's one-time "set a new password" link for the user."""
    return user_pk_to_url_str(user), default_token_generator.make_token(user)


def set_password_url(uidb36: str, key: str) -> str:
    """The absolute one-time "set a new password" link (allauth's password-reset page)."""
    return absolute_url(
        reverse("account_reset_password_from_key", kwargs={"uidb36": uidb36, "key": key})
    )


def _replace_affiliations(*, juror: JurorProfile, affiliations: Iterable[AffiliationData]) -> None:
    """Precondition: inside ``transaction.atomic()``."""
    juror.affiliations.all().delete()
    for data in affiliations:
        affiliation = Affiliation(
            juror=juror,
            institution=data.institution,
            organisation_name=(data.organisation_name or "").strip()
            or (data.institution.name if data.institution else ""),
            start_year=data.start_year,
            end_year=data.end_year,
        )
        if (
            affiliation.start_year is not None
            and affiliation.end_year is not None
            and affiliation.end_year < affiliation.start_year
        ):
            raise ValidationError(
                _("The affiliation with %(organisation)s ends before it starts.")
                % {"organisation": affiliation.organisation_name}
            )
        affiliation.full_clean()
        affiliation.save()


def invite_juror(
    *,
    email: str,
    display_name: str,
    country: str,
    expertise: str = "",
    keywords: str = "",
    languages: str = "",
    calls: Sequence[Call] = (),
    affiliations: Iterable[AffiliationData] = (),
    listed_publicly: bool = False,
    by: User,
    set_password_url_builder: Callable[[str, str], str] = set_password_url,
    login_url: str | None = None,
) -> JurorProfile:
    """Create (or reuse) the juror's account and profile and e-mail them how to sign in.

    ``set_password_url_builder(uidb36, key)`` returns the absolute one-time link and
    ``login_url`` the sign-in page (both default to the portal's own, ``PORTAL_SITE_URL``).
    The e-mail is in English (the jury's language), queued after the commit. Members of an institution cannot be jurors: that would be a conflict
    and would mix two roles on one account.
    """
    email = email.strip()
    user = User.objects.filter(
        Q(email__iexact=email)
        | Q(pk__in=EmailAddress.objects.filter(email__iexact=email).values("user_id"))
    ).first()
    if user is not None and JurorProfile.objects.filter(user=user).exists():
        raise ValidationError({"email": _("%(email)s is already a juror.") % {"email": email}})
    if user is not None and Membership.objects.filter(user=user).exists():
        raise ValidationError(
            {
                "email": _(
                    "%(email)s belongs to a member of an institution; jurors need an account "
                    "of their own."
                )
                % {"email": email}
            }
        )
    with transaction.atomic():
        new_account = user is None
        if user is None:
            user = User(username=email.lower(), email=email)
            user.set_unusable_password()
            user.full_clean()
            user.save()
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        profile = JurorProfile(
            user=user,
            display_name=display_name.strip(),
            country=country.strip(),
            expertise=expertise.strip(),
            keywords=keywords.strip(),
            languages=languages.strip(),
            listed_publicly=listed_publicly,
        )
        profile.full_clean()
        profile.save()
        profile.calls.set(calls)
        _replace_affiliations(juror=profile, affiliations=affiliations)

        password_url = ""  # a URL, empty until one is made # nosec B105
        if new_account or not user.has_usable_password():
            password_url = set_password_url_builder(*set_password_path(user))
        send_invitation(
            profile=profile, calls=calls, password_url=password_url, login_url=login_url
        )
    logger.info("User %s invited juror %s (user %s)", by.pk, profile.pk, user.pk)
    return profile


def send_invitation(
    *, profile: JurorProfile, calls: Sequence[Call], password_url: str, login_url: str | None
) -> None:
    """Queue the invitation e-mail (after the commit): the calls, the one-time link to set
    a password (empty for an account that has one) and the sign-in page."""
    send_templated_mail(
        template="review/jurors/invitation",
        to=profile.user.email,
        context={
            "name": profile.display_name,
            "calls": [call.title_en for call in calls],
            "set_password_url": password_url,
            "login_url": login_url or absolute_url(reverse("account_login")),
            "validity_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
        language="en",  # the jury works in English
    )


def update_juror(
    *,
    juror: JurorProfile,
    display_name: str,
    country: str,
    expertise: str,
    keywords: str,
    languages: str,
    calls: Sequence[Call],
    affiliations: Iterable[AffiliationData],
    listed_publicly: bool | None = None,
    by: User,
) -> JurorProfile:
    """An administrator edits a juror's whole profile, affiliations included.

    Affiliations drive conflict detection: run it again on the calls afterwards.
    ``listed_publicly`` (the juror's agreement to appear on the public results page, which
    the administrator records) stays as it is when ``None``.
    """
    with transaction.atomic():
        juror = JurorProfile.objects.select_for_update().get(pk=juror.pk)
        juror.display_name = display_name.strip()
        juror.country = country.strip()
        juror.expertise = expertise.strip()
        juror.keywords = keywords.strip()
        juror.languages = languages.strip()
        if listed_publicly is not None:
            juror.listed_publicly = listed_publicly
        juror.full_clean()
        juror.save()
        juror.calls.set(calls)
        _replace_affiliations(juror=juror, affiliations=affiliations)
    logger.info("User %s updated juror %s", by.pk, juror.pk)
    return juror


def update_own_juror_profile(
    *,
    juror: JurorProfile,
    expertise: str,
    keywords: str,
    languages: str,
    listed_publicly: bool | None = None,
) -> JurorProfile:
    """The juror edits what they declare about themselves (affiliations are the admin's),
    and whether they agree to be listed on the public results page (``None``: unchanged)."""
    with transaction.atomic():
        juror = JurorProfile.objects.select_for_update().get(pk=juror.pk)
        juror.expertise = expertise.strip()
        juror.keywords = keywords.strip()
        juror.languages = languages.strip()
        if listed_publicly is not None:
            juror.listed_publicly = listed_publicly
        juror.full_clean()
        juror.save(update_fields=["expertise", "keywords", "languages", "listed_publicly"])
    logger.info("Juror %s updated their profile", juror.pk)
    return juror
