"""E-mails to institutions: a withdrawal and its undoing tell every member of the lead
institution, in its language; coordinators are reminded before the deadline of bids never
submitted or with changes not submitted, once per threshold."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import Bid, BidSection, DeadlineReminder, Institution, Membership
from applications.services.deadline_reminders import due_threshold, send_deadline_reminders
from applications.services.submission import submit_bid, undo_withdrawal, withdraw_bid
from applications.tasks import task_send_deadline_reminders
from tests.applications.bidkit import complete_bid, make_cast, member
from tests.factories import BidFactory, CallFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _lead_addresses(bid: Bid) -> list[str]:
    return sorted(
        Membership.objects.filter(institution=bid.lead_institution).values_list(
            "user__email", flat=True
        )
    )


# --------------------------------------------------------------------------- withdrawal


def _submitted_cast():
    """A bid submitted once (only a submitted bid can be withdrawn); its receipt e-mails are
    not sent here (their on-commit callbacks are not run)."""
    cast = make_cast(complete_bid())
    submit_bid(bid=cast.bid, by=cast.coordinator)
    return cast


def test_withdrawal_tells_every_member_of_the_lead_with_the_reason(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    cast = _submitted_cast()
    client.force_login(cast.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:bid_withdraw", args=[cast.bid.public_id]),
            {"reason": "Merged with another consortium."},
        )

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == _lead_addresses(cast.bid)
    assert cast.partner.email not in [m.to[0] for m in mailoutbox]
    message = mailoutbox[0]
    assert "Merged with another consortium." in message.body
    assert cast.coordinator.email in message.body
    assert f"http://testserver/bids/{cast.bid.public_id}/" in message.body


def test_withdrawal_e_mails_are_in_the_institution_language(
    mailoutbox, django_capture_on_commit_callbacks
):
    cast = _submitted_cast()
    Institution.objects.filter(pk=cast.bid.lead_institution_id).update(language="en")
    english = cast.bid.lead_institution
    english.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        withdraw_bid(bid=cast.bid, reason="Not ready.", by=cast.coordinator)

    assert {m.subject for m in mailoutbox} == {
        f'[IA-cluster portal] {cast.bid.acronym} withdrawn from the call "AI clusters"'
    }
    assert "Withdrawn at:" in mailoutbox[0].body
    assert "(Europe/Paris)" in mailoutbox[0].body


def test_withdrawal_e_mail_in_french_names_the_call_in_french(
    mailoutbox, django_capture_on_commit_callbacks
):
    cast = _submitted_cast()
    assert cast.bid.lead_institution.language == "fr"

    with django_capture_on_commit_callbacks(execute=True):
        withdraw_bid(bid=cast.bid, reason="Pas prêt.", by=cast.coordinator)

    assert "Clusters IA" in mailoutbox[0].subject
    assert "Pas prêt." in mailoutbox[0].body


def test_refused_withdrawal_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    cast = _submitted_cast()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        withdraw_bid(bid=cast.bid, reason="  ", by=cast.coordinator)

    assert mailoutbox == []


def test_undoing_a_withdrawal_tells_every_member(mailoutbox, django_capture_on_commit_callbacks):
    cast = _submitted_cast()
    Institution.objects.filter(pk=cast.bid.lead_institution_id).update(language="en")
    withdraw_bid(bid=cast.bid, reason="Not ready.", by=cast.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        undo_withdrawal(bid=cast.bid, by=cast.coordinator)

    assert sorted(m.to[0] for m in mailoutbox) == _lead_addresses(cast.bid)
    assert mailoutbox[0].subject == (
        f'[IA-cluster portal] {cast.bid.acronym}: withdrawal undone in the call "AI clusters"'
    )
    # It had been submitted: undoing the withdrawal puts it back as submitted.
    assert "The bid is submitted again" in mailoutbox[0].body


# --------------------------------------------------------------------------- reminders


def _closing_in(delta: timedelta, **bid_kwargs) -> Bid:
    call = CallFactory(closes_at=timezone.now() + delta)
    bid = BidFactory(call=call, **bid_kwargs)
    Institution.objects.filter(pk=bid.lead_institution_id).update(language="en")
    bid.lead_institution.refresh_from_db()
    return bid


def _run(django_capture_on_commit_callbacks, **kwargs) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return send_deadline_reminders(**kwargs)


def test_due_threshold_is_the_smallest_whose_moment_has_come():
    closes = timezone.now()
    days = [3, 1]

    assert due_threshold(closes_at=closes, now=closes - timedelta(days=4), days=days) is None
    assert due_threshold(closes_at=closes, now=closes - timedelta(days=3), days=days) == 3
    assert due_threshold(closes_at=closes, now=closes - timedelta(hours=30), days=days) == 3
    assert due_threshold(closes_at=closes, now=closes - timedelta(hours=2), days=days) == 1
    assert due_threshold(closes_at=closes, now=closes, days=days) is None


def test_draft_bid_coordinators_are_reminded_three_days_before(
    mailoutbox, django_capture_on_commit_callbacks
):
    bid = _closing_in(timedelta(days=2, hours=20))
    coordinator = member(bid.lead_institution, Membership.Role.COORDINATOR)
    member(bid.lead_institution, Membership.Role.EDITOR)

    reminded = _run(django_capture_on_commit_callbacks)

    assert reminded == 1
    assert [m.to for m in mailoutbox] == [[coordinator.email]]
    assert "is not submitted" in mailoutbox[0].subject
    assert "has never been submitted" in mailoutbox[0].body
    assert "(Europe/Paris)" in mailoutbox[0].body
    assert list(DeadlineReminder.objects.values_list("bid", "days_before", "reason")) == [
        (bid.pk, 3, "not_submitted")
    ]


def test_reminder_is_never_sent_twice_for_a_threshold(
    mailoutbox, django_capture_on_commit_callbacks
):
    bid = _closing_in(timedelta(days=2))
    member(bid.lead_institution, Membership.Role.COORDINATOR)

    first = _run(django_capture_on_commit_callbacks)
    second = _run(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        task_send_deadline_reminders.delay()

    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1


def test_second_reminder_goes_one_day_before(mailoutbox, django_capture_on_commit_callbacks):
    bid = _closing_in(timedelta(days=2))
    member(bid.lead_institution, Membership.Role.COORDINATOR)
    _run(django_capture_on_commit_callbacks)

    later = _run(
        django_capture_on_commit_callbacks, now=timezone.now() + timedelta(days=1, hours=1)
    )
    again = _run(
        django_capture_on_commit_callbacks, now=timezone.now() + timedelta(days=1, hours=2)
    )

    assert (later, again) == (1, 0)
    assert sorted(DeadlineReminder.objects.values_list("days_before", flat=True)) == [1, 3]
    assert len(mailoutbox) == 2


def test_a_run_late_across_both_thresholds_sends_only_the_most_urgent(
    mailoutbox, django_capture_on_commit_callbacks
):
    bid = _closing_in(timedelta(hours=5))
    member(bid.lead_institution, Membership.Role.COORDINATOR)

    _run(django_capture_on_commit_callbacks)
    _run(django_capture_on_commit_callbacks)

    assert list(DeadlineReminder.objects.values_list("days_before", flat=True)) == [1]
    assert len(mailoutbox) == 1


def test_threshold_days_come_from_the_setting(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.DEADLINE_REMINDER_DAYS = [7]
    bid = _closing_in(timedelta(days=6))
    member(bid.lead_institution, Membership.Role.COORDINATOR)

    _run(django_capture_on_commit_callbacks)

    assert list(DeadlineReminder.objects.values_list("days_before", flat=True)) == [7]


def test_submitted_bid_is_reminded_only_when_it_has_unsubmitted_changes(
    mailoutbox, django_capture_on_commit_callbacks
):
    bid = complete_bid(_closing_in(timedelta(days=2)))
    coordinator = member(bid.lead_institution, Membership.Role.COORDINATOR)
    submit_bid(bid=bid, by=coordinator)
    mailoutbox.clear()

    unchanged = _run(django_capture_on_commit_callbacks)
    BidSection.objects.filter(bid=bid, key="summary").update(content="A newer summary.")
    changed = _run(django_capture_on_commit_callbacks)

    assert (unchanged, changed) == (0, 1)
    assert "changes not submitted" in mailoutbox[0].subject
    assert "has changes that are not submitted" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("delta", "status"),
    [
        (timedelta(days=5), Bid.Status.DRAFT),  # too early
        (timedelta(days=2), Bid.Status.WITHDRAWN),  # withdrawn bids are not reminded
        (-timedelta(hours=1), Bid.Status.DRAFT),  # deadline passed
    ],
)
def test_no_reminder_outside_its_cases(
    delta, status, mailoutbox, django_capture_on_commit_callbacks
):
    if delta < timedelta(0):
        call = CallFactory(
            opens_at=timezone.now() - timedelta(days=30), closes_at=timezone.now() + delta
        )
        bid = BidFactory(call=call, status=status)
    else:
        bid = _closing_in(delta, status=status)
    MembershipFactory(institution=bid.lead_institution)

    assert _run(django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_reminder_skips_calls_not_accepting_submissions(
    mailoutbox, django_capture_on_commit_callbacks
):
    bid = _closing_in(timedelta(days=2))
    bid.call.status = bid.call.Status.CLOSED
    bid.call.save()
    member(bid.lead_institution, Membership.Role.COORDINATOR)

    assert _run(django_capture_on_commit_callbacks) == 0


def test_beat_runs_the_deadline_reminders_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-deadline-reminders"]

    assert entry == {
        "task": "applications.tasks.task_send_deadline_reminders",
        "schedule": 3600.0,
    }
