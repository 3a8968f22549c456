import os

import pytest
from hypothesis import settings as hypothesis_settings

from tests.factories import PASSWORD

# Property-based tests reproduce: in CI (and with HYPOTHESIS_PROFILE=ci) the examples are
# derived from each test's name, so a failure there fails the same way on any machine;
# locally examples vary from run to run and a failure prints the blob to replay it
# (``@reproduce_failure``). No deadline: the database makes timings noisy on 2 shared cores.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads and receipts of a test go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_and_fast_hashing(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Links in e-mails point at the test client's host, as they would at the portal's.
    settings.PORTAL_SITE_URL = "http://testserver"


@pytest.fixture(scope="session")
def sealing_pair(tmp_path_factory) -> tuple:
    """One throwaway self-signed sealing certificate and key for the whole run."""
    from portal.sealing import write_self_signed

    folder = tmp_path_factory.mktemp("sealing")
    cert, key = folder / "cert.pem", folder / "key.pem"
    write_self_signed(cert_path=cert, key_path=key, passphrase="test-passphrase", days=30)
    return cert, key


@pytest.fixture(autouse=True)
def _sealing_certificate(settings, sealing_pair):
    """Receipts are signed in the tests as in production, with a throwaway seal."""
    settings.PORTAL_SEALING_CERT, settings.PORTAL_SEALING_KEY = sealing_pair
    settings.PORTAL_SEALING_KEY_PASSPHRASE = "test-passphrase"


@pytest.fixture
def password() -> str:
    return PASSWORD


from tests.celery_worker import celery_worker_process, redis_url  # noqa: E402, F401 - fixtures
