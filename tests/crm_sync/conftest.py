"""Fixtures of the CRM sync tests: the core org, the two fake CRMs and connections to them.

Page sizes stay at the CRMs' real maxima (the 2,000 and 10,000 limits are exercised as they
are); backoff is zero and sleeping is recorded instead of waited, so no test ever sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest

from crm_sync import services
from crm_sync.models import Connection, Provider, SyncRun
from tests.core.org_fixtures import Org, build_org
from tests.fakes.fxiaoke import FakeFxiaoke
from tests.fakes.zoho import FakeZoho

ZOHO_SECRETS = {"client_secret": "zoho-client-secret", "refresh_token": "1000.refresh.token"}
FX_SECRETS = {"app_secret": "fx-app-secret", "permanent_code": "FX-PERMANENT"}


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def _fast_crm(settings: Any) -> None:
    settings.CRM_SYNC = {
        **settings.CRM_SYNC,
        "BACKOFF_SECONDS": 0.0,
        "OVERLAP_SECONDS": 1,
        "LOCK_SECONDS": 60,
        "FXIAOKE_MIN_INTERVAL": 0.0,
    }
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    return build_org()


@pytest.fixture
def zoho() -> Any:
    with FakeZoho() as fake:
        yield fake


@pytest.fixture
def fxiaoke() -> Any:
    with FakeFxiaoke() as fake:
        yield fake


def zoho_connection(fake: FakeZoho, **kw: Any) -> Connection:
    return services.connection_create(
        provider=Provider.ZOHO,
        name=kw.pop("name", "Zoho"),
        region="cn",
        accounts_url=fake.url,
        client_id=fake.client_id,
        secrets=kw.pop("secrets", ZOHO_SECRETS),
        enabled=True,
        **kw,
    )


def fx_connection(fake: FakeFxiaoke, **kw: Any) -> Connection:
    return services.connection_create(
        provider=Provider.FXIAOKE,
        name=kw.pop("name", "Fxiaoke"),
        region="fxiaoke",
        api_url=fake.url,
        client_id=fake.app_id,
        run_as_user="FSUID_ADMIN",
        secrets=kw.pop("secrets", FX_SECRETS),
        enabled=True,
        **kw,
    )


def run_now(connection: Connection, sleeps: Any = None, full: bool = False) -> SyncRun:
    """Queue and execute a run in this process (what the task does)."""
    run = SyncRun.objects.create(connection=connection, trigger=SyncRun.Trigger.MANUAL, full=full)
    return services.run_sync(
        run_id=run.pk, sleep=sleeps if sleeps is not None else (lambda s: None)
    )
