"""The portal's wording replaces allauth's title-case titles, in English and in French."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from portal.allauth_wording import ALLAUTH_TITLES


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_allauth_title_is_reworded(language):
    with translation.override(language):
        reworded = {msgid: translation.gettext(msgid) for msgid in ALLAUTH_TITLES}

    assert all(text != msgid for msgid, text in reworded.items()), [
        msgid for msgid, text in reworded.items() if text == msgid
    ]
    if language == "en":
        assert reworded["Sign In"] == "Sign in"
        assert "Email" not in " ".join(reworded.values())


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="en")
def test_the_sign_in_page_says_sign_in(client):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Sign in" in page
    assert "Sign In" not in page
