"""Reminders: 3 days before the review deadline and on the day, each sent once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from review.models import ConflictDeclaration, ReminderEmail
from review.services.reminders import reminder_kind, send_review_reminders
from review.tasks import task_send_review_reminders
from tests.review.review_setup import call_with_grid, panel, write_review

pytestmark = pytest.mark.django_db

# 12 March 2027, 23:59 in Paris (CET, UTC+1).
DEADLINE = datetime(2027, 3, 12, 22, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 3, 9, 22, 58, tzinfo=UTC), None),  # just over 3 days before
        (datetime(2027, 3, 9, 23, 0, tzinfo=UTC), "days_before_3"),
        (datetime(2027, 3, 11, 22, 59, tzinfo=UTC), "days_before_3"),  # 11 March 23:59 Paris
        (datetime(2027, 3, 11, 23, 0, tzinfo=UTC), "deadline_day"),  # 12 March 00:00 Paris
        (datetime(2027, 3, 12, 22, 58, tzinfo=UTC), "deadline_day"),
        (DEADLINE, None),
    ],
)
def test_reminder_kind_follows_paris_calendar_day(now, expected):
    assert reminder_kind(deadline=DEADLINE, now=now) == expected


def _freeze(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_reminders_go_to_jurors_with_unfinished_reviews_only(
    mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=3, call=call_with_grid(review_deadline=DEADLINE))
    write_review(p.assignments[0], Decimal(3))  # done
    write_review(p.assignments[1], Decimal(3), submitted=False)  # draft

    with django_capture_on_commit_callbacks(execute=True):
        sent = send_review_reminders(now=DEADLINE - timedelta(days=2))

    assert sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [p.jurors[1].user.email, p.jurors[2].user.email]
    )
    assert p.bid.acronym in mailoutbox[0].body
    assert "12 March 2027, 23:59 CET (Europe/Paris)" in mailoutbox[0].body


def test_reminders_are_not_resent_when_the_task_runs_again(
    mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    panel(jurors=2, call=call_with_grid(review_deadline=DEADLINE))
    _freeze(monkeypatch, DEADLINE - timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        task_send_review_reminders.delay()
        task_send_review_reminders.delay()

    assert len(mailoutbox) == 2
    assert ReminderEmail.objects.filter(kind="days_before_3").count() == 2


def test_deadline_day_reminder_follows_the_earlier_one(
    mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=1, call=call_with_grid(review_deadline=DEADLINE))

    with django_capture_on_commit_callbacks(execute=True):
        send_review_reminders(now=DEADLINE - timedelta(days=2))
        send_review_reminders(now=DEADLINE - timedelta(hours=3))
        send_review_reminders(now=DEADLINE - timedelta(hours=2))

    assert sorted(
        ReminderEmail.objects.filter(juror=p.jurors[0]).values_list("kind", flat=True)
    ) == [
        "days_before_3",
        "deadline_day",
    ]
    assert len(mailoutbox) == 2
    assert "Today is the review deadline" in mailoutbox[1].subject


def test_no_reminder_outside_the_windows(mailoutbox, django_capture_on_commit_callbacks):
    panel(jurors=1, call=call_with_grid(review_deadline=DEADLINE))

    with django_capture_on_commit_callbacks(execute=True):
        sent_early = send_review_reminders(now=DEADLINE - timedelta(days=5))
        sent_late = send_review_reminders(now=DEADLINE + timedelta(minutes=1))

    assert (sent_early, sent_late, len(mailoutbox)) == (0, 0, 0)


def test_conflicted_assignments_get_no_reminder(mailoutbox, django_capture_on_commit_callbacks):
    p = panel(jurors=1, call=call_with_grid(review_deadline=DEADLINE), declared=False)
    ConflictDeclaration.objects.create(
        juror=p.jurors[0], bid=p.bid, has_conflict=True, kind="family", reason="Brother"
    )

    with django_capture_on_commit_callbacks(execute=True):
        sent = send_review_reminders(now=DEADLINE - timedelta(days=1))

    assert (sent, len(mailoutbox)) == (0, 0)


def test_reminder_email_records_the_number_of_unfinished_reviews(mailoutbox):
    p = panel(jurors=1, call=call_with_grid(review_deadline=DEADLINE))

    send_review_reminders(now=DEADLINE - timedelta(days=1))

    assert ReminderEmail.objects.get(juror=p.jurors[0]).unfinished_reviews == 1


def test_reminder_task_is_scheduled_by_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["send-review-reminders"]

    assert entry["task"] == "review.tasks.task_send_review_reminders"
