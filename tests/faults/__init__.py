"""Faults the portal must survive (issue 10): Redis, a killed worker, SMTP, PostgreSQL."""

import pytest
from django.db import connection

# Tests that need PostgreSQL run in the PostgreSQL pass of `make test`
# (scripts/test_postgres.sh, in CI and with PORTAL_TEST_POSTGRES=1).
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: runs in the PostgreSQL pass of `make test` (scripts/test_postgres.sh)",
)
