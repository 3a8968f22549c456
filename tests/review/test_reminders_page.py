"""The reminders page of a call: reminders sent and due, a reminder sent now, messages to
the jury; permissions, refusals once the call is decided, query count."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Call
from portal.editing import EvaluationFrozen
from review.models import JuryMessage, ReminderEmail
from review.queries.reminders import reminders_page
from review.reminder_schedule import next_reminder
from review.services.reminders import message_jurors, send_reminder_now, send_review_reminders
from tests.factories import AdministratorFactory
from tests.review.jury_setup import administrator_with_totp, institution_member, juror_with_totp
from tests.review.review_setup import call_with_grid, panel, write_review

pytestmark = pytest.mark.django_db

# 12 March 2027, 23:59 in Paris (CET, UTC+1).
DEADLINE = datetime(2027, 3, 12, 22, 59, tzinfo=UTC)


def _urls(call):
    return {
        "page": reverse("review:reminder_list", args=[call.slug]),
        "send": reverse("review:reminder_send", args=[call.slug]),
        "message": reverse("review:jury_message", args=[call.slug]),
    }


def _message(audience="all", subject="Panel on Monday", body="We meet at 10:00."):
    return {"audience": audience, "subject": subject, "body": body}


def _decide(call):
    Call.objects.filter(pk=call.pk).update(status=Call.Status.DECIDED)


# Schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "sent", "expected"),
    [
        (DEADLINE - timedelta(days=5), set(), ("days_before_3", DEADLINE - timedelta(days=3))),
        (DEADLINE - timedelta(days=2), set(), ("days_before_3", DEADLINE - timedelta(days=2))),
        # Sent already: the next one goes at 00:00 on the deadline day, Paris time.
        (
            DEADLINE - timedelta(days=2),
            {"days_before_3"},
            ("deadline_day", datetime(2027, 3, 11, 23, 0, tzinfo=UTC)),
        ),
        # Missed window (the beat was down): straight to the deadline day's reminder.
        (DEADLINE - timedelta(hours=2), set(), ("deadline_day", DEADLINE - timedelta(hours=2))),
        (DEADLINE - timedelta(hours=2), {"days_before_3", "deadline_day"}, None),
        (DEADLINE, set(), None),
    ],
)
def test_next_reminder_follows_the_windows(now, sent, expected):
    assert next_reminder(deadline=DEADLINE, now=now, sent=sent) == expected


def test_reminders_page_lists_sent_and_due(client):
    p = panel(jurors=3, call=call_with_grid(review_deadline=DEADLINE))
    write_review(p.assignments[0], Decimal(3))  # finished: nothing due
    send_review_reminders(now=DEADLINE - timedelta(days=2))

    page = reminders_page(call=p.call, now=DEADLINE - timedelta(days=1))

    assert sorted((r.juror_id, r.kind) for r in page.sent) == sorted(
        [(p.jurors[1].pk, "days_before_3"), (p.jurors[2].pk, "days_before_3")]
    )
    assert sorted((row.juror.pk, row.unfinished, row.kind, row.at) for row in page.due) == sorted(
        (juror.pk, 1, "deadline_day", datetime(2027, 3, 11, 23, 0, tzinfo=UTC))
        for juror in p.jurors[1:]
    )


def test_reminders_page_shows_nothing_due_once_decided():
    p = panel(jurors=1, call=call_with_grid(review_deadline=DEADLINE))
    _decide(p.call)
    p.call.refresh_from_db()

    page = reminders_page(call=p.call, now=DEADLINE - timedelta(days=5))

    assert [(row.kind, row.at) for row in page.due] == [(None, None)]


def test_reminders_page_renders_for_administrator(client):
    p = panel(jurors=2)
    send_reminder_now(call=p.call, juror=p.jurors[0], by=administrator_with_totp())
    client.force_login(administrator_with_totp())

    response = client.get(_urls(p.call)["page"])

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="reminder-send-form"' in content
    assert 'id="jury-message-form"' in content
    assert "sent by an administrator" in content
    assert "3 days before the deadline — from" in content


def test_reminders_page_is_linked_from_call_and_progress_pages(client):
    p = panel(jurors=1)
    client.force_login(administrator_with_totp())
    url = _urls(p.call)["page"]

    call_page = client.get(reverse("applications:programme_call", args=[p.call.slug]))
    progress = client.get(reverse("review:call_progress", args=[p.call.slug]))

    assert (url in call_page.content.decode(), url in progress.content.decode()) == (True, True)


# Permissions ------------------------------------------------------------------------


def test_reminders_page_redirects_anonymous_to_login(client):
    p = panel(jurors=1)

    responses = [client.get(_urls(p.call)["page"]), client.post(_urls(p.call)["send"])]

    assert [r.status_code for r in responses] == [302, 302]
    assert all(r["Location"].startswith(reverse("account_login")) for r in responses)


@pytest.mark.parametrize("who", ["member", "juror"])
def test_reminders_pages_are_forbidden_to_non_administrators(client, who, mailoutbox):
    p = panel(jurors=1)
    client.force_login(institution_member(bid=p.bid) if who == "member" else p.jurors[0].user)
    urls = _urls(p.call)

    statuses = [
        client.get(urls["page"]).status_code,
        client.post(urls["send"], {"juror": ""}).status_code,
        client.post(urls["message"], _message()).status_code,
    ]

    assert statuses == [403, 403, 403]
    assert (ReminderEmail.objects.count(), JuryMessage.objects.count()) == (0, 0)


def test_reminders_page_sends_administrator_without_totp_to_activation(client, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    p = panel(jurors=1)
    client.force_login(AdministratorFactory())

    response = client.get(_urls(p.call)["page"])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


# Send a reminder now ----------------------------------------------------------------


def test_send_now_reminds_every_juror_with_unfinished_reviews(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=3)
    write_review(p.assignments[0], Decimal(3))
    admin = administrator_with_totp()
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_urls(p.call)["send"], {"juror": ""})

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == sorted(j.user.email for j in p.jurors[1:])
    assert (
        mailoutbox[0].subject
        == f"[IA-cluster portal] Reminder: your unfinished reviews — {p.call.title_en}"
    )
    assert p.bid.acronym in mailoutbox[0].body
    assert set(ReminderEmail.objects.values_list("kind", "sent_by")) == {("manual", admin.pk)}


def test_send_now_to_one_juror_twice_sends_twice(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=2)
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_urls(p.call)["send"], {"juror": p.jurors[1].pk})
        client.post(_urls(p.call)["send"], {"juror": p.jurors[1].pk})

    assert [m.to for m in mailoutbox] == [[p.jurors[1].user.email]] * 2


def test_send_now_to_juror_without_unfinished_review_is_refused_with_message(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=2)
    write_review(p.assignments[0], Decimal(3))
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_urls(p.call)["send"], {"juror": p.jurors[0].pk})

    assert response.status_code == 400
    assert response.context["reminder_form"].non_field_errors() == [
        f"{p.jurors[0].display_name} has no unfinished review on this call."
    ]
    assert (mailoutbox, ReminderEmail.objects.count()) == ([], 0)


def test_send_now_is_refused_once_decided(client, mailoutbox, django_capture_on_commit_callbacks):
    p = panel(jurors=2)
    _decide(p.call)
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_urls(p.call)["send"], {"juror": ""})
    page = client.get(_urls(p.call)["page"]).content.decode()

    assert response.status_code == 403
    assert (mailoutbox, ReminderEmail.objects.count()) == ([], 0)
    assert 'id="evaluation-frozen"' in page
    assert 'id="reminder-send-form"' not in page
    assert 'id="jury-message-form"' not in page


def test_send_now_service_refuses_once_decided():
    p = panel(jurors=1)
    _decide(p.call)
    p.call.refresh_from_db()

    with pytest.raises(EvaluationFrozen):
        send_reminder_now(call=p.call, by=administrator_with_totp())


# Messages to the jury ---------------------------------------------------------------


def test_message_to_all_jurors_emails_each_and_is_recorded(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=2)
    write_review(p.assignments[0], Decimal(3))
    idle = juror_with_totp(call=p.call)  # on the jury, no assignment
    admin = administrator_with_totp()
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_urls(p.call)["message"], _message(audience="all"))

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == sorted(j.user.email for j in [*p.jurors, idle])
    assert {m.subject for m in mailoutbox} == {"[IA-cluster portal] Panel on Monday"}
    assert "We meet at 10:00." in mailoutbox[0].body
    message = JuryMessage.objects.get()
    assert (message.audience, message.recipients, message.sent_by) == ("all", 3, admin)
    page = client.get(_urls(p.call)["page"]).content.decode()
    assert "Panel on Monday" in page


def test_message_to_unfinished_reaches_only_jurors_with_unfinished_reviews(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=3)
    write_review(p.assignments[0], Decimal(3))
    write_review(p.assignments[1], Decimal(3), submitted=False)  # a draft is unfinished
    juror_with_totp(call=p.call)  # no assignment: nothing unfinished
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_urls(p.call)["message"], _message(audience="unfinished"))

    assert sorted(m.to[0] for m in mailoutbox) == sorted(j.user.email for j in p.jurors[1:])
    assert JuryMessage.objects.get().recipients == 2


def test_message_without_subject_or_body_rerenders_with_the_text(client, mailoutbox):
    p = panel(jurors=1)
    client.force_login(administrator_with_totp())

    response = client.post(_urls(p.call)["message"], _message(subject="  ", body="Keep me."))

    form = response.context["message_form"]
    assert response.status_code == 400
    assert form.errors["subject"] == ["This field is required."]
    assert 'name="body"' in response.content.decode()
    assert "Keep me." in response.content.decode()
    assert (mailoutbox, JuryMessage.objects.count()) == ([], 0)


def test_message_to_unfinished_when_everyone_is_done_is_refused(client, mailoutbox):
    p = panel(jurors=1)
    write_review(p.assignments[0], Decimal(3))
    client.force_login(administrator_with_totp())

    response = client.post(_urls(p.call)["message"], _message(audience="unfinished"))

    assert response.status_code == 400
    assert response.context["message_form"].non_field_errors() == [
        "No juror of this call has an unfinished review: nobody would receive it."
    ]
    assert JuryMessage.objects.count() == 0


def test_message_is_refused_once_decided(client, mailoutbox, django_capture_on_commit_callbacks):
    p = panel(jurors=1)
    _decide(p.call)
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_urls(p.call)["message"], _message())

    assert response.status_code == 403
    assert (mailoutbox, JuryMessage.objects.count()) == ([], 0)


# Query count ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 8])
def test_reminders_page_query_count_does_not_grow_with_jurors(
    client, django_assert_max_num_queries, size
):
    call = call_with_grid(review_deadline=timezone.now() + timedelta(days=2))
    p = panel(jurors=size, call=call)
    send_review_reminders()
    admin = administrator_with_totp()
    send_reminder_now(call=call, by=admin)
    message_jurors(call=call, audience="all", subject="Hello", body="Text.", by=admin)
    client.force_login(admin)

    with django_assert_max_num_queries(9):
        response = client.get(_urls(call)["page"])

    assert response.status_code == 200
    assert len(response.context["page"].sent) == 2 * size
    assert len(response.context["page"].due) == len(p.jurors)


def test_reminder_sent_now_does_not_replace_the_scheduled_one(
    mailoutbox, django_capture_on_commit_callbacks
):
    p = panel(jurors=1, call=call_with_grid(review_deadline=DEADLINE))

    with django_capture_on_commit_callbacks(execute=True):
        send_reminder_now(call=p.call, by=administrator_with_totp())
        sent = send_review_reminders(now=DEADLINE - timedelta(days=2))

    assert (sent, len(mailoutbox)) == (1, 2)
    assert sorted(ReminderEmail.objects.values_list("kind", flat=True)) == [
        "days_before_3",
        "manual",
    ]


def test_send_now_without_review_deadline_is_refused_with_message(client, mailoutbox):
    p = panel(jurors=1, review_deadline=None)
    client.force_login(administrator_with_totp())

    response = client.post(_urls(p.call)["send"], {"juror": ""})

    assert response.status_code == 400
    assert response.context["reminder_form"].non_field_errors() == [
        "Set the call's review deadline first: the reminder states it."
    ]
