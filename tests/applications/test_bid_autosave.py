"""Autosave of a section: versions, conflicts, expired sessions, bad input."""

import json

import pytest
from django.urls import reverse

from applications.models import BidSection
from tests.applications.bidkit import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def section(cast):
    return BidSection.objects.create(bid=cast.bid, key="research", content="Old text.")


def _autosave(client, bid, key="research", **data):
    return client.post(
        reverse("applications:bid_section_autosave", args=[bid.public_id, key]), data
    )


def test_autosave_saves_and_increments_version(client, cast, section):
    client.force_login(cast.editor)

    response = _autosave(client, cast.bid, content="New text.", version=section.version)

    section.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert section.content == "New text."
    assert section.version == 2
    assert section.updated_by == cast.editor


def test_autosave_answers_saved_at_in_paris_time_to_the_second(client, cast, section, settings):
    client.force_login(cast.editor)

    response = _autosave(client, cast.bid, content="x", version=1)

    section.refresh_from_db()
    from zoneinfo import ZoneInfo

    expected = section.updated_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M:%S")
    assert response.json()["saved_at"] == expected


def test_autosave_accepts_json_body(client, cast, section):
    client.force_login(cast.editor)

    response = client.post(
        reverse("applications:bid_section_autosave", args=[cast.bid.public_id, "research"]),
        data=json.dumps({"content": "From JSON.", "version": 1}),
        content_type="application/json",
    )

    section.refresh_from_db()
    assert response.status_code == 200
    assert section.content == "From JSON."


def test_autosave_two_editors_with_same_version_second_gets_409(client, cast, section):
    """Both opened the page at version 1: the second save must not overwrite the first."""
    client.force_login(cast.editor)
    first = _autosave(client, cast.bid, content="Editor's text.", version=1)
    client.force_login(cast.coordinator)

    second = _autosave(client, cast.bid, content="Coordinator's text.", version=1)

    section.refresh_from_db()
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert cast.editor.email in second.json()["message"]
    assert "nothing you typed is lost: reload the page" in second.json()["message"].lower()
    assert section.content == "Editor's text."
    assert section.version == 2


def test_autosave_stale_version_after_several_saves_gets_409(client, cast, section):
    client.force_login(cast.editor)
    _autosave(client, cast.bid, content="a", version=1)
    _autosave(client, cast.bid, content="b", version=2)

    response = _autosave(client, cast.bid, content="stale", version=2)

    section.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["version"] == 3
    assert section.content == "b"


def test_section_form_conflict_rerenders_with_users_text(client, cast, section):
    client.force_login(cast.editor)
    _autosave(client, cast.bid, content="Saved by someone.", version=1)
    client.force_login(cast.coordinator)

    response = client.post(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"]),
        {"content": "My own paragraph.", "version": 1},
    )

    section.refresh_from_db()
    assert response.status_code == 200
    assert "Someone else" in response.content.decode()
    assert "My own paragraph." in response.content.decode()
    assert section.content == "Saved by someone."


def test_section_form_saves_and_redirects(client, cast, section):
    client.force_login(cast.editor)
    url = reverse("applications:bid_section", args=[cast.bid.public_id, "research"])

    response = client.post(url, {"content": "Plain form.", "version": 1})

    section.refresh_from_db()
    assert response.status_code == 302
    assert response.url == url
    assert section.content == "Plain form."


def test_autosave_expired_session_gets_401_json(client, cast, section):
    response = _autosave(client, cast.bid, content="Typed while logged out.", version=1)

    section.refresh_from_db()
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert response.json()["login_url"] == reverse("account_login")
    assert section.content == "Old text."


def test_autosave_missing_version_gets_400(client, cast, section):
    client.force_login(cast.editor)

    response = _autosave(client, cast.bid, content="x")

    assert response.status_code == 400


def test_autosave_unknown_section_gets_404(client, cast, section):
    client.force_login(cast.editor)

    response = _autosave(client, cast.bid, key="nonsense", content="x", version=1)

    assert response.status_code == 404


