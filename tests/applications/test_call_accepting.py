"""Whether a call accepts writes: ``Call.is_accepting_submissions`` and its filter form
``Call.objects.accepting_submissions``, held to the same answer at every edge."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Call
from applications.templatetags.bid_tags import countdown_seconds
from tests.applications.bidkit import make_cast
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

OPENS_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CLOSES_AT = datetime(2026, 6, 30, 21, 59, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _both(call: Call, at: datetime) -> tuple[bool, bool]:
    """The model method's answer and whether the QuerySet method returns the call."""
    in_queryset = Call.objects.accepting_submissions(at=at).filter(pk=call.pk).exists()
    return call.is_accepting_submissions(at=at), in_queryset


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (OPENS_AT - SECOND, False),
        (OPENS_AT, True),
        (OPENS_AT + SECOND, True),
        (CLOSES_AT - SECOND, True),
        (CLOSES_AT, False),
        (CLOSES_AT + SECOND, False),
    ],
)
def test_open_call_accepts_submissions_from_opening_until_the_second_before_closing(at, expected):
    call = CallFactory(status=Call.Status.OPEN, opens_at=OPENS_AT, closes_at=CLOSES_AT)

    assert _both(call, at) == (expected, expected)


@pytest.mark.parametrize(
    "status", [s for s in Call.Status.values if s != Call.Status.OPEN], ids=str
)
@pytest.mark.parametrize("at", [OPENS_AT, OPENS_AT + SECOND, CLOSES_AT - SECOND])
def test_call_not_open_accepts_no_submissions_inside_its_dates(status, at):
    call = CallFactory(status=status, opens_at=OPENS_AT, closes_at=CLOSES_AT)

    assert _both(call, at) == (False, False)


def test_accepting_submissions_defaults_to_now():
    accepting = CallFactory()
    CallFactory(status=Call.Status.DRAFT)

    assert list(Call.objects.accepting_submissions()) == [accepting]
    assert accepting.is_accepting_submissions() is True


@pytest.mark.parametrize(
    ("at", "expected"),
    [(OPENS_AT - SECOND, False), (OPENS_AT, True), (OPENS_AT + SECOND, True)],
)
def test_has_opened_at_opens_at_to_the_second(at, expected):
    call = CallFactory.build(opens_at=OPENS_AT, closes_at=CLOSES_AT)

    assert call.has_opened(at=at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [(CLOSES_AT - SECOND, False), (CLOSES_AT, True), (CLOSES_AT + SECOND, True)],
)
def test_deadline_passed_at_closes_at_to_the_second(at, expected):
    call = CallFactory.build(opens_at=OPENS_AT, closes_at=CLOSES_AT)

    assert call.deadline_passed(at=at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (CLOSES_AT - timedelta(days=1), 86_400),
        (CLOSES_AT - SECOND, 1),
        (CLOSES_AT - timedelta(milliseconds=500), 1),
        (CLOSES_AT, 0),
        (CLOSES_AT + SECOND, 0),
    ],
)
def test_seconds_left_rounds_up_and_is_zero_once_the_deadline_passed(at, expected):
    call = CallFactory.build(opens_at=OPENS_AT, closes_at=CLOSES_AT)

    assert call.seconds_left(at=at) == expected


def _now(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: when)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (CLOSES_AT - timedelta(days=7, seconds=1), None),
        (CLOSES_AT - timedelta(days=7), 7 * 86_400),
        (CLOSES_AT - SECOND, 1),
        (CLOSES_AT, None),
    ],
)
def test_countdown_seconds_in_the_last_seven_days_before_the_deadline(monkeypatch, at, expected):
    call = CallFactory.build(status=Call.Status.OPEN, opens_at=OPENS_AT, closes_at=CLOSES_AT)
    _now(monkeypatch, at)

    assert countdown_seconds(call) == expected


def test_countdown_seconds_is_none_for_a_call_that_accepts_nothing(monkeypatch):
    call = CallFactory.build(status=Call.Status.CLOSED, opens_at=OPENS_AT, closes_at=CLOSES_AT)
    _now(monkeypatch, CLOSES_AT - SECOND)

    assert countdown_seconds(call) is None


def test_bid_page_hands_the_countdown_the_seconds_left_on_the_server(client, monkeypatch):
    cast = make_cast()
    call = cast.bid.call
    now = timezone.now().replace(microsecond=0)
    call.closes_at = now + timedelta(hours=2)
    call.save()
    _now(monkeypatch, now)
    client.force_login(cast.reader)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert b'data-seconds-left="7200"' in response.content
