"""Hostile PDFs cost bounded server time; served names end in .pdf; the same file twice is
flagged."""

import importlib.util
import time
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Attachment, BidVersion
from applications.services import attachments as attachment_services
from applications.services.attachments import check_pdf, served_name
from review.models import CallExport
from review.services.exports import write_export
from tests.applications.bidkit import make_cast, pdf_upload
from tests.factories import CallFactory, RequiredAttachmentFactory, make_pdf_bytes
from tests.review.review_setup import bid_with_version, panel

ROOT = Path(__file__).resolve().parents[2]


def _bench_make_pdf():
    spec = importlib.util.spec_from_file_location("pdf_upload", ROOT / "bench" / "pdf_upload.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_pdf


make_raw_pdf = _bench_make_pdf()


def _check(data: bytes, *, max_pages: int | None = None):
    upload = SimpleUploadedFile("x.pdf", data, content_type="application/pdf")
    return check_pdf(upload=upload, max_bytes=20 * 1024 * 1024, max_pages=max_pages)


def test_a_50000_page_pdf_is_refused_fast_with_its_page_count():
    data = make_raw_pdf(50_000)
    start = time.perf_counter()

    with pytest.raises(ValidationError) as caught:
        _check(data)

    assert time.perf_counter() - start < 1.0
    assert caught.value.code == "too_many_pages"
    assert caught.value.messages == ["This document has 50,000 pages; at most 1,000 are allowed."]


def test_a_pdf_whose_counts_are_hidden_is_cut_off_by_the_time_budget():
    # No readable /Count or /Size in the raw bytes (indirect objects): only pypdf can tell,
    # and opening 50,000 cross-reference entries takes longer than the budget.
    data = make_raw_pdf(50_000).replace(b"/Count 50000", b"/Count 3 0 R")
    data = data.replace(b"/Size 50005", b"/Size 2 0 R")
    start = time.perf_counter()

    with pytest.raises(ValidationError) as caught:
        _check(data)

    assert time.perf_counter() - start < attachment_services.PROBE_SECONDS + 0.5
    assert caught.value.code in {"too_complex", "not_pdf"}


def test_page_count_is_read_from_the_page_tree_and_checked_against_the_call_limit():
    assert _check(make_raw_pdf(12)).pages == 12
    with pytest.raises(ValidationError) as caught:
        _check(make_raw_pdf(12), max_pages=10)
    assert caught.value.code == "too_many_pages"
    assert _check(make_raw_pdf(10), max_pages=10).pages == 10


def test_a_pdf_declaring_too_many_objects_is_refused_before_parsing():
    data = make_raw_pdf(3).replace(b"/Size 8 ", b"/Size 9999999 ")

    with pytest.raises(ValidationError) as caught:
        _check(data)

    assert caught.value.code == "too_complex"


def test_a_damaged_pdf_is_refused_as_unreadable():
    with pytest.raises(ValidationError) as caught:
        _check(b"%PDF-1.4\nthis is not really a pdf\n%%EOF")

    assert caught.value.code == "not_pdf"


@pytest.mark.parametrize(
    ("name", "served"),
    [
        ("invoice.html", "invoice.pdf"),
        ("cv.PDF", "cv.pdf"),
        ("report.final.pdf", "report.final.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ('a<b>:c"d.pdf', "a-b-c-d.pdf"),
        ("", "document.pdf"),
        (".pdf", "document.pdf"),
        ("été 2024.docx", "été 2024.pdf"),
    ],
)
def test_served_name_always_ends_in_pdf(name, served):
    assert served_name(name) == served


@pytest.mark.django_db
def test_institution_download_of_a_pdf_uploaded_as_html_is_named_pdf(client):
    cast = make_cast()
    client.force_login(cast.editor)
    upload = SimpleUploadedFile("invoice.html", make_pdf_bytes(1), content_type="text/html")
    client.post(
        reverse("applications:bid_attachments", args=[cast.bid.public_id]), {"file": upload}
    )
    attachment = Attachment.objects.get(bid=cast.bid)

    response = client.get(
        reverse("applications:bid_attachment_download", args=[cast.bid.public_id, attachment.pk])
    )

    assert attachment.original_name == "invoice.html"
    assert response["Content-Disposition"] == 'attachment; filename="invoice.pdf"'


def _rename_in_snapshot(bid, name: str) -> None:
    version = BidVersion.objects.filter(bid=bid).latest("number")
    snapshot = version.snapshot
    snapshot["attachments"][0]["name"] = name
    BidVersion.objects.filter(pk=version.pk).update(snapshot=snapshot)


@pytest.mark.django_db
def test_jury_download_of_a_pdf_uploaded_as_html_is_named_pdf(client):
    p = panel(jurors=1)
    _rename_in_snapshot(p.bid, "invoice.html")
    client.force_login(p.jurors[0].user)

    response = client.get(reverse("review:download_attachment", args=[p.bid.public_id, 0]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="invoice.pdf"'


@pytest.mark.django_db
def test_bids_zip_names_attachments_pdf(tmp_path):
    call = CallFactory()
    bid = bid_with_version(call=call, acronym="ZIPH")
    _rename_in_snapshot(bid, "invoice.html")

    path = write_export(
        call=call, kind=CallExport.Kind.BIDS, directory=tmp_path, language="en", pseudonymise=False
    )

    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if "/attachments/" in n]
    assert names == ["ziph/attachments/invoice.pdf"]


@pytest.mark.django_db
def test_the_same_file_twice_is_kept_and_flagged_at_upload_and_on_the_list(client):
    cast = make_cast()
    required = RequiredAttachmentFactory(call=cast.bid.call, code="scientific")
    url = reverse("applications:bid_attachments", args=[cast.bid.public_id])
    client.force_login(cast.editor)
    content = make_pdf_bytes(2)
    client.post(
        url, {"file": SimpleUploadedFile("plan.pdf", content), "required_attachment": required.pk}
    )

    response = client.post(url, {"file": SimpleUploadedFile("annex.pdf", content)}, follow=True)

    page = response.content.decode()
    assert Attachment.objects.filter(bid=cast.bid).count() == 2
    assert "“annex.pdf” is identical to “plan.pdf” already attached to this bid" in page
    assert page.count("attachment-duplicate") == 2
    assert "Identical to plan.pdf" in page
    assert "Identical to annex.pdf" in page


@pytest.mark.django_db
def test_different_files_are_not_flagged(client):
    cast = make_cast()
    url = reverse("applications:bid_attachments", args=[cast.bid.public_id])
    client.force_login(cast.editor)
    client.post(url, {"file": pdf_upload("one.pdf", pages=1)})

    response = client.post(url, {"file": pdf_upload("two.pdf", pages=2)}, follow=True)

    assert "attachment-duplicate" not in response.content.decode()
    assert "is identical to" not in response.content.decode()
