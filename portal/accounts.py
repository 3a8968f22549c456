"""The portal's side of django-allauth: the sign-up form, where to go after signing in, and
allauth's own e-mails.

- Sign-up asks for the first and last name (greetings and member lists use them, see
  ``portal.users.display_name``).
- After signing in, and after verifying an address, an invitee is taken to the invitation
  they followed or that awaits one of their verified addresses
  (``applications.invitations.invitation_after_sign_in``), before anything else.
- allauth's e-mails carry the portal's name (``PORTAL_NAME``) in their context; their subject
  prefix is set in the settings (``ACCOUNT_EMAIL_SUBJECT_PREFIX``).
"""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from applications.invitations import invitation_after_sign_in


class SignupForm(forms.Form):
    """The fields allauth's sign-up form adds to its own (``ACCOUNT_SIGNUP_FORM_CLASS``)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    def signup(self, request: HttpRequest, user: User) -> None:
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.save(update_fields=["first_name", "last_name"])


class PortalAccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return invitation_after_sign_in(request) or super().get_login_redirect_url(request)

    def get_email_verification_redirect_url(self, email_address: EmailAddress) -> str:
        request = self.request
        if request is not None and request.user.is_authenticated:
            invitation = invitation_after_sign_in(request)
            if invitation:
                return invitation
        return super().get_email_verification_redirect_url(email_address)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        portal = {"portal_name": settings.PORTAL_NAME, "portal_url": settings.PORTAL_SITE_URL}
        super().send_mail(template_prefix, email, {**context, **portal})
