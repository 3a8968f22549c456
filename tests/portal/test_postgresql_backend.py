"""The PostgreSQL backend's health check (portal/postgresql/base.py): no round trip on a
healthy connection, a fresh connection once the server has cut the old one."""

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from portal.postgresql.base import connection_looks_open
from tests.faults import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _new_request() -> None:
    """What Django does between two requests on a persistent connection."""
    connection.close_if_unusable_or_obsolete()


def test_postgresql_uses_the_portal_backend():
    assert settings.DATABASES["default"]["ENGINE"] == "portal.postgresql"
    assert connection.health_check_enabled


def test_the_portal_connections_do_not_jit_compile_their_queries():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_the_portal_connections_price_random_reads_as_on_ssd():
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)


def test_a_healthy_connection_is_reused_without_a_select_1(monkeypatch):
    connection.ensure_connection()
    before = connection.connection
    checks: list[bool] = []
    usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(usable()) or checks[-1])
    _new_request()

    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")

    assert connection.connection is before
    assert connection.health_check_done
    assert checks == []  # Django's SELECT 1 did not run


def test_a_connection_the_server_cut_is_replaced_before_the_request_uses_it():
    connection.ensure_connection()
    before = connection.connection
    pid = before.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while connection_looks_open(before) and time.monotonic() < deadline:
        time.sleep(0.01)  # the backend is signalled; its goodbye arrives a moment later
    _new_request()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()

    assert connection.connection is not before
    assert new_pid != pid
