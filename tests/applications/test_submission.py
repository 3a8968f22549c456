"""Submission: immutable versions, SHA-256, receipt PDF, e-mails, resubmission, withdrawal."""

import hashlib
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from applications.models import Bid, BidSection, BidVersion, Membership
from applications.services.submission import (
    canonical_json,
    has_unsubmitted_changes,
    snapshot_sha256,
    submit_bid,
    undo_withdrawal,
    withdraw_bid,
)
from tests.applications.bidkit import complete_bid, make_cast, member
from tests.factories import BidFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast(complete_bid())


def _submit(client, bid):
    return client.post(reverse("applications:bid_submit", args=[bid.public_id]))


def test_submit_freezes_snapshot_of_everything(cast):
    bid = cast.bid

    version = submit_bid(bid=bid, by=cast.coordinator)

    snapshot = version.snapshot
    assert version.number == 1
    assert snapshot["version"] == 1
    assert snapshot["bid"]["acronym"] == bid.acronym
    assert snapshot["bid"]["requested_amount"] == 50_000_000
    assert snapshot["lead_institution"]["name"] == bid.lead_institution.name
    assert [p["name"] for p in snapshot["partners"]] == [p.name for p in bid.partners.all()]
    assert snapshot["sections"] == {key: "Written." for key in BidSection.Key.values}
    assert snapshot["budget"] == [
        {"year": 1, "category": "staff", "requested": 50_000_000, "cofunding": 1_000_000}
    ]
    attachment = bid.attachments.get()
    assert snapshot["attachments"] == [
        {
            "required": "scientific",
            "name": "scientific.pdf",
            "size": attachment.size,
            "pages": 2,
            "sha256": attachment.sha256,
            "file": attachment.file.name,
        }
    ]
    assert snapshot["submitted_by"] == cast.coordinator.email
    bid.refresh_from_db()
    assert bid.status == Bid.Status.SUBMITTED


