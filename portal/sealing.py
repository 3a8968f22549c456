"""The portal's electronic seal: PAdES signatures on the PDFs it issues, and their check.

``seal_pdf(data, reason=...)`` signs a PDF (PAdES baseline B, SHA-256, pyHanko) with the
sealing certificate and key named by the ``PORTAL_SEALING_CERT`` and ``PORTAL_SEALING_KEY``
settings (PEM; the key's passphrase in ``PORTAL_SEALING_KEY_PASSPHRASE``). When they are
missing the PDF is returned unsigned and an error is logged: a submission must never fail
because of the seal (the receipt's SHA-256 can still be checked on the verification page),
and ``manage.py check`` warns about it (``portal.W002``).

``check_seal(data)`` reads a PDF's first signature and says, with pyHanko's validation API,
whether it is intact (the signed bytes are unchanged), covers the whole file (nothing was
appended after signing) and was made with the portal's own sealing certificate (the
certificate is the only trust anchor: a valid signature by anyone else is not the portal's).

``write_self_signed(...)`` makes the throwaway certificate of the demo and the tests
(``manage.py generate_sealing_certificate``).
"""

import asyncio
import io
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core import checks
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

logger = logging.getLogger(__name__)

SIGNATURE_FIELD = "PortalSeal"

T = TypeVar("T")


def _outside_event_loop(function: Callable[[], T]) -> T:
    """Run ``function`` here, or in a helper thread when this thread runs an event loop:
    pyHanko's synchronous API calls ``asyncio.run``, which a running loop forbids (an ASGI
    server, a Playwright test)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


class NotAPdf(ValueError):
    """The bytes given to :func:`check_seal` are not a readable PDF."""


def sealing_configured() -> bool:
    return (
        Path(settings.PORTAL_SEALING_CERT).is_file() and Path(settings.PORTAL_SEALING_KEY).is_file()
    )


@cache
def _signer(cert: str, key: str, passphrase: str) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load(key, cert, key_passphrase=passphrase.encode() or None)
    if signer is None:
        raise ValueError(f"Cannot load the sealing key {key} with the certificate {cert}")
    return signer


def _portal_signer() -> signers.SimpleSigner:
    return _signer(
        str(settings.PORTAL_SEALING_CERT),
        str(settings.PORTAL_SEALING_KEY),
        settings.PORTAL_SEALING_KEY_PASSPHRASE,
    )


def seal_pdf(data: bytes, *, reason: str) -> bytes:
    """``data`` signed with the portal's seal (``data`` unchanged, and an error logged, when
    no sealing certificate is installed)."""
    if not sealing_configured():
        logger.error(
            "No sealing certificate at %s: the PDF is not signed", settings.PORTAL_SEALING_CERT
        )
        return data
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        name=settings.PORTAL_NAME,
    )
    signer = _portal_signer()
    return _outside_event_loop(lambda: signers.sign_pdf(writer, metadata, signer=signer).getvalue())


@dataclass(frozen=True)
class SealCheck:
    """What :func:`check_seal` found. ``valid`` is the one verdict shown to people."""

    signed: bool
    intact: bool = False  # the signed bytes are those the signer signed
    whole_file: bool = False  # no change was appended after the signature
    by_portal: bool = False  # made with the portal's sealing certificate
    signer: str = ""
    signed_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.whole_file and self.by_portal


def _portal_certificate() -> asn1_x509.Certificate | None:
    path = Path(settings.PORTAL_SEALING_CERT)
    if not path.is_file():
        return None
    loaded = x509.load_pem_x509_certificate(path.read_bytes())
    return asn1_x509.Certificate.load(loaded.public_bytes(serialization.Encoding.DER))


def check_seal(data: bytes) -> SealCheck:
    """Check the first signature of the PDF ``data``; raise :class:`NotAPdf` if unreadable."""
    if not data.startswith(b"%PDF-"):
        raise NotAPdf("not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as error:
        raise NotAPdf(str(error)) from error
    if not signatures:
        return SealCheck(signed=False)
    portal = _portal_certificate()
    context = ValidationContext(
        trust_roots=[portal] if portal is not None else [], allow_fetching=False
    )
    try:
        status = _outside_event_loop(lambda: validate_pdf_signature(signatures[0], context))
    except (PdfError, ValueError, KeyError, TypeError) as error:
        logger.info("Unreadable signature in an uploaded PDF: %s", error)
        return SealCheck(signed=True)
    signing_cert = status.signing_cert
    return SealCheck(
        signed=True,
        intact=bool(status.intact and status.valid),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        by_portal=bool(
            status.trusted and portal is not None and signing_cert.sha256 == portal.sha256
        ),
        signer=signing_cert.subject.human_friendly if signing_cert is not None else "",
        signed_at=status.signer_reported_dt,
    )


def write_self_signed(*, cert_path: Path, key_path: Path, passphrase: str, days: int) -> None:
    """A throwaway self-signed sealing certificate (ECDSA P-256) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{settings.PORTAL_NAME} (self-signed seal)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.PORTAL_NAME),
        ]
    )
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _signer.cache_clear()


@checks.register(checks.Tags.security)
def check_sealing_certificate(**kwargs: object) -> list[checks.CheckMessage]:
    if sealing_configured():
        return []
    return [
        checks.Warning(
            f"No sealing certificate at {settings.PORTAL_SEALING_CERT} (or no key at "
            f"{settings.PORTAL_SEALING_KEY}): submission receipts will not be signed.",
            hint="Install the organisation's seal there, or run "
            "`manage.py generate_sealing_certificate` for a throwaway self-signed one.",
            id="portal.W002",
        )
    ]
