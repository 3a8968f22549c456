"""portal.mail: one templated e-mail per address, through a Celery task, retried on SMTP errors."""

import smtplib
from datetime import UTC, datetime

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse

from applications.models import BidVersion, Invitation, Membership
from portal.mail import MAX_RETRIES, absolute_url, send_templated_mail
from tests.applications.bidkit import complete_bid, make_cast
from tests.factories import InstitutionFactory, MembershipFactory


def test_absolute_url_joins_the_site_url_and_the_path(settings):
    settings.PORTAL_SITE_URL = "http://127.0.0.1:8123/"

    assert absolute_url("/jury/") == "http://127.0.0.1:8123/jury/"


@pytest.mark.django_db
def test_send_templated_mail_renders_subject_and_body_in_the_language(
    mailoutbox, django_capture_on_commit_callbacks
):
    context = {
        "institution": "Université & Co",
        "inviter": "coordinator@example.org",
        "role": "éditeur",
        "url": "http://testserver/invitations/x/",
        "expires_at": datetime(2026, 6, 30, 21, 59, tzinfo=UTC),
    }

    with django_capture_on_commit_callbacks(execute=True):
        send_templated_mail(
            template="applications/institutions/invitation",
            to="colleague@example.org",
            context=context,
            language="fr",
        )

    (message,) = mailoutbox
    assert (message.to, message.subject) == (
        ["colleague@example.org"],
        "[IA-cluster portal] Invitation à rejoindre Université & Co",
    )
    assert "30 juin 2026, 23:59 CEST (Europe/Paris)" in message.body


@pytest.mark.django_db
def test_send_templated_mail_waits_for_the_commit(mailoutbox):
    send_templated_mail(
        template="review/jurors/invitation",
        to="juror@example.org",
        context={"name": "Ada", "calls": [], "login_url": "x", "validity_days": 3},
        language="en",
    )

    assert mailoutbox == []


class _Outage:
    """The SMTP boundary: ``failures`` sends raise ``SMTPException``, then mail flows."""

    def __init__(self, monkeypatch, *, failures: int):
        self.failures = failures
        self.attempts = 0
        deliver = EmailBackend.send_messages

        def send_messages(backend, messages):
            self.attempts += 1
            if self.attempts <= self.failures:
                raise smtplib.SMTPException("421 service not available")
            return deliver(backend, messages)

        monkeypatch.setattr(EmailBackend, "send_messages", send_messages)


@pytest.mark.django_db
def test_smtp_failure_is_retried_and_the_submission_goes_through(
    client, settings, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_EAGER_PROPAGATES = False  # eager Celery retries only without it
    cast = make_cast(complete_bid())
    outage = _Outage(monkeypatch, failures=1)
    client.force_login(cast.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:bid_submit", args=[cast.bid.public_id]))

    members = Membership.objects.filter(institution=cast.bid.lead_institution).count()
    assert response.status_code == 302
    assert BidVersion.objects.filter(bid=cast.bid).count() == 1
    assert (outage.attempts, len(mailoutbox)) == (members + 1, members)
    assert mailoutbox[0].attachments[0][2] == "application/pdf"


@pytest.mark.django_db
def test_smtp_outage_never_fails_an_invitation(
    client, settings, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_EAGER_PROPAGATES = False  # as in a worker: failures stay there
    institution = InstitutionFactory()
    coordinator = MembershipFactory(institution=institution, role=Membership.Role.COORDINATOR)
    outage = _Outage(monkeypatch, failures=1000)
    client.force_login(coordinator.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:institution_invite", args=[institution.pk]),
            {"email": "colleague@example.org", "role": Membership.Role.READER},
        )

    assert response.status_code == 302
    assert Invitation.objects.filter(email="colleague@example.org").count() == 1
    assert (outage.attempts, mailoutbox) == (MAX_RETRIES + 1, [])
