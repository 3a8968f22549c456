"""The sealed receipt: Unicode font, locale formats, true metadata, PAdES seal; the public
verification page."""

import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from applications.services.receipts import build_receipt_pdf
from applications.services.submission import ensure_receipt, submit_bid
from portal import sealing
from tests.applications.bidkit import complete_bid, make_cast
from tests.factories import make_pdf_bytes

pytestmark = pytest.mark.django_db

VERIFY = "/receipts/verify/"


@pytest.fixture
def cast():
    return make_cast(complete_bid())


def _submitted(cast):
    """Submit and build the receipt, as the delivery task does after the commit."""
    return ensure_receipt(version=submit_bid(bid=cast.bid, by=cast.coordinator))


@pytest.fixture
def version(cast):
    return _submitted(cast)


def _receipt(version) -> bytes:
    version.receipt_pdf.open("rb")
    try:
        return version.receipt_pdf.read()
    finally:
        version.receipt_pdf.close()


def _portal_trust(settings) -> ValidationContext:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(settings.PORTAL_SEALING_CERT.read_bytes())
    root = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    return ValidationContext(trust_roots=[root], allow_fetching=False)


def _tampered(data: bytes) -> bytes:
    """One byte of the signed content changed (the producer's name, outside the signature)."""
    index = data.index(b"ReportLab")
    return data[:index] + b"X" + data[index + 1 :]


def _foreign_signed(data: bytes, tmp_path) -> bytes:
    """The same PDF signed by someone else's self-signed certificate."""
    cert, key = tmp_path / "other-cert.pem", tmp_path / "other-key.pem"
    sealing.write_self_signed(cert_path=cert, key_path=key, passphrase="", days=5)
    signer = signers.SimpleSigner.load(str(key), str(cert))
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(field_name="Other", md_algorithm="sha256")
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


# The receipt itself


def test_receipt_signature_validates_with_pyhanko_against_the_portal_certificate(version, settings):
    data = _receipt(version)

    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(signature, _portal_trust(settings))

    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.bottom_line
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_tampered_receipt_fails_pyhanko_validation(version, settings):
    data = _tampered(_receipt(version))

    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(signature, _portal_trust(settings))

    assert not status.intact
    assert not status.bottom_line
    assert sealing.check_seal(data).valid is False


def test_receipt_metadata_are_true(version, settings):
    metadata = PdfReader(io.BytesIO(_receipt(version))).metadata

    acronym = version.bid.acronym
    assert metadata["/Title"] == f"Submission receipt: {acronym}, version 1"
    assert metadata["/Author"] == settings.PORTAL_NAME
    assert metadata["/Creator"] == settings.PORTAL_NAME
    assert metadata["/Subject"].startswith(f"Receipt of version 1 of the bid {acronym} to the call")
    assert f"sha256:{version.sha256}" in metadata["/Keywords"]
    created = datetime.strptime(metadata["/CreationDate"][2:16], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    assert created == version.submitted_at.astimezone(UTC).replace(microsecond=0)


def test_receipt_embeds_the_unicode_font_and_no_standard_font(version):
    reader = PdfReader(io.BytesIO(_receipt(version)))

    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts
    assert all("DejaVu" in name for name in fonts)
    assert not any("Helvetica" in name for name in fonts)


def test_receipt_prints_non_latin_names(cast):
    cast.bid.title = "Réseau — Łódź, Київ, Ωmega"
    cast.bid.save(update_fields=["title"])

    version = _submitted(cast)

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(_receipt(version))).pages)
    assert "Réseau — Łódź, Київ, Ωmega" in text


def test_receipt_in_french_groups_amounts_and_sizes_the_french_way(version):
    data = build_receipt_pdf(snapshot=version.snapshot, sha256=version.sha256, language="fr")

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = text.replace("\u00a0", " ")  # the extraction may give the no-break spaces as spaces
    size = version.snapshot["attachments"][0]["size"]
    assert "Montant demandé : 50 000 000 €" in text
    assert f"{size:,}".replace(",", " ") in text
    assert "EUR" not in text
    assert "50,000,000" not in text


def test_receipt_in_english_groups_with_commas(version):
    data = build_receipt_pdf(snapshot=version.snapshot, sha256=version.sha256, language="en")

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    size = version.snapshot["attachments"][0]["size"]
    assert "€50,000,000" in text
    assert f"{size:,} bytes" in text


def test_receipt_without_sealing_certificate_is_unsigned_and_check_warns(
    version, settings, tmp_path
):
    settings.PORTAL_SEALING_CERT = tmp_path / "missing.pem"

    data = build_receipt_pdf(snapshot=version.snapshot, sha256=version.sha256)

    assert sealing.check_seal(data).signed is False
    assert [m.id for m in sealing.check_sealing_certificate()] == ["portal.W002"]


