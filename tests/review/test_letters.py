import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse

from applications.models import Call
from review.models import AuditEvent, DecisionLetter, Publication
from review.queries.letters import letter_recipients
from review.services.letters import MAX_ATTEMPTS, Sending, send_decision_letter
from review.services.publication import publish_call
from review.tasks import task_send_decision_letter
from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.letters_setup import (
    INELIGIBLE_REASON,
    JUROR_NAME,
    letter_call,
    pdf_text,
)

pytestmark = pytest.mark.django_db


class FailingBackend(EmailBackend):
    """The mail server refuses every message (the external boundary)."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def _publish(setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish_call(call=setup.call, by=AdministratorFactory())
    return {letter.bid_id: letter for letter in DecisionLetter.objects.all()}


def _text(letter: DecisionLetter) -> str:
    with letter.pdf.open("rb") as handle:
        return pdf_text(handle.read())


def test_publishing_writes_one_letter_per_bid_with_the_decided_outcome(
    django_capture_on_commit_callbacks,
):
    setup = letter_call()

    letters = _publish(setup, django_capture_on_commit_callbacks)

    assert {letters[bid.pk].outcome for bid in setup.bids} == {
        "funded",
        "reserve",
        "not_funded",
        "ineligible",
    }
    assert letters[setup.funded.pk].amount_awarded == 30_000_000
    assert letters[setup.reserve.pk].reserve_position == 1
    assert letters[setup.ineligible.pk].ineligibility_reason == INELIGIBLE_REASON
    assert [letters[bid.pk].language for bid in setup.bids] == ["fr", "en", "fr", "en"]
    assert Publication.objects.get(call=setup.call).decision == setup.decided.decision
    assert {letter.status for letter in letters.values()} == {"sent"}


def test_letters_are_emailed_to_every_member_with_the_pdf_attached(
    django_capture_on_commit_callbacks,
):
    setup = letter_call()

    letters = _publish(setup, django_capture_on_commit_callbacks)

    funded = letters[setup.funded.pk]
    members = sorted(m.user.email for m in setup.funded.lead_institution.memberships.all())
    to_funded = [m for m in mail.outbox if setup.funded.acronym in m.subject]
    assert len(mail.outbox) == 8
    assert sorted(m.to[0] for m in to_funded) == members
    filename, content, mimetype = to_funded[0].attachments[0]
    assert (filename, mimetype) == (
        f"{setup.call.slug}-{setup.funded.acronym}-fr.pdf",
        "application/pdf",
    )
    with funded.pdf.open("rb") as handle:
        assert content == handle.read()
    assert sorted(funded.delivered_to) == members


def test_funded_letter_in_french_states_awarded_and_requested_amounts(
    django_capture_on_commit_callbacks,
):
    setup = letter_call()

    text = _text(_publish(setup, django_capture_on_commit_callbacks)[setup.funded.pk])

    # French formats and the French criterion names (the sentences follow the catalogue).
    assert "30\u00a0000\u00a0000\u00a0€" in text or "30 000 000 €" in text
    requested = f"{setup.funded.requested_amount:,}".replace(",", " ")
    assert requested in text.replace("\u00a0", " ")
    assert "Critère" in text
    assert "Comment on crit0." in text
    assert f"Overall comment on {setup.funded.acronym}." in text
    assert "Europe/Paris" in text


def test_reserve_letter_in_english_states_its_position(django_capture_on_commit_callbacks):
    setup = letter_call()

    text = _text(_publish(setup, django_capture_on_commit_callbacks)[setup.reserve.pk])

    assert f"Your bid {setup.reserve.acronym} is on the reserve list, in position 1" in text
    assert "Criterion" in text
    assert "Critère" not in text
    assert "procedural appeal" in text


def test_not_funded_letter_says_so_with_the_evaluation_summary(
    django_capture_on_commit_callbacks,
):
    setup = letter_call(languages=("fr", "en", "en", "en"))

    text = _text(_publish(setup, django_capture_on_commit_callbacks)[setup.not_funded.pk])

    assert f"Your bid {setup.not_funded.acronym} is not selected for funding." in text
    assert f"Overall comment on {setup.not_funded.acronym}." in text
    assert "3.5" in text


def test_ineligible_letter_gives_the_screening_reason_and_no_summary(
    django_capture_on_commit_callbacks,
):
    setup = letter_call()

    text = _text(_publish(setup, django_capture_on_commit_callbacks)[setup.ineligible.pk])

    assert "was found ineligible at screening" in text
    assert INELIGIBLE_REASON in text
    assert "An ineligible bid has no evaluation summary." in text


def test_no_letter_names_a_juror(django_capture_on_commit_callbacks):
    setup = letter_call()

    letters = _publish(setup, django_capture_on_commit_callbacks)

    texts = [_text(letter) for letter in letters.values()]
    assert [JUROR_NAME in text for text in texts] == [False] * 4
    assert [JUROR_NAME in m.body for m in mail.outbox] == [False] * 8


def test_smtp_failure_is_retried_then_marks_the_letter_failed(
    settings, django_capture_on_commit_callbacks
):
    setup = letter_call()
    with django_capture_on_commit_callbacks(execute=False):  # the worker is driven below
        publish_call(call=setup.call, by=AdministratorFactory())
    letter = DecisionLetter.objects.get(bid=setup.funded)
    settings.EMAIL_BACKEND = "tests.review.test_letters.FailingBackend"

    with pytest.raises(Retry):
        task_send_decision_letter.delay(letter_id=letter.pk)
    # The worker's later deliveries of the retried task:
    outcomes = [send_decision_letter(letter_id=letter.pk) for _ in range(MAX_ATTEMPTS - 1)]

    letter.refresh_from_db()
    assert outcomes == [Sending.RETRY] * (MAX_ATTEMPTS - 2) + [Sending.DONE]
    assert (letter.status, letter.attempts) == ("failed", MAX_ATTEMPTS)
    assert letter.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_resend_of_a_failed_letter_sends_it(client, django_capture_on_commit_callbacks):
    setup = letter_call()
    letter = _publish(setup, django_capture_on_commit_callbacks)[setup.funded.pk]
    DecisionLetter.objects.filter(pk=letter.pk).update(
        status="failed", attempts=MAX_ATTEMPTS, delivered_to=[], last_error="SMTPException: x"
    )
    mail.outbox.clear()
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:letter_resend", args=[setup.call.slug, letter.pk]))

    letter.refresh_from_db()
    assert response.status_code == 302
    assert (letter.status, letter.attempts, letter.last_error) == ("sent", 1, "")
    assert len(mail.outbox) == 2


def test_a_retried_sending_skips_the_members_already_reached(django_capture_on_commit_callbacks):
    setup = letter_call()
    with django_capture_on_commit_callbacks(execute=False):
        publish_call(call=setup.call, by=AdministratorFactory())
    letter = DecisionLetter.objects.get(bid=setup.funded)
    reached = letter_recipients(letter=letter)[0]
    DecisionLetter.objects.filter(pk=letter.pk).update(delivered_to=[reached])

    send_decision_letter(letter_id=letter.pk)

    assert [m.to for m in mail.outbox] == [
        [address] for address in letter_recipients(letter=letter)[1:]
    ]


def test_sending_a_sent_letter_again_sends_nothing(django_capture_on_commit_callbacks):
    setup = letter_call()
    letter = _publish(setup, django_capture_on_commit_callbacks)[setup.funded.pk]
    mail.outbox.clear()

    task_send_decision_letter.delay(letter_id=letter.pk)

    assert mail.outbox == []


def test_resend_of_a_queued_letter_is_refused_with_409(client, django_capture_on_commit_callbacks):
    setup = letter_call()
    letter = _publish(setup, django_capture_on_commit_callbacks)[setup.funded.pk]
    DecisionLetter.objects.filter(pk=letter.pk).update(status="queued")
    client.force_login(administrator_with_totp())

    response = client.post(reverse("review:letter_resend", args=[setup.call.slug, letter.pk]))

    assert response.status_code == 409
    assert "This letter is already waiting to be sent." in response.content.decode()


def test_programme_publish_button_writes_the_letters(client, django_capture_on_commit_callbacks):
    setup = letter_call()
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:programme_call_transition", args=[setup.call.slug]),
            {"to_status": Call.Status.PUBLISHED},
        )

    assert response.status_code == 302
    assert DecisionLetter.objects.filter(call=setup.call, status="sent").count() == 4


# ------------------------------------------------------------------ the letters page


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    setup = letter_call()
    _publish(setup, django_capture_on_commit_callbacks)
    return setup


def test_letters_page_shows_each_letter_state(client, published):
    DecisionLetter.objects.filter(bid=published.reserve).update(
        status="failed", last_error="SMTPServerDisconnected: gone"
    )
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:call_letters", args=[published.call.slug]))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-status="sent"') == 3
    assert page.count('data-status="failed"') == 1
    assert "SMTPServerDisconnected: gone" in page


@pytest.mark.parametrize("who", ["anonymous", "member", "juror", "admin_without_totp"])
def test_letters_page_refuses_everyone_but_verified_administrators(client, published, who):
    url = reverse("review:call_letters", args=[published.call.slug])
    if who == "member":
        client.force_login(MembershipFactory(institution=published.funded.lead_institution).user)
    elif who == "juror":
        client.force_login(juror_with_totp(call=published.call).user)
    elif who == "admin_without_totp":
        client.force_login(AdministratorFactory())

    response = client.get(url)

    if who == "anonymous":
        assert (response.status_code, response["Location"].split("?")[0]) == (
            302,
            reverse("account_login"),
        )
    elif who == "admin_without_totp":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_activate_totp"))
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who", ["member", "juror"])
def test_resend_refused_to_non_administrators(client, published, who):
    letter = DecisionLetter.objects.get(bid=published.funded)
    user = (
        MembershipFactory(institution=published.funded.lead_institution).user
        if who == "member"
        else juror_with_totp(call=published.call).user
    )
    client.force_login(user)

    response = client.post(reverse("review:letter_resend", args=[published.call.slug, letter.pk]))

    assert response.status_code == 403


def test_letters_page_queries_do_not_grow_with_letters(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from review.services.redress import file_redress
    from tests.review.letters_setup import coordinator_of

    admin = administrator_with_totp()
    client.force_login(admin)
    counts = []
    for _ in range(2):
        setup = letter_call()
        _publish(setup, django_capture_on_commit_callbacks)
        for bid in setup.bids[: 1 + len(counts) * 3]:
            file_redress(
                bid=bid, text="The jury was not told of our annex.", by=coordinator_of(bid)
            )
        with django_assert_max_num_queries(12) as captured:
            response = client.get(reverse("review:call_letters", args=[setup.call.slug]))
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_publication_and_each_letter_sent_are_in_the_audit_record(
    django_capture_on_commit_callbacks,
):
    setup = letter_call()
    with django_capture_on_commit_callbacks(execute=False):
        publish_call(call=setup.call, by=AdministratorFactory())
    letter = DecisionLetter.objects.get(bid=setup.funded)

    send_decision_letter(letter_id=letter.pk)

    published = AuditEvent.objects.get(kind=AuditEvent.Kind.CALL_PUBLISHED, call=setup.call)
    sent = AuditEvent.objects.get(kind=AuditEvent.Kind.LETTER_SENT, bid=setup.funded)
    assert published.payload["version"] == setup.decided.decision.number
    assert sent.payload["sha256"] == letter.sha256
    assert sent.sequence > published.sequence
