"""Submission: immutable versions, SHA-256, receipt PDF, e-mails, resubmission, withdrawal."""

import hashlib
import io
import json
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from applications.models import Bid, BidSection, BidVersion, Membership
from applications.queries import accepted_partners
from applications.services import receipts
from applications.services.submission import (
    canonical_json,
    deliver_receipt,
    has_unsubmitted_changes,
    snapshot_sha256,
    submit_bid,
    undo_withdrawal,
    withdraw_bid,
)
from applications.tasks import task_deliver_receipt
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
    assert [p["name"] for p in snapshot["partners"]] == list(
        accepted_partners(bid=bid).values_list("name", flat=True)
    )
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


def test_receipt_pdf_is_readable_and_states_the_sha256(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = submit_bid(bid=cast.bid, by=cast.coordinator)

    version.refresh_from_db()
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


def test_resubmission_creates_new_version_and_keeps_old(
    client, cast, django_capture_on_commit_callbacks
):
    client.force_login(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(client, cast.bid)
    BidSection.objects.filter(bid=cast.bid, key="summary").update(content="Improved summary.")

    with django_capture_on_commit_callbacks(execute=True):
        _submit(client, cast.bid)

    versions = list(cast.bid.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].snapshot["sections"]["summary"] == "Written."
    assert versions[1].snapshot["sections"]["summary"] == "Improved summary."
    assert versions[0].sha256 != versions[1].sha256
    assert versions[0].receipt_pdf.name != versions[1].receipt_pdf.name


def test_submit_builds_no_receipt_in_the_request_but_in_the_task_after_commit(
    client, cast, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(cast.coordinator)
    built = []
    real = receipts.build_receipt_pdf

    def spy(**kwargs):
        built.append(("task" if in_task else "request", kwargs["sha256"]))
        return real(**kwargs)

    in_task = False
    with patch("applications.services.submission.build_receipt_pdf", spy):
        with django_capture_on_commit_callbacks() as callbacks:
            response = _submit(client, cast.bid)
        version = cast.bid.versions.get()
        assert built == []
        assert not version.receipt_pdf
        assert mailoutbox == []
        in_task = True
        with django_capture_on_commit_callbacks(execute=True):  # the task's own commit
            for callback in callbacks:  # what the submission's commit hands to Celery
                callback()

    version.refresh_from_db()
    assert response.status_code == 302
    assert built == [("task", version.sha256)]
    assert version.receipt_pdf.read().startswith(b"%PDF")
    assert version.receipt_mailed_at is not None
    assert len(mailoutbox) == 3


def test_receipt_task_run_twice_builds_once_and_mails_once(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = submit_bid(bid=cast.bid, by=cast.coordinator)
    version.refresh_from_db()
    name = version.receipt_pdf.name

    with django_capture_on_commit_callbacks(execute=True):
        task_deliver_receipt.delay(version_id=version.pk)

    version.refresh_from_db()
    assert version.receipt_pdf.name == name
    assert len(mailoutbox) == 3


def test_receipt_task_for_a_deleted_version_does_nothing(mailoutbox):
    task_deliver_receipt.delay(version_id=987_654)

    assert mailoutbox == []


def test_receipt_downloads_before_the_task_has_run(client, cast):
    version = submit_bid(bid=cast.bid, by=cast.coordinator)  # on-commit task never runs here
    assert not BidVersion.objects.get(pk=version.pk).receipt_pdf
    client.force_login(cast.reader)

    response = client.get(
        reverse("applications:bid_receipt", args=[cast.bid.public_id, version.number])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert version.sha256 in text.replace("\n", "")
    assert BidVersion.objects.get(pk=version.pk).receipt_pdf


def test_receipt_built_on_download_equals_the_one_the_task_builds(
    client, cast, django_capture_on_commit_callbacks
):
    version = submit_bid(bid=cast.bid, by=cast.coordinator)
    client.force_login(cast.reader)
    url = reverse("applications:bid_receipt", args=[cast.bid.public_id, version.number])
    on_demand = b"".join(client.get(url).streaming_content)
    BidVersion.objects.filter(pk=version.pk).update(receipt_pdf="")

    deliver_receipt(version=BidVersion.objects.get(pk=version.pk))

    by_task = BidVersion.objects.get(pk=version.pk).receipt_pdf.read()
    # The same document; the bytes differ only by the seal (its signing time and signature).
    task_pdf, demand_pdf = PdfReader(io.BytesIO(by_task)), PdfReader(io.BytesIO(on_demand))
    assert [page.extract_text() for page in task_pdf.pages] == [
        page.extract_text() for page in demand_pdf.pages
    ]
    # The seal stamps its own modification date; every other metadata field is the same.
    assert {k: v for k, v in task_pdf.metadata.items() if k != "/ModDate"} == {
        k: v for k, v in demand_pdf.metadata.items() if k != "/ModDate"
    }


def test_receipt_is_written_in_the_submitters_language(
    client, cast, django_capture_on_commit_callbacks
):
    client.force_login(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("applications:bid_submit", args=[cast.bid.public_id]),
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    version = cast.bid.versions.get()
    client.force_login(cast.reader)  # downloads in English: the receipt stays in French

    response = client.get(
        reverse("applications:bid_receipt", args=[cast.bid.public_id, version.number])
    )

    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    assert version.language == "fr"
    assert "Submission receipt" not in text


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
    _submit(client, cast.bid)

    response = client.post(
        reverse("applications:bid_withdraw", args=[cast.bid.public_id]), {"reason": "   "}
    )

    cast.bid.refresh_from_db()
    assert response.status_code == 200
    assert cast.bid.status == Bid.Status.SUBMITTED


def test_withdraw_of_a_never_submitted_draft_is_refused(client, cast):
    client.force_login(cast.coordinator)

    page = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))
    response = client.post(
        reverse("applications:bid_withdraw", args=[cast.bid.public_id]),
        {"reason": "Not ready."},
        follow=True,
    )

    cast.bid.refresh_from_db()
    assert b'id="withdraw-link"' not in page.content
    assert "there is nothing to withdraw" in response.content.decode()
    assert cast.bid.status == Bid.Status.DRAFT
    with pytest.raises(ValidationError, match="never been submitted"):
        withdraw_bid(bid=cast.bid, reason="Not ready.", by=cast.coordinator)


def test_withdraw_link_offered_once_submitted(client, cast):
    client.force_login(cast.coordinator)
    _submit(client, cast.bid)

    page = client.get(reverse("applications:bid_detail", args=[cast.bid.public_id]))

    assert b'id="withdraw-link"' in page.content


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
    # A draft withdrawn before drafts stopped being withdrawable.
    Bid.objects.filter(pk=cast.bid.pk).update(status=Bid.Status.WITHDRAWN)

    bid = undo_withdrawal(bid=cast.bid, by=cast.coordinator)

    assert bid.status == Bid.Status.DRAFT


def test_withdrawn_bid_cannot_be_submitted(cast):
    submit_bid(bid=cast.bid, by=cast.coordinator)
    withdraw_bid(bid=cast.bid, reason="Stop.", by=cast.coordinator)

    with pytest.raises(ValidationError):
        submit_bid(bid=cast.bid, by=cast.coordinator)


def test_editor_of_withdrawn_bid_cannot_edit(cast):
    from applications.services.bids import save_section

    submit_bid(bid=cast.bid, by=cast.coordinator)
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


def test_a_receipt_whose_task_message_was_lost_is_delivered_by_the_sweep(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from applications.tasks import task_requeue_undelivered_receipts

    # The broker was down at the commit: the delivery was never published.
    with (
        patch("portal.queue.publish", return_value=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        version = submit_bid(bid=cast.bid, by=cast.coordinator)
    assert mailoutbox == []
    task_requeue_undelivered_receipts.delay()
    assert mailoutbox == []  # too recent: its task may still be on its way

    BidVersion.objects.filter(pk=version.pk).update(
        submitted_at=timezone.now() - timedelta(minutes=11)
    )
    with django_capture_on_commit_callbacks(execute=True):
        task_requeue_undelivered_receipts.delay()

    version.refresh_from_db()
    assert version.receipt_mailed_at is not None
    assert version.receipt_pdf.name
    assert len(mailoutbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        task_requeue_undelivered_receipts.delay()
    assert len(mailoutbox) == 3  # delivered once