def test_autosave_too_long_gets_422_and_keeps_saved_text(client, cast, section):
    client.force_login(cast.editor)

    response = _autosave(client, cast.bid, content="x" * 60_001, version=1)

    section.refresh_from_db()
    assert response.status_code == 422
    assert section.content == "Old text."


def test_autosave_get_not_allowed(client, cast, section):
    client.force_login(cast.editor)

    response = client.get(
        reverse("applications:bid_section_autosave", args=[cast.bid.public_id, "research"])
    )

    assert response.status_code == 405


def test_section_page_carries_version_and_autosave_url(client, cast, section):
    client.force_login(cast.editor)

    response = client.get(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"])
    )

    html = response.content.decode()
    assert 'name="version" value="1"' in html
    assert 'name="content"' in html
    assert f'data-autosave-url="/bids/{cast.bid.public_id}/sections/research/autosave/"' in html
    assert "/jsi18n/" in html


def test_autosave_withdrawn_bid_gets_422(client, cast, section):
    cast.bid.status = "withdrawn"
    cast.bid.save()
    client.force_login(cast.editor)

    response = _autosave(client, cast.bid, content="x", version=1)

    assert response.status_code == 422
    assert "withdrawn" in response.json()["message"]


def test_section_form_after_conflict_offers_current_version_for_merge(client, cast, section):
    client.force_login(cast.editor)
    _autosave(client, cast.bid, content="Saved by someone.", version=1)
    client.force_login(cast.coordinator)
    url = reverse("applications:bid_section", args=[cast.bid.public_id, "research"])

    response = client.post(url, {"content": "Mine.", "version": 1})

    assert 'name="version" value="2"' in response.content.decode()
    assert b'id="conflict-current"' in response.content


# --------------------------------------------------------------------------- cost


def _warm_autosave(client, cast, section) -> int:
    """One save, so that what is cached once per process (URLs, translations) is in place."""
    client.force_login(cast.editor)
    return _autosave(client, cast.bid, content="Warm.", version=section.version).json()["version"]


def test_autosave_costs_four_queries_with_database_sessions(
    client, cast, section, django_assert_max_num_queries
):
    version = _warm_autosave(client, cast, section)

    # session, user (with its juror profile), bid (with its call, the user's role in the lead
    # institution and the section's length limit), the UPDATE
    with django_assert_max_num_queries(4):
        response = _autosave(client, cast.bid, content="Typed.", version=version)

    assert response.status_code == 200


def test_autosave_costs_three_queries_with_sessions_in_the_shared_cache(
    client, cast, section, settings, django_assert_max_num_queries
):
    """With Redis configured (production), sessions are ``cached_db``: read from the cache."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    version = _warm_autosave(client, cast, section)

    with django_assert_max_num_queries(3):
        response = _autosave(client, cast.bid, content="Typed.", version=version)

    section.refresh_from_db()
    assert response.status_code == 200
    assert section.content == "Typed."


def test_autosave_answers_only_what_the_script_reads(client, cast, section):
    client.force_login(cast.editor)

    response = _autosave(client, cast.bid, content="x", version=section.version)

    assert set(response.json()) == {"version", "saved_at", "saved_at_iso"}


def test_section_page_ties_kept_drafts_to_the_user_and_the_section(client, cast, section):
    client.force_login(cast.editor)

    response = client.get(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"])
    )

    html = response.content.decode()
    assert f'data-portal-user="{cast.editor.pk}"' in html
    assert 'data-logout-url="/accounts/logout/"' in html
    assert f'data-draft-key="{cast.bid.public_id}:research"' in html
    assert 'id="autosave-merge"' in html
    assert "data-autosave-key" not in html


def test_section_page_read_only_offers_no_draft(client, cast, section):
    client.force_login(cast.reader)

    response = client.get(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"])
    )

    assert b"data-draft-key" not in response.content
    assert b'id="autosave-merge"' not in response.content


def test_anonymous_page_carries_no_user_id(client):
    response = client.get(reverse("account_login"))

    assert b"data-portal-user" not in response.content
