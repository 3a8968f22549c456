import pytest

from tests.factories import PASSWORD


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


@pytest.fixture
def password() -> str:
    return PASSWORD


from tests.celery_worker import celery_worker_process, redis_url  # noqa: E402, F401 - fixtures
