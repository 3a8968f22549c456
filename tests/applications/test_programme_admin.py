"""The call is configured in the Django admin; its status moves only through actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Bid, BidVersion, Call
from tests.factories import (
    AdministratorFactory,
    BidFactory,
    CallFactory,
    InstitutionFactory,
    MembershipFactory,
    RequiredAttachmentFactory,
    UserFactory,
    enable_totp,
)

pytestmark = pytest.mark.django_db


def administrator_with_totp():
    """Administrators need TOTP for the programme pages and the Django admin."""
    user = AdministratorFactory()
    enable_totp(user)
    return user


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


def test_call_admin_change_page_has_no_status_field(admin_client):
    call = CallFactory()
    RequiredAttachmentFactory(call=call)

    response = admin_client.get(reverse("admin:applications_call_change", args=[call.pk]))

    assert response.status_code == 200
    assert "status" not in response.context["adminform"].form.fields
    assert "required_attachments-0-code" in response.content.decode()


def test_call_admin_post_cannot_change_status(admin_client):
    call = CallFactory(status=Call.Status.DRAFT)
    url = reverse("admin:applications_call_change", args=[call.pk])
    data = admin_client.get(url).context["adminform"].form.initial
    form = {k: v for k, v in data.items() if v is not None}
    form.update(
        {
            "opens_at_0": "2030-01-01",
            "opens_at_1": "10:00:00",
            "closes_at_0": "2030-03-01",
            "closes_at_1": "12:00:00",
            "status": Call.Status.PUBLISHED,
            "required_attachments-TOTAL_FORMS": "0",
            "required_attachments-INITIAL_FORMS": "0",
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "faqs-TOTAL_FORMS": "0",
            "faqs-INITIAL_FORMS": "0",
        }
    )
    form.pop("review_deadline", None)
    form.pop("overall_threshold", None)

    response = admin_client.post(url, form)

    call.refresh_from_db()
    assert response.status_code == 302
    assert call.status == Call.Status.DRAFT
    assert timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M") == "2030-03-01 12:00"


def test_call_admin_action_moves_status_through_the_service(admin_client):
    call = CallFactory(status=Call.Status.DRAFT)

    admin_client.post(
        reverse("admin:applications_call_changelist"),
        {"action": "move_to_open", "_selected_action": [call.pk]},
    )

    call.refresh_from_db()
    assert call.status == Call.Status.OPEN


def test_call_admin_action_refused_transition_reports_why(admin_client):
    call = CallFactory(status=Call.Status.OPEN, closes_at=timezone.now() + timedelta(days=1))

    response = admin_client.post(
        reverse("admin:applications_call_changelist"),
        {"action": "move_to_closed", "_selected_action": [call.pk]},
        follow=True,
    )

    call.refresh_from_db()
    assert call.status == Call.Status.OPEN
    assert "has not passed yet" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "applications_call",
        "applications_institution",
        "applications_membership",
        "applications_invitation",
        "applications_bid",
        "applications_bidversion",
    ],
)
def test_admin_changelists_render(admin_client, name):
    bid = BidFactory(status=Bid.Status.SUBMITTED)
    MembershipFactory(institution=bid.lead_institution)
    BidVersion.objects.create(
        bid=bid,
        number=1,
        snapshot={},
        sha256="a" * 64,
        receipt_pdf="receipts/r.pdf",
        submitted_at=timezone.now(),
        submitted_by=UserFactory(),
    )

    response = admin_client.get(reverse(f"admin:{name}_changelist"))

    assert response.status_code == 200


def test_bid_admin_is_read_only(admin_client):
    bid = BidFactory(acronym="BEFORE")
    url = reverse("admin:applications_bid_change", args=[bid.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"acronym": "AFTER", "title": "x", "call": bid.call_id})

    bid.refresh_from_db()
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert bid.acronym == "BEFORE"


def test_admin_is_closed_to_institution_members(client):
    client.force_login(MembershipFactory(institution=InstitutionFactory()).user)

    response = client.get(reverse("admin:applications_call_changelist"))

    assert response.status_code == 302
