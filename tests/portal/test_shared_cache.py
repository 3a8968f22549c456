"""The cache is shared between processes (settings.cache_settings): login throttling counts the
failures of every gunicorn worker together."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from portal.cache import FallbackRedisCache
from portal.settings import cache_settings
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_cache_is_redis_when_a_url_is_set():
    config = cache_settings("redis://cache.internal:6379/1")["default"]

    assert config["BACKEND"] == "portal.cache.FallbackRedisCache"  # Redis, the database if down
    assert config["LOCATION"] == "redis://cache.internal:6379/1"


def test_redis_cache_keeps_one_client_per_connection_pool():
    cache = FallbackRedisCache("redis://127.0.0.1:1/0", {"KEY_PREFIX": "portal"})

    first, second = cache._cache.get_client(), cache._cache.get_client(write=True)

    assert first is second  # one server: one pool, one client (no connection is made here)
    assert first.connection_pool is cache._cache._get_connection_pool(write=False)


def test_cache_is_the_database_by_default(settings):
    assert cache_settings(None)["default"]["BACKEND"] == (
        "django.core.cache.backends.db.DatabaseCache"
    )
    # What the tests run on, as `make run` does: never a per-process memory cache.
    assert settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"


def _fail_login(client, email: str) -> None:
    client.post(reverse("account_login"), {"login": email, "password": "wrong"})


def _second_process_cache() -> None:
    """A new cache client, as another gunicorn worker holds: nothing kept in this one's memory."""
    caches["default"] = caches.create_connection("default")


@pytest.fixture
def _clean_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.mark.usefixtures("_clean_cache")
def test_failed_logins_on_two_cache_clients_are_counted_together(client):
    UserFactory(username="target@univ-fictive.fr")
    for _ in range(3):
        _fail_login(client, "target@univ-fictive.fr")
    _second_process_cache()
    for _ in range(2):
        _fail_login(client, "target@univ-fictive.fr")
    _second_process_cache()

    response = client.post(
        reverse("account_login"), {"login": "target@univ-fictive.fr", "password": PASSWORD}
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.usefixtures("_clean_cache")
def test_a_second_cache_client_reads_what_the_first_wrote():
    first = caches.create_connection("default")
    second = caches.create_connection("default")

    first.set("portal-shared-probe", 3)

    assert first is not second
    assert second.get("portal-shared-probe") == 3


def test_redis_cache_is_shared_between_two_clients(redis_url, settings):
    settings.CACHES = cache_settings(redis_url)
    first = caches.create_connection("default")
    second = caches.create_connection("default")

    first.set("portal-shared-probe", 5)

    assert second.get("portal-shared-probe") == 5
