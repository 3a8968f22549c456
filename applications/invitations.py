"""Invitations across sign-up: the link an invitee followed, kept until they can accept it.

An invitee who opens the link signed out is asked to sign in or create an account; the
token waits in their session (``remember_invitation``), which Django keeps through sign-in.
E-mail verification may happen in another browser (the mail client's), where that session
does not exist: then the invitations sent to one of their verified addresses are offered
instead. ``invitation_after_sign_in`` is the one place that decides, read by the account
adapter (``portal.accounts``) after sign-in and after e-mail verification.
"""

from django.http import HttpRequest
from django.urls import reverse

from applications.models import Invitation
from applications.queries import invitations_awaiting, usable_invitations

SESSION_KEY = "pending_invitation"


def remember_invitation(request: HttpRequest, invitation: Invitation) -> None:
    request.session[SESSION_KEY] = invitation.token


def forget_invitation(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def invitation_after_sign_in(request: HttpRequest) -> str | None:
    """The invitation page to show a user who just signed in, or ``None``."""
    token = request.session.get(SESSION_KEY)
    if token and usable_invitations().filter(token=token).exists():
        return reverse("applications:invitation_accept", kwargs={"token": token})
    forget_invitation(request)
    if not request.user.is_authenticated:
        return None
    waiting = invitations_awaiting(user=request.user).first()
    if waiting is None:
        return None
    return reverse("applications:invitation_accept", kwargs={"token": waiting.token})
