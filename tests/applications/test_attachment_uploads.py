"""PDF uploads: content sniffing, size and page limits, names, storage, replacement."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Attachment
from applications.services.attachments import clean_original_name
from tests.applications.bidkit import make_cast, pdf_upload
from tests.factories import RequiredAttachmentFactory, make_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def required(cast):
    return RequiredAttachmentFactory(call=cast.bid.call, code="scientific", max_pages=3)


def _upload(client, bid, upload, required=None):
    data = {"file": upload}
    if required is not None:
        data["required_attachment"] = required.pk
    return client.post(reverse("applications:bid_attachments", args=[bid.public_id]), data)


def test_upload_pdf_stores_random_name_hash_and_pages(client, cast, required):
    client.force_login(cast.editor)
    content = make_pdf_bytes(pages=2)

    response = _upload(client, cast.bid, SimpleUploadedFile("Plan.pdf", content), required)

    attachment = Attachment.objects.get(bid=cast.bid)
    assert response.status_code == 302
    assert attachment.original_name == "Plan.pdf"
    assert attachment.pages == 2
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert "Plan" not in attachment.file.name
    assert attachment.file.name.startswith(f"attachments/{cast.bid.call_id}/")
    assert default_storage.open(attachment.file.name).read() == content


def test_upload_renamed_text_file_is_refused(client, cast, required):
    client.force_login(cast.editor)
    fake = SimpleUploadedFile("report.pdf", b"Just some text, not a PDF.", "application/pdf")

    response = _upload(client, cast.bid, fake, required)

    assert response.status_code == 200
    assert "not a PDF" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_upload_pdf_magic_without_valid_structure_is_refused(client, cast, required):
    client.force_login(cast.editor)
    fake = SimpleUploadedFile("x.pdf", b"%PDF-1.7\nthis is not really a pdf\n", "application/pdf")

    response = _upload(client, cast.bid, fake, required)

    assert response.status_code == 200
    assert "cannot be read" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_upload_oversized_file_is_refused(client, cast, required, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 300
    client.force_login(cast.editor)
    content = make_pdf_bytes(pages=1)
    assert len(content) > 300

    response = _upload(client, cast.bid, SimpleUploadedFile("big.pdf", content), required)

    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_upload_limit_is_the_smaller_of_setting_and_call(client, cast, required, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 10_000_000
    cast.bid.call.max_attachment_bytes = 300
    cast.bid.call.save()
    client.force_login(cast.editor)

    response = _upload(client, cast.bid, pdf_upload(), required)

    assert "too large" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_upload_size_checked_before_reading(cast):
    """An upload reporting an oversized ``size`` is refused without a read."""
    from applications.services.attachments import check_pdf

    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("read before the size check")

    upload = Unreadable("a.pdf", b"x" * 10)
    upload.size = 10**9

    with pytest.raises(Exception, match="too large"):
        check_pdf(upload=upload, max_bytes=1000, max_pages=None)


def test_upload_path_in_file_name_is_stripped(client, cast, required):
    client.force_login(cast.editor)

    _upload(client, cast.bid, pdf_upload("../../etc/passwd.pdf"), required)

    attachment = Attachment.objects.get(bid=cast.bid)
    assert attachment.original_name == "passwd.pdf"
    assert ".." not in attachment.file.name
    assert "passwd" not in attachment.file.name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\cv.pdf", "cv.pdf"),
        ("dir/sub/", "document.pdf"),
        ("..", "document.pdf"),
        ("a\x00b\nc.pdf", "abc.pdf"),
        ("Étude de faisabilité.pdf", "Étude de faisabilité.pdf"),
    ],
)
def test_clean_original_name(raw, clean):
    assert clean_original_name(raw) == clean


def test_clean_original_name_bounds_length_and_keeps_extension():
    name = clean_original_name("x" * 500 + ".pdf")

    assert len(name) == 200
    assert name.endswith(".pdf")


def test_upload_too_many_pages_is_refused(client, cast, required):
    client.force_login(cast.editor)

    response = _upload(client, cast.bid, pdf_upload(pages=4), required)

    assert response.status_code == 200
    assert "4 pages; at most 3" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_upload_replaces_previous_file_of_same_slot(
    client, cast, required, django_capture_on_commit_callbacks
):
    client.force_login(cast.editor)
    _upload(client, cast.bid, pdf_upload("first.pdf"), required)
    first = Attachment.objects.get(bid=cast.bid)

    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, cast.bid, pdf_upload("second.pdf", pages=2), required)

    attachment = Attachment.objects.get(bid=cast.bid)
    assert attachment.original_name == "second.pdf"
    assert not default_storage.exists(first.file.name)


def test_extra_attachments_are_kept_side_by_side(client, cast):
    client.force_login(cast.editor)

    _upload(client, cast.bid, pdf_upload("one.pdf"))
    _upload(client, cast.bid, pdf_upload("two.pdf"))

    names = sorted(Attachment.objects.filter(bid=cast.bid).values_list("original_name", flat=True))
    assert names == ["one.pdf", "two.pdf"]


def test_upload_to_another_calls_slot_is_refused(client, cast):
    client.force_login(cast.editor)
    foreign = RequiredAttachmentFactory()

    response = _upload(client, cast.bid, pdf_upload(), foreign)

    assert response.status_code == 200
    assert Attachment.objects.count() == 0


def test_delete_attachment_removes_row_and_file(
    client, cast, required, django_capture_on_commit_callbacks
):
    client.force_login(cast.editor)
    _upload(client, cast.bid, pdf_upload(), required)
    attachment = Attachment.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:bid_attachment_delete", args=[cast.bid.public_id, attachment.pk])
        )

    assert response.status_code == 302
    assert Attachment.objects.count() == 0
    assert not default_storage.exists(attachment.file.name)


def test_delete_keeps_file_referenced_by_submitted_version(
    client, cast, django_capture_on_commit_callbacks
):
    from tests.applications.bidkit import complete_bid

    bid = complete_bid(cast.bid)
    client.force_login(cast.coordinator)
    client.post(reverse("applications:bid_submit", args=[bid.public_id]))
    attachment = bid.attachments.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("applications:bid_attachment_delete", args=[bid.public_id, attachment.pk])
        )

    assert Attachment.objects.filter(bid=bid).count() == 0
    assert default_storage.exists(attachment.file.name)
    assert bid.versions.get().snapshot["attachments"][0]["file"] == attachment.file.name


def test_attachments_page_lists_slots_and_upload_fields(client, cast, required):
    client.force_login(cast.editor)

    response = client.get(reverse("applications:bid_attachments", args=[cast.bid.public_id]))

    html = response.content.decode()
    assert 'id="file-scientific"' in html
    assert f'name="required_attachment" value="{required.pk}"' in html
    assert 'id="file-extra"' in html
