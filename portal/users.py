"""The signed-in user a page acts for, typed as the services' ``by`` parameters expect."""

from typing import cast

from django.contrib.auth.models import User
from django.http import HttpRequest


def acting_user(request: HttpRequest) -> User:
    """``request.user`` on a page that requires sign-in (``login_required`` or a gate on it).

    The stubs type ``request.user`` as ``User | AnonymousUser``; behind those decorators it is
    always a ``User``, so this only narrows the type: it checks nothing at run time.
    """
    return cast(User, request.user)
