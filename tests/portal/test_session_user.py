"""How a session's user is loaded (``portal.users.load_session_user``): one query, with the
juror profile every request's TOTP gate reads."""

import pytest
from django.contrib.auth import get_user

from applications.rules import is_juror, needs_mfa
from portal.users import SessionUserAllauthBackend, SessionUserModelBackend, load_session_user
from tests.factories import JurorProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("backend", [SessionUserModelBackend, SessionUserAllauthBackend])
def test_session_user_of_a_juror_comes_with_the_profile_in_one_query(
    backend, django_assert_num_queries
):
    profile = JurorProfileFactory()

    with django_assert_num_queries(1):
        user = backend().get_user(profile.user.pk)
        juror = is_juror(user)

    assert user == profile.user
    assert juror is True


def test_session_user_without_profile_is_known_not_a_juror_without_a_query(
    django_assert_num_queries,
):
    member = UserFactory()

    with django_assert_num_queries(1):
        user = load_session_user(SessionUserModelBackend(), member.pk)
        gated = needs_mfa(user)

    assert is_juror(user) is False
    assert gated is False


def test_session_user_inactive_or_gone_is_nobody():
    inactive = UserFactory(is_active=False)

    assert load_session_user(SessionUserModelBackend(), inactive.pk) is None
    assert load_session_user(SessionUserModelBackend(), 987_654) is None


def test_signed_in_client_is_loaded_through_the_portal_backend(client, rf):
    member = UserFactory()
    client.force_login(member)
    request = rf.get("/")
    request.session = client.session

    user = get_user(request)

    assert user == member
    assert request.session["_auth_user_backend"] == "portal.users.SessionUserModelBackend"
