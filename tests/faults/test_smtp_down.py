"""SMTP is down: submission, invitation and publication still succeed; every message is
retried and its state (attempts, last error) is shown to the administrators."""

import socket

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.models import BidVersion, Invitation, Membership
from portal.mail import (
    MAX_RETRIES,
    STALLED_AFTER,
    deliver_mail,
    requeue_stalled_mail,
    send_templated_mail,
)
from portal.models import OutgoingMail
from review.models import DecisionLetter
from review.services.letters import MAX_ATTEMPTS
from review.services.publication import publish_call
from tests.applications.bidkit import complete_bid, make_cast
from tests.factories import AdministratorFactory, InstitutionFactory, MembershipFactory, UserFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.letters_setup import letter_call

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_down(settings):
    """The real SMTP backend, aimed at a port where nothing listens (connection refused).
    Eager Celery runs each retry at once (as a worker would, later) only without
    propagation."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2
    settings.CELERY_TASK_EAGER_PROPAGATES = False


@pytest.mark.usefixtures("smtp_down")
def test_submission_succeeds_and_its_receipts_are_retried_then_failed(
    client, django_capture_on_commit_callbacks
):
    cast = make_cast(complete_bid())
    client.force_login(cast.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:bid_submit", args=[cast.bid.public_id]))

    members = Membership.objects.filter(institution=cast.bid.lead_institution).count()
    assert response.status_code == 302
    assert BidVersion.objects.filter(bid=cast.bid).count() == 1
    rows = list(OutgoingMail.objects.filter(template="applications/bids/submitted"))
    assert len(rows) == members
    assert {(row.status, row.attempts) for row in rows} == {("failed", MAX_RETRIES + 1)}
    assert rows[0].last_error.startswith("ConnectionRefusedError")


@pytest.mark.usefixtures("smtp_down")
def test_invitation_succeeds_and_its_e_mail_is_recorded(client, django_capture_on_commit_callbacks):
    institution = InstitutionFactory()
    coordinator = MembershipFactory(institution=institution, role=Membership.Role.COORDINATOR)
    client.force_login(coordinator.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:institution_invite", args=[institution.pk]),
            {"email": "colleague@example.org", "role": Membership.Role.READER},
        )

    assert response.status_code == 302
    assert Invitation.objects.filter(email="colleague@example.org").count() == 1
    row = OutgoingMail.objects.get(to="colleague@example.org")
    assert (row.status, row.attempts) == ("failed", MAX_RETRIES + 1)


@pytest.mark.usefixtures("smtp_down")
def test_publication_succeeds_and_the_letters_page_shows_the_failures(
    client, django_capture_on_commit_callbacks
):
    setup = letter_call()

    with django_capture_on_commit_callbacks(execute=True):
        publish_call(call=setup.call, by=AdministratorFactory())

    letters = DecisionLetter.objects.filter(call=setup.call)
    assert letters.count() == len(setup.bids)
    assert set(letters.values_list("status", "attempts")) == {("failed", MAX_ATTEMPTS)}
    client.force_login(administrator_with_totp())
    response = client.get(reverse("review:call_letters", args=[setup.call.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("ConnectionRefusedError") == len(setup.bids)


def test_a_mail_whose_message_was_lost_is_sent_by_the_sweep(
    mailoutbox, django_capture_on_commit_callbacks
):
    # The broker was down at the commit: the task message never left (captured, not run).
    with django_capture_on_commit_callbacks(execute=False):
        row = send_templated_mail(
            template="review/jurors/invitation",
            to="juror@example.org",
            context={"name": "Ada", "calls": [], "login_url": "x", "validity_days": 3},
            language="en",
        )
    assert requeue_stalled_mail() == 0  # not overdue yet: its message may still be on its way
    OutgoingMail.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - STALLED_AFTER - STALLED_AFTER
    )

    assert requeue_stalled_mail() == 1

    row.refresh_from_db()
    assert (row.status, row.attempts, len(mailoutbox)) == ("sent", 1, 1)


def test_a_mail_delivered_twice_is_sent_once(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = send_templated_mail(
            template="review/jurors/invitation",
            to="juror@example.org",
            context={"name": "Ada", "calls": [], "login_url": "x", "validity_days": 3},
            language="en",
        )

    deliver_mail(mail_id=row.pk)
    deliver_mail(mail_id=row.pk)

    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get(pk=row.pk).attempts == 1


def _failed_row() -> OutgoingMail:
    return OutgoingMail.objects.create(
        template="review/jurors/invitation",
        to="juror@example.org",
        language="en",
        context_json="{}",
        status=OutgoingMail.Status.FAILED,
        attempts=MAX_RETRIES + 1,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        next_attempt_at=timezone.now(),
    )


def test_the_outgoing_mail_list_shows_administrators_the_last_error(client):
    _failed_row()
    client.force_login(administrator_with_totp())

    response = client.get(reverse("admin:portal_outgoingmail_changelist"))

    assert response.status_code == 200
    assert "ConnectionRefusedError" in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "juror", "administrator_without_totp"])
def test_the_outgoing_mail_list_is_refused_to_others(client, who):
    _failed_row()
    users = {
        "member": lambda: MembershipFactory().user,
        "juror": lambda: juror_with_totp().user,
        "administrator_without_totp": AdministratorFactory,
    }
    if who != "anonymous":
        client.force_login(users[who]())

    response = client.get(reverse("admin:portal_outgoingmail_changelist"))

    assert response.status_code in (302, 403)
    assert "ConnectionRefusedError" not in response.content.decode()


def test_the_outgoing_mail_list_is_refused_to_staff_who_do_not_administer_the_jury(client):
    _failed_row()
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.get(reverse("admin:portal_outgoingmail_changelist"))

    assert "ConnectionRefusedError" not in response.content.decode()
