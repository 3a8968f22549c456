"""A reason is required to dismiss a conflict, to pin a decision and to return a consensus."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from review.models import Conflict, ConsensusReport
from review.services.conflicts import dismiss_conflict, set_conflict_pinned
from review.services.consensus import return_consensus
from tests.factories import CallFactory, ConflictFactory
from tests.review.jury_setup import administrator_with_totp, submitted_bid
from tests.review.review_setup import panel, review_post, write_review

pytestmark = pytest.mark.django_db


def _decide(client, conflict, **data):
    return client.post(reverse("review:conflict_decide", args=[conflict.pk]), data)


def test_dismissing_a_conflict_without_a_reason_is_refused():
    conflict = ConflictFactory()

    with pytest.raises(ValidationError) as refused:
        dismiss_conflict(conflict=conflict, by=administrator_with_totp(), reason="  ")

    conflict.refresh_from_db()
    assert list(refused.value.message_dict) == ["reason"]
    assert conflict.status == Conflict.Status.SUGGESTED


def test_dismissing_a_conflict_keeps_its_reason():
    conflict = dismiss_conflict(
        conflict=ConflictFactory(), by=administrator_with_totp(), reason=" Left in 2015 "
    )

    conflict.refresh_from_db()
    assert (conflict.status, conflict.decision_reason) == ("dismissed", "Left in 2015")


def test_pinning_without_a_reason_is_refused_and_unpinning_needs_none():
    admin = administrator_with_totp()
    conflict = dismiss_conflict(conflict=ConflictFactory(), by=admin, reason="No tie")

    with pytest.raises(ValidationError):
        set_conflict_pinned(conflict=conflict, pinned=True, by=admin)
    set_conflict_pinned(conflict=conflict, pinned=True, by=admin, reason="Confirmed by phone")
    pinned = Conflict.objects.get(pk=conflict.pk)
    set_conflict_pinned(conflict=conflict, pinned=False, by=admin)
    unpinned = Conflict.objects.get(pk=conflict.pk)

    assert (pinned.pinned, pinned.pin_reason) == (True, "Confirmed by phone")
    assert (unpinned.pinned, unpinned.pin_reason) == (False, "")


def test_conflict_page_re_renders_a_dismissal_without_reason_with_the_message(client):
    conflict = ConflictFactory(bid=submitted_bid(call=CallFactory()))
    client.force_login(administrator_with_totp())

    response = _decide(client, conflict, action="dismiss", reason="")

    conflict.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200
    assert conflict.status == Conflict.Status.SUGGESTED
    assert "Give the reason for dismissing this conflict" in page
    assert f'id="reason-{conflict.pk}"' in page


def test_conflict_page_keeps_the_typed_text_when_a_pin_is_refused(client):
    # A suggested conflict cannot be pinned: the reason typed is shown again with the error.
    conflict = ConflictFactory(bid=submitted_bid(call=CallFactory()))
    client.force_login(administrator_with_totp())

    response = _decide(client, conflict, action="pin", reason="Known collaborator")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Confirm or dismiss this conflict before pinning" in page
    assert 'value="Known collaborator"' in page


def test_conflict_page_dismisses_with_the_reason_and_shows_it(client):
    conflict = ConflictFactory(bid=submitted_bid(call=CallFactory()))
    client.force_login(administrator_with_totp())

    response = _decide(client, conflict, action="dismiss", reason="Different department")
    listing = client.get(reverse("review:conflict_list", args=[conflict.bid.call.slug]))

    conflict.refresh_from_db()
    assert response.status_code == 302
    assert conflict.decision_reason == "Different department"
    assert "Different department" in listing.content.decode()


def _submitted_report(p):
    for index, assignment in enumerate(p.assignments):
        write_review(assignment, Decimal(index + 2))
    return ConsensusReport.objects.create(
        bid=p.bid, rapporteur=p.jurors[0], status=ConsensusReport.Status.SUBMITTED, summary="S"
    )


def test_returning_a_consensus_without_a_reason_is_refused():
    p = panel(jurors=2)
    report = _submitted_report(p)

    with pytest.raises(ValidationError) as refused:
        return_consensus(report=report, by=administrator_with_totp(), reason="")

    report.refresh_from_db()
    assert list(refused.value.message_dict) == ["reason"]
    assert report.status == ConsensusReport.Status.SUBMITTED


def test_consensus_page_re_renders_a_return_without_reason(client):
    p = panel(jurors=2)
    report = _submitted_report(p)
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:consensus_approve", args=[p.bid.public_id]),
        {"action": "return", "reason": ""},
    )

    report.refresh_from_db()
    assert response.status_code == 200
    assert report.status == ConsensusReport.Status.SUBMITTED
    assert "Tell the rapporteur why the report is returned" in response.content.decode()


def test_returned_report_shows_the_reason_and_is_revised_and_resubmitted(client):
    p = panel(jurors=2)
    report = _submitted_report(p)
    admin = administrator_with_totp()
    client.force_login(admin)
    client.post(
        reverse("review:consensus_approve", args=[p.bid.public_id]),
        {"action": "return", "reason": "Explain the budget score"},
    )
    report.refresh_from_db()
    client.force_login(p.jurors[0].user)
    page = client.get(reverse("review:consensus", args=[p.bid.public_id]))
    data = review_post(p.call, {0: "3", 1: "3.5", 2: "4"}, {0: "c0", 1: "budget ok", 2: "c2"})
    data.pop("confidence")
    data.pop("overall_comment")
    data.update(summary="Revised", action="submit", version=report.version)

    response = client.post(reverse("review:consensus", args=[p.bid.public_id]), data)

    report.refresh_from_db()
    assert "Explain the budget score" in page.content.decode()
    assert 'id="consensus-form"' in page.content.decode()
    assert response.status_code == 302
    assert (report.status, report.summary, report.returned_by) == ("submitted", "Revised", admin)
