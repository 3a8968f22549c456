"""Django's PostgreSQL backend, checking a persistent connection without a ``SELECT 1``.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` on the persistent connection before each
request's first query: one extra round trip to PostgreSQL per request (an autosave makes three
others). An idle connection that the server has cut (a restart, ``pg_terminate_backend``, an
idle timeout) has something to read on its socket: the server's last error message, or the end
of the stream. So the socket is polled first, without waiting: nothing to read, the connection
is as PostgreSQL left it and is used as is; anything to read, Django's own check runs (its
``SELECT 1`` fails and the connection is replaced before the request uses it).

What polling cannot see, a server that vanished without closing the connection (a host
powered off, a network partition), the ``SELECT 1`` could only see after TCP's timeouts: the
request then fails with a 503 (``portal.views.server_error``) and Django closes the
connection at the end of it (``errors_occurred``), so the next one reconnects.
``tests/faults/test_database_restart.py`` restarts PostgreSQL under load.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled  # type: ignore[attr-defined]  # not in django-stubs
            and not self.health_check_done  # type: ignore[has-type]  # not typed in django-stubs
            and not self.pool
            and connection_looks_open(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def connection_looks_open(connection: psycopg.Connection) -> bool:
    """Whether an idle psycopg connection has nothing waiting on its socket (never blocks)."""
    if connection.closed or connection.broken:
        return False
    pgconn = connection.pgconn
    if pgconn.transaction_status != TransactionStatus.IDLE:
        return False
    poller = select.poll()
    try:
        poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError, psycopg.Error):
        return False
