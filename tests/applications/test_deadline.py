"""The deadline, to the second: every write one second before is accepted, after refused."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Bid, BidSection
from tests.applications.bidkit import complete_bid, make_cast, pdf_upload
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def closes_at():
    # Close enough to now that moving the clock does not expire the test session.
    return timezone.now().replace(microsecond=0) + timedelta(minutes=2)


@pytest.fixture
def cast(closes_at):
    bid = complete_bid()
    bid.call.closes_at = closes_at
    bid.call.save()
    return make_cast(bid)


def _freeze(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def _autosave(client, bid, version=1):
    return client.post(
        reverse("applications:bid_section_autosave", args=[bid.public_id, "summary"]),
        {"content": "Last words.", "version": version},
    )


def test_autosave_one_second_before_deadline_is_accepted(client, cast, closes_at, monkeypatch):
    client.force_login(cast.editor)
    _freeze(monkeypatch, closes_at - timedelta(seconds=1))

    response = _autosave(client, cast.bid)

    assert response.status_code == 200
    assert BidSection.objects.get(bid=cast.bid, key="summary").content == "Last words."


def test_autosave_at_deadline_is_refused(client, cast, closes_at, monkeypatch):
    client.force_login(cast.editor)
    _freeze(monkeypatch, closes_at)

    response = _autosave(client, cast.bid)

    assert response.status_code == 403


def test_autosave_one_second_after_deadline_is_refused(client, cast, closes_at, monkeypatch):
    client.force_login(cast.editor)
    _freeze(monkeypatch, closes_at + timedelta(seconds=1))

    response = _autosave(client, cast.bid)

    assert response.status_code == 403
    assert response.json()["code"] == "closed"
    assert "CEST" in response.json()["message"] or "CET" in response.json()["message"]
    assert "(Europe/Paris)" in response.json()["message"]
    assert BidSection.objects.get(bid=cast.bid, key="summary").content == "Written."


def test_submit_one_second_before_deadline_is_accepted(client, cast, closes_at, monkeypatch):
    client.force_login(cast.coordinator)
    _freeze(monkeypatch, closes_at - timedelta(seconds=1))

    response = client.post(reverse("applications:bid_submit", args=[cast.bid.public_id]))

    assert response.status_code == 302
    assert cast.bid.versions.get().submitted_at == closes_at - timedelta(seconds=1)


def test_submit_one_second_after_deadline_is_refused(client, cast, closes_at, monkeypatch):
    client.force_login(cast.coordinator)
    _freeze(monkeypatch, closes_at + timedelta(seconds=1))

    response = client.post(reverse("applications:bid_submit", args=[cast.bid.public_id]))

    assert response.status_code == 403
    assert "changes are no longer accepted" in response.content.decode()
    assert cast.bid.versions.count() == 0


def _late_writes(bid):
    attachment = bid.attachments.first()
    return {
        "section": (
            reverse("applications:bid_section", args=[bid.public_id, "summary"]),
            {"content": "late", "version": 1},
        ),
        "consortium": (
            reverse("applications:bid_consortium", args=[bid.public_id]),
            {
                "acronym": "LATE",
                "title": "Late",
                "requested_amount": "50000000",
                "minimum_amount": "1",
                "version": 1,
            },
        ),
        "budget": (reverse("applications:bid_budget", args=[bid.public_id]), {"version": 1}),
        "upload": (
            reverse("applications:bid_attachments", args=[bid.public_id]),
            {"file": pdf_upload()},
        ),
        "delete": (
            reverse("applications:bid_attachment_delete", args=[bid.public_id, attachment.pk]),
            {},
        ),
        "withdraw": (
            reverse("applications:bid_withdraw", args=[bid.public_id]),
            {"reason": "Too late."},
        ),
    }


@pytest.mark.parametrize(
    "write", ["section", "consortium", "budget", "upload", "delete", "withdraw"]
)
def test_write_after_deadline_from_open_page_is_refused_with_403(
    client, cast, closes_at, monkeypatch, write
):
    client.force_login(cast.coordinator)
    if write == "withdraw":
        client.post(reverse("applications:bid_submit", args=[cast.bid.public_id]))
    url, data = _late_writes(cast.bid)[write]
    before = Bid.objects.get(pk=cast.bid.pk)
    _freeze(monkeypatch, closes_at + timedelta(seconds=1))

    response = client.post(url, data)

    after = Bid.objects.get(pk=cast.bid.pk)
    assert response.status_code == 403
    assert "The call closed on" in response.content.decode()
    assert (after.acronym, after.status, after.attachments.count()) == (
        before.acronym,
        before.status,
        1,
    )


def test_undo_withdrawal_after_deadline_is_refused(client, cast, closes_at, monkeypatch):
    client.force_login(cast.coordinator)
    client.post(reverse("applications:bid_submit", args=[cast.bid.public_id]))
    client.post(reverse("applications:bid_withdraw", args=[cast.bid.public_id]), {"reason": "r"})
    _freeze(monkeypatch, closes_at + timedelta(seconds=1))

    response = client.post(reverse("applications:bid_withdraw_undo", args=[cast.bid.public_id]))

    cast.bid.refresh_from_db()
    assert response.status_code == 403
    assert cast.bid.status == "withdrawn"


def test_pages_show_deadline_in_paris_with_zone():
    from datetime import UTC, datetime

    from portal.formats import format_paris_datetime

    assert format_paris_datetime(datetime(2026, 6, 30, 21, 59, tzinfo=UTC)) == (
        "30 June 2026, 23:59 CEST (Europe/Paris)"
    )
    assert format_paris_datetime(datetime(2026, 1, 15, 22, 59, tzinfo=UTC)) == (
        "15 January 2026, 23:59 CET (Europe/Paris)"
    )


def test_bid_page_shows_countdown_in_last_seven_days(client, cast):
    client.force_login(cast.reader)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert b"data-countdown-to=" in response.content
    assert b"countdown.js" in response.content


def test_bid_page_hides_countdown_before_last_seven_days(client):
    call = CallFactory(closes_at=timezone.now() + timedelta(days=20))
    cast = make_cast(
        complete_bid(
            Bid.objects.create(
                call=call,
                lead_institution=make_cast().bid.lead_institution,
                acronym="X",
                title="X",
                requested_amount=50_000_000,
                minimum_amount=1,
            )
        )
    )
    client.force_login(cast.reader)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert b"data-countdown-to=" not in response.content
    assert "(Europe/Paris)" in response.content.decode()


def test_closed_call_bid_page_is_read_only(client, cast, closes_at, monkeypatch):
    client.force_login(cast.editor)
    _freeze(monkeypatch, closes_at + timedelta(seconds=1))

    response = client.get(reverse("applications:bid_section", args=[cast.bid.public_id, "summary"]))

    assert response.status_code == 200
    assert b'id="call-closed"' in response.content
    assert b"data-autosave-url" not in response.content
