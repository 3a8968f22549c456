"""People as the portal names them, the signed-in user a page acts for (typed as the
services' ``by`` parameters expect), and how a session's user is loaded (the authentication
backends of the settings)."""

from typing import cast

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest


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
    try:
        user = User._default_manager.select_related("juror_profile").get(pk=user_id)
    except User.DoesNotExist:
        return None
    return user if backend.user_can_authenticate(user) else None


class SessionUserModelBackend(ModelBackend):
    """Django's ``ModelBackend``, loading the session's user with ``load_session_user``."""

    def get_user(self, user_id):
        return load_session_user(self, user_id)


class SessionUserAllauthBackend(AuthenticationBackend):
    """allauth's e-mail login backend, loading the session's user with ``load_session_user``."""

    def get_user(self, user_id):
        return load_session_user(self, user_id)
