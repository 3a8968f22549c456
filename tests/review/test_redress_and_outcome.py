from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Membership
from portal.editing import DeadlinePassed
from review.decision.redress import redress_closes_at, redress_open
from review.models import Publication, RedressRequest
from review.services.publication import publish_call
from review.services.redress import file_redress
from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.letters_setup import coordinator_of, letter_call

PUBLISHED_AT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def test_redress_window_edges_to_the_second():
    closes = redress_closes_at(PUBLISHED_AT, 30)

    assert closes == PUBLISHED_AT + timedelta(days=30)
    assert redress_open(PUBLISHED_AT, 30, closes - timedelta(seconds=1)) is True
    assert redress_open(PUBLISHED_AT, 30, closes) is False
    assert redress_open(PUBLISHED_AT, 30, PUBLISHED_AT - timedelta(seconds=1)) is False


@pytest.fixture
def published(db, django_capture_on_commit_callbacks):
    setup = letter_call()
    with django_capture_on_commit_callbacks(execute=True):
        publish_call(call=setup.call, by=AdministratorFactory())
    return setup


def _evaluation(bid) -> str:
    return reverse("review:evaluation_summary", args=[bid.public_id])


def _move_publication(setup, *, ago: timedelta) -> None:
    Publication.objects.filter(call=setup.call).update(published_at=timezone.now() - ago)


@pytest.mark.django_db
def test_redress_service_one_second_before_and_at_the_deadline(published):
    bid = published.funded
    closes = redress_closes_at(Publication.objects.get().published_at, 30)

    with pytest.raises(DeadlinePassed):
        file_redress(bid=bid, text="Late.", by=coordinator_of(bid), at=closes)
    appeal = file_redress(
        bid=bid,
        text="Our annex was not read.",
        by=coordinator_of(bid),
        at=closes - timedelta(seconds=1),
    )

    assert appeal.filed_at == closes - timedelta(seconds=1)


@pytest.mark.django_db
def test_coordinator_files_an_appeal_within_the_window(client, published):
    _move_publication(published, ago=timedelta(days=30) - timedelta(seconds=5))
    bid = published.funded
    client.force_login(coordinator_of(bid))

    response = client.post(
        reverse("review:redress_file", args=[bid.public_id]),
        {"text": "The jury was not told of our annex."},
    )

    assert response.status_code == 302
    assert RedressRequest.objects.get(bid=bid).text == "The jury was not told of our annex."
    page = client.get(_evaluation(bid)).content.decode()
    assert "The jury was not told of our annex." in page
    assert 'id="redress-form"' not in page


@pytest.mark.django_db
def test_appeal_after_the_window_is_refused_with_403_and_the_form_hidden(client, published):
    _move_publication(published, ago=timedelta(days=30, seconds=1))
    bid = published.funded
    client.force_login(coordinator_of(bid))

    response = client.post(
        reverse("review:redress_file", args=[bid.public_id]), {"text": "Too late."}
    )

    page = response.content.decode()
    assert response.status_code == 403
    assert "The time to file an appeal ended on" in page
    assert 'id="redress-form"' not in page
    assert RedressRequest.objects.count() == 0


@pytest.mark.django_db
def test_empty_appeal_rerenders_with_a_message(client, published):
    bid = published.funded
    client.force_login(coordinator_of(bid))

    response = client.post(reverse("review:redress_file", args=[bid.public_id]), {"text": "  "})

    assert response.status_code == 400
    assert 'id="redress-form"' in response.content.decode()
    assert RedressRequest.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), [("reader", 403), ("other", 404), ("juror", 404)])
def test_appeal_refused_to_others_than_the_coordinator(client, published, who, expected):
    bid = published.funded
    if who == "reader":
        user = MembershipFactory(institution=bid.lead_institution, role=Membership.Role.READER).user
    elif who == "other":
        user = MembershipFactory().user
    else:
        user = juror_with_totp(call=published.call).user
    client.force_login(user)

    response = client.post(reverse("review:redress_file", args=[bid.public_id]), {"text": "x"})

    assert response.status_code == expected
    assert RedressRequest.objects.count() == 0


