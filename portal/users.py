"""People as the portal names them, the signed-in user a page acts for (typed as the
services' ``by`` parameters expect), and how a session's user is loaded (the authentication
backends of the settings)."""

import functools
from typing import cast

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpRequest

from portal import rows


def acting_user(request: HttpRequest) -> User:
    """``request.user`` on a page that requires sign-in (``login_required`` or a gate on it).

    The stubs type ``request.user`` as ``User | AnonymousUser``; behind those decorators it is
    always a ``User``, so this only narrows the type: it checks nothing at run time.
    """
    return cast(User, request.user)


def display_name(user: User) -> str:
    """``Marie Curie``: the first and last name, or the e-mail address when both are blank
    (accounts made before names were asked, or by ``createsuperuser``). Greetings, member
    lists and allauth's ``{% user_display %}`` (``ACCOUNT_USER_DISPLAY``) use it."""
    name = f"{user.first_name} {user.last_name}".strip()
    return name or user.email or user.get_username()


def load_session_user(backend: ModelBackend, user_id) -> User | None:
    """The user of a session, read with their juror profile in the same query.

    Every page asks whether the user is a juror (the TOTP gate, ``applications.rules.is_juror``
    reads ``user.juror_profile``): joined here, that costs no query of its own, and a user
    without a profile is known to have none (the reverse one-to-one is cached as empty).
    """
    user = _user_with_juror_profile(user_id)
    if user is None:
        return None
    return user if backend.user_can_authenticate(user) else None


def _user_with_juror_profile(user_id) -> User | None:
    """``User.objects.select_related("juror_profile").get(pk=user_id)``, written out in SQL
    (``portal.rows``): the ORM's composing and compiling of it was a fifth of an autosave's
    CPU. The same instances: every field loaded, the profile (or its absence) cached."""
    profile_field = User._meta.get_field("juror_profile")
    profile_model = profile_field.related_model
    with connection.cursor() as cursor:
        cursor.execute(_session_user_sql(connection.vendor), [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(User._meta.concrete_fields)
    user = rows.whole_instance(User, row[:width])
    profile = None
    if row[width] is not None:  # the profile's primary key: a profile exists
        profile = rows.whole_instance(profile_model, row[width:])
        profile_field.remote_field.set_cached_value(profile, user)  # profile.user
    profile_field.set_cached_value(user, profile)  # user.juror_profile, or known to be none
    return user


@functools.cache
def _session_user_sql(vendor: str) -> str:
    """The query of :func:`_user_with_juror_profile` for one database vendor (its quoting)."""
    quote = connection.ops.quote_name
    profile_field = User._meta.get_field("juror_profile")
    profile_model = profile_field.related_model
    columns = [f"u.{quote(name)}" for name in rows.column_names(User)]
    columns += [f"p.{quote(name)}" for name in rows.column_names(profile_model)]
    user_column = cast(str, profile_field.remote_field.column)  # JurorProfile.user_id
    # Identifiers from the models' _meta, quoted; the one value is a parameter.
    return (
        f"SELECT {', '.join(columns)} FROM {quote(User._meta.db_table)} u "  # noqa: S608  # nosec B608 - identifiers from _meta
        f"LEFT JOIN {quote(profile_model._meta.db_table)} p ON p.{quote(user_column)} = u.id "
        "WHERE u.id = %s"
    )


class SessionUserModelBackend(ModelBackend):
    """Django's ``ModelBackend``, loading the session's user with ``load_session_user``."""

    def get_user(self, user_id):
        return load_session_user(self, user_id)


class SessionUserAllauthBackend(AuthenticationBackend):
    """allauth's e-mail login backend, loading the session's user with ``load_session_user``."""

    def get_user(self, user_id):
        return load_session_user(self, user_id)
