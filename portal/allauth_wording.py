"""allauth's own titles, re-worded in the portal's catalogs (never called).

allauth writes "Sign In", "Email Address", "Sign Up" in title case and calls an e-mail an
"email"; the portal writes "Sign in", "E-mail address", "Create an account". Django reads the
project's catalogs (``LOCALE_PATHS``) before allauth's, so an entry of ``locale/en`` and
``locale/fr`` for the same msgid replaces allauth's wording on its pages. The msgids are
listed here so that ``make messages`` keeps those entries; each must stay byte-identical to
allauth's (its templates under ``allauth/templates/account`` and ``mfa``).
"""

from django.utils.translation import gettext_noop

ALLAUTH_TITLES = (
    gettext_noop("Sign In"),
    gettext_noop("Sign Up"),
    gettext_noop("Sign Out"),
    gettext_noop("Sign Up Closed"),
    gettext_noop("Change Password"),
    gettext_noop("Set Password"),
    gettext_noop("Password Reset"),
    gettext_noop("Verify Your Email Address"),
    gettext_noop("Confirm Email Address"),
    gettext_noop("Email Address"),
    gettext_noop("Email Addresses"),
    gettext_noop("Email Verification"),
    gettext_noop("Add Email Address"),
    gettext_noop("Add Email"),
    gettext_noop("Change Email"),
    gettext_noop("Account Inactive"),
    gettext_noop("Bad Token"),
    gettext_noop("Confirm Access"),
    gettext_noop("Two-Factor Authentication"),
    gettext_noop("Authenticator App"),
    gettext_noop("Activate Authenticator App"),
    gettext_noop("Deactivate Authenticator App"),
    gettext_noop("Recovery Codes"),
    gettext_noop("Enter Sign-In Code"),
    gettext_noop("Request Code"),
)
