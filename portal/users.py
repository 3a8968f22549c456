"""People as the portal names them, and the signed-in user a page acts for."""

from typing import cast

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