def test_generate_sealing_certificate_writes_a_pair_and_keeps_it(settings, tmp_path):
    cert, key = tmp_path / "seal" / "cert.pem", tmp_path / "seal" / "key.pem"

    call_command("generate_sealing_certificate", cert=cert, key=key, stdout=io.StringIO())
    first = cert.read_bytes()
    call_command("generate_sealing_certificate", cert=cert, key=key, stdout=io.StringIO())

    assert cert.read_bytes() == first
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()  # the tests' passphrase is set
    assert key.stat().st_mode & 0o077 == 0


def test_check_seal_refuses_a_file_that_is_not_a_pdf():
    with pytest.raises(sealing.NotAPdf):
        sealing.check_seal(b"GIF89a not a pdf")


def test_check_seal_of_a_file_signed_by_someone_else_is_not_the_portals(version, tmp_path):
    data = _foreign_signed(make_pdf_bytes(pages=1), tmp_path)

    check = sealing.check_seal(data)

    assert check.signed
    assert check.intact
    assert check.by_portal is False
    assert check.valid is False


def test_check_seal_flags_an_update_appended_after_the_seal(version):
    writer = IncrementalPdfFileWriter(io.BytesIO(_receipt(version)))
    writer.root["/PageMode"] = writer.root.get("/PageMode", "/UseNone")
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)

    check = sealing.check_seal(output.getvalue())

    assert check.intact
    assert check.whole_file is False
    assert check.valid is False


# The public verification page


def _upload(data: bytes, name: str = "receipt.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_verify_page_is_public():
    response = Client().get(VERIFY)

    assert response.status_code == 200
    assert reverse("applications:receipt_verify") == VERIFY
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_verify_genuine_receipt_shows_the_version(client, version):
    response = client.post(VERIFY, {"receipt": _upload(_receipt(version))})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verdict-genuine"' in html
    assert version.bid.acronym in html
    assert version.sha256 in html
    assert version.bid.title not in html  # nothing beyond what identifies the version


def test_verify_tampered_receipt_says_the_seal_is_broken(client, version):
    response = client.post(VERIFY, {"receipt": _upload(_tampered(_receipt(version)))})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verdict-tampered"' in html
    assert 'id="verdict-genuine"' not in html


def test_verify_receipt_signed_by_someone_else(client, tmp_path):
    response = client.post(
        VERIFY, {"receipt": _upload(_foreign_signed(make_pdf_bytes(pages=1), tmp_path))}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verdict-foreign"' in html


def test_verify_unsigned_pdf(client):
    response = client.post(VERIFY, {"receipt": _upload(make_pdf_bytes(pages=1))})

    assert response.status_code == 200
    assert 'id="verdict-unsigned"' in response.content.decode()


def test_verify_known_hash_shows_the_version(client, version):
    response = client.post(VERIFY, {"sha256": version.sha256.upper()})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verdict-version"' in html
    assert version.bid.acronym in html


def test_verify_unknown_hash(client, version):
    unknown = "0" * 64

    response = client.post(VERIFY, {"sha256": unknown})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verdict-no-version"' in html
    assert version.bid.acronym not in html


def test_verify_malformed_hash_rerenders_with_the_input(client):
    response = client.post(VERIFY, {"sha256": "abc123"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "A SHA-256 is 64 hexadecimal characters" in html
    assert 'value="abc123"' in html


def test_verify_nothing_given(client):
    response = client.post(VERIFY, {})

    assert response.status_code == 400
    assert "Drop a receipt PDF or enter the SHA-256 of a version." in response.content.decode()


def test_verify_not_a_pdf(client):
    response = client.post(VERIFY, {"receipt": _upload(b"hello, not a pdf", "receipt.pdf")})

    assert response.status_code == 400
    assert "This file is not a PDF." in response.content.decode()


def test_verify_too_big_is_refused_unread(client, settings):
    settings.PORTAL_RECEIPT_VERIFY_MAX_BYTES = 10_000

    response = client.post(VERIFY, {"receipt": _upload(b"%PDF-" + b"0" * 100_000)})

    assert response.status_code == 413
    assert "This file is larger than" in response.content.decode()


def test_verify_file_over_the_limit_within_the_envelope_is_refused_by_the_form(client, settings):
    settings.PORTAL_RECEIPT_VERIFY_MAX_BYTES = 10_000

    response = client.post(VERIFY, {"receipt": _upload(b"%PDF-" + b"0" * 10_500)})

    assert response.status_code == 400
    assert "This file is larger than" in response.content.decode()


def test_verify_post_without_csrf_token_is_refused(version):
    client = Client(enforce_csrf_checks=True)

    response = client.post(VERIFY, {"sha256": version.sha256})

    assert response.status_code == 403


def test_seal_and_check_work_inside_a_running_event_loop(version):
    import asyncio

    async def inside_a_loop():
        data = build_receipt_pdf(snapshot=version.snapshot, sha256=version.sha256)
        return sealing.check_seal(data)

    assert asyncio.run(inside_a_loop()).valid