@pytest.mark.django_db
def test_administrator_answers_and_the_institution_reads_the_answer(client, published):
    bid = published.reserve
    appeal = file_redress(bid=bid, text="Wrong grid used.", by=coordinator_of(bid))
    client.force_login(administrator_with_totp())
    url = reverse("review:redress_answer", args=[published.call.slug, appeal.pk])

    empty = client.post(url, {f"answer-{appeal.pk}-answer": ""})
    response = client.post(url, {f"answer-{appeal.pk}-answer": "The grid was the published one."})

    assert empty.status_code == 400
    assert response.status_code == 302
    assert (
        "The grid was the published one."
        in client.get(reverse("review:call_letters", args=[published.call.slug])).content.decode()
    )
    client.force_login(coordinator_of(bid))
    assert "The grid was the published one." in client.get(_evaluation(bid)).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["member", "juror"])
def test_answer_refused_to_non_administrators(client, published, who):
    bid = published.reserve
    appeal = file_redress(bid=bid, text="Wrong grid used.", by=coordinator_of(bid))
    user = coordinator_of(bid) if who == "member" else juror_with_totp(call=published.call).user
    client.force_login(user)

    response = client.post(
        reverse("review:redress_answer", args=[published.call.slug, appeal.pk]),
        {f"answer-{appeal.pk}-answer": "Self-answered."},
    )

    appeal.refresh_from_db()
    assert response.status_code == 403
    assert appeal.answer == ""


# ------------------------------------------------------------- the institution's outcome


@pytest.mark.django_db
def test_evaluation_page_shows_the_funded_outcome_and_the_letter(client, published):
    bid = published.funded
    client.force_login(coordinator_of(bid))

    response = client.get(_evaluation(bid))

    page = response.content.decode()
    assert response.status_code == 200
    assert "€30,000,000" in page
    assert f"€{bid.requested_amount:,}" in page
    assert f"Overall comment on {bid.acronym}." in page
    assert reverse("review:letter_download", args=[bid.public_id]) in page
    assert 'id="redress-form"' in page


@pytest.mark.django_db
def test_evaluation_page_in_french_for_a_reserve_bid(client, published):
    bid = published.reserve
    client.force_login(coordinator_of(bid))

    response = client.get(_evaluation(bid), HTTP_ACCEPT_LANGUAGE="fr")

    page = response.content.decode()
    assert 'data-outcome="reserve"' in page
    assert 'id="reserve-position">1<' in page
    assert "Critère" in page


@pytest.mark.django_db
def test_ineligible_bid_page_gives_the_reason_not_a_pending_summary(client, published):
    bid = published.ineligible
    client.force_login(coordinator_of(bid))

    page = client.get(_evaluation(bid)).content.decode()

    assert "The consortium has no research organisation." in page
    assert "An ineligible bid has no evaluation summary." in page
    assert 'id="evaluation-pending"' not in page


@pytest.mark.django_db
def test_member_downloads_the_letter_pdf(client, published):
    bid = published.funded
    client.force_login(
        MembershipFactory(institution=bid.lead_institution, role=Membership.Role.READER).user
    )

    response = client.get(reverse("review:letter_download", args=[bid.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "other", "juror", "admin_without_totp", "admin"])
def test_letter_download_permissions(client, published, who):
    bid = published.funded
    users = {
        "other": lambda: MembershipFactory().user,
        "juror": lambda: juror_with_totp(call=published.call).user,
        "admin_without_totp": AdministratorFactory,
        "admin": administrator_with_totp,
    }
    if who != "anonymous":
        client.force_login(users[who]())

    response = client.get(reverse("review:letter_download", args=[bid.public_id]))

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif who == "admin_without_totp":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_activate_totp"))
    else:
        assert response.status_code == (200 if who == "admin" else 404)