def test_version_sha256_is_sha256_of_canonical_json_and_stable(cast):
    version = submit_bid(bid=cast.bid, by=cast.coordinator)

    stored = BidVersion.objects.get(pk=version.pk)
    expected = hashlib.sha256(
        json.dumps(
            stored.snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    ).hexdigest()
    assert stored.sha256 == expected
    assert snapshot_sha256(stored.snapshot) == version.sha256


def test_canonical_json_is_key_order_independent_and_keeps_unicode():
    assert canonical_json({"b": 1, "a": "é"}) == canonical_json({"a": "é", "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'.encode()


def test_receipt_pdf_is_readable_and_states_the_sha256(cast):
    version = submit_bid(bid=cast.bid, by=cast.coordinator)

    reader = PdfReader(io.BytesIO(version.receipt_pdf.read()))
    text = "".join(page.extract_text() for page in reader.pages)
    attachment = cast.bid.attachments.get()
    assert version.sha256 in text.replace("\n", "")
    assert attachment.sha256 in text.replace("\n", "")
    assert cast.bid.acronym in text
    assert cast.bid.lead_institution.name in text
    assert "Version: 1" in text
    assert "(Europe/Paris)" in text
    assert "UTC" in text


def test_submit_emails_every_member_of_lead_institution(
    client, cast, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(cast.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        _submit(client, cast.bid)

    recipients = sorted(address for message in mailoutbox for address in message.to)
    members = sorted(
        Membership.objects.filter(institution=cast.bid.lead_institution).values_list(
            "user__email", flat=True
        )
    )
    assert recipients == members
    assert len(members) == 3
    version = cast.bid.versions.get()
    assert version.sha256 in mailoutbox[0].body
    assert mailoutbox[0].attachments[0][2] == "application/pdf"


def test_submit_sends_no_email_when_transaction_does_not_commit(cast, mailoutbox):
    submit_bid(bid=cast.bid, by=cast.coordinator)

    assert mailoutbox == []


def test_resubmission_creates_new_version_and_keeps_old(client, cast):
    client.force_login(cast.coordinator)
    _submit(client, cast.bid)
    BidSection.objects.filter(bid=cast.bid, key="summary").update(content="Improved summary.")

    _submit(client, cast.bid)

    versions = list(cast.bid.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].snapshot["sections"]["summary"] == "Written."
    assert versions[1].snapshot["sections"]["summary"] == "Improved summary."
    assert versions[0].sha256 != versions[1].sha256
    assert versions[0].receipt_pdf.name != versions[1].receipt_pdf.name


def test_detail_page_lists_versions_with_receipts(client, cast):
    client.force_login(cast.coordinator)
    _submit(client, cast.bid)
    BidSection.objects.filter(bid=cast.bid, key="summary").update(content="Improved summary.")
    _submit(client, cast.bid)
    client.force_login(cast.reader)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    html = response.content.decode()
    for number in (1, 2):
        assert reverse("applications:bid_receipt", args=[cast.bid.public_id, number]) in html


def test_detail_page_flags_changes_since_last_version(client, cast):
    client.force_login(cast.coordinator)
    _submit(client, cast.bid)
    BidSection.objects.filter(bid=cast.bid, key="summary").update(content="Changed.")

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert b'id="unsubmitted-changes"' in response.content


def test_has_unsubmitted_changes_false_right_after_submission(cast):
    version = submit_bid(bid=cast.bid, by=cast.coordinator)

    assert has_unsubmitted_changes(bid=cast.bid, version=version) is False


def test_submit_incomplete_bid_is_refused_with_missing_items(client):
    cast = make_cast(BidFactory())
    client.force_login(cast.coordinator)

    response = client.post(
        reverse("applications:bid_submit", args=[cast.bid.public_id]), follow=True
    )

    html = response.content.decode()
    assert cast.bid.versions.count() == 0
    assert "The bid is incomplete" in html
    assert "Project summary" in html


def test_submit_budget_mismatch_is_refused(cast):
    cast.bid.budget_lines.update(requested=1)

    with pytest.raises(ValidationError) as error:
        submit_bid(bid=cast.bid, by=cast.coordinator)

    assert "requested total is €1 but" in " ".join(error.value.messages)
    assert cast.bid.versions.count() == 0


def test_withdraw_needs_a_reason(client, cast):
    client.force_login(cast.coordinator)

    response = client.post(
        reverse("applications:bid_withdraw", args=[cast.bid.public_id]), {"reason": "   "}
    )

    cast.bid.refresh_from_db()
    assert response.status_code == 200
    assert cast.bid.status == Bid.Status.DRAFT


def test_withdraw_with_reason_then_undo_returns_to_submitted(client, cast):
    client.force_login(cast.coordinator)
    _submit(client, cast.bid)

    client.post(
        reverse("applications:bid_withdraw", args=[cast.bid.public_id]),
        {"reason": "Merged with another consortium."},
    )
    cast.bid.refresh_from_db()
    withdrawn = (cast.bid.status, cast.bid.withdrawal_reason)
    client.post(reverse("applications:bid_withdraw_undo", args=[cast.bid.public_id]))
    cast.bid.refresh_from_db()

    assert withdrawn == (Bid.Status.WITHDRAWN, "Merged with another consortium.")
    assert cast.bid.status == Bid.Status.SUBMITTED


def test_undo_withdrawal_without_version_returns_to_draft(cast):
    withdraw_bid(bid=cast.bid, reason="Not ready.", by=cast.coordinator)

    bid = undo_withdrawal(bid=cast.bid, by=cast.coordinator)

    assert bid.status == Bid.Status.DRAFT


def test_withdrawn_bid_cannot_be_submitted(cast):
    withdraw_bid(bid=cast.bid, reason="Stop.", by=cast.coordinator)

    with pytest.raises(ValidationError):
        submit_bid(bid=cast.bid, by=cast.coordinator)


def test_editor_of_withdrawn_bid_cannot_edit(cast):
    from applications.services.bids import save_section

    withdraw_bid(bid=cast.bid, reason="Stop.", by=cast.coordinator)
    bid = Bid.objects.select_related("call").get(pk=cast.bid.pk)

    with pytest.raises(ValidationError, match="withdrawn"):
        save_section(bid=bid, key="summary", content="x", version=1, by=cast.editor)


def test_eligibility_outcome_shown_once_screened(client, cast):
    cast.bid.eligibility = Bid.Eligibility.INELIGIBLE
    cast.bid.eligibility_reason = "The lead is not a French institution."
    cast.bid.save()
    client.force_login(cast.reader)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert "The lead is not a French institution." in response.content.decode()


def test_eligibility_hidden_while_pending(client, cast):
    client.force_login(cast.reader)

    response = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert b'id="eligibility"' not in response.content


def test_submission_email_goes_to_members_only(
    client, cast, mailoutbox, django_capture_on_commit_callbacks
):
    outsider = member(BidFactory().lead_institution)
    client.force_login(cast.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        _submit(client, cast.bid)

    assert outsider.email not in [address for m in mailoutbox for address in m.to]
    assert cast.partner.email not in [address for m in mailoutbox for address in m.to]
