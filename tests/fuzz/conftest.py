"""The fuzzing world: the demo company, built once per test run and rolled back at the end.

`salesgoals.demo.seed_all` (every app's demo: org tree, fiscal years, facts and KPI cells,
target plans with revisions, action plans, reports, feedback, courses, statements, CRM
connections) on a smaller org and a thinner fact history, so ids in fuzzed URLs hit real
objects of every kind. It is built once per test process inside a transaction that is never
committed; every fuzz test runs in its own savepoint on top of it (pytest-django's `db`), so
the writes one operation makes are gone before the next operation is fuzzed.
"""

from __future__ import annotations

import socket

import pytest
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import TestCase
from django.utils import timezone

ROLES = ("admin", "executive", "manager", "rep")

# Two regions of two teams (the demo has ten teams): every kind of object, in a quarter of
# the time. The codes are the ones the app demos look for.
REGIONS = [
    ("华东区", "east", [("上海一组", "sh-1"), ("杭州组", "hz")]),
    ("华南区", "south", [("广州组", "gz"), ("深圳组", "sz")]),
]


@pytest.fixture(scope="package")
def fuzz_world(django_db_setup, django_db_blocker):
    """API tokens per role, over the demo company with a lighter fact history."""
    from rest_framework.authtoken.models import Token

    import kpis.demo
    from crm_sync.models import Connection
    from salesgoals import demo

    # "Test connection" and "Sync now" reach a closed loopback port, never a real CRM: the
    # port is bound but not listening, so connections are refused at once.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    crm_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    # Django closes a connection left inside a transaction at the end of each request; the
    # world lives in exactly such a transaction (the test client's handler does the same).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(demo, "REGIONS", REGIONS)
                patch.setattr(kpis.demo, "DEALS_PER_MONTH", 1.0)
                patch.setattr(kpis.demo, "ACTIVITIES_PER_MONTH", 2.0)
                patch.setattr(kpis.demo, "LEADS_PER_MONTH", 1.0)
                with TestCase.captureOnCommitCallbacks(execute=True):
                    ctx = demo.seed_all(today=timezone.localdate())
            Connection.objects.update(accounts_url=crm_url, api_url=crm_url)
            yield {
                role: Token.objects.get_or_create(user=ctx.logins[role])[0].key for role in ROLES
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
            closed.close()
