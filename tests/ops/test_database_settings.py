"""Database session settings the production configuration relies on (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import need_service

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_postgresql_sessions_run_without_jit() -> None:
    # Short OLTP queries: a scope's `OR EXISTS (…)` is costed past jit_above_cost, and the
    # JIT then compiled for ~1 s to run a 100 ms deal list (bench/load.py).
    need_service("PostgreSQL", connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
