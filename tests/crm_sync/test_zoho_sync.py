"""Zoho: full then incremental sync gives exactly the CRM's deals (counts and sums)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from crm_sync.models import SyncRun, SyncState
from kpis.models import Customer, Deal, Source
from salesgoals import money
from tests.crm_sync.conftest import run_now, zoho_connection

pytestmark = pytest.mark.django_db


def _crm_totals(fake) -> tuple[int, int]:
    deals = fake.alive("Deals")
    return len(deals), sum(money.to_minor(Decimal(str(d["Amount"]))) for d in deals)


def _local_totals() -> tuple[int, int]:
    alive = Deal.objects.alive().filter(source=Source.ZOHO)
    return alive.count(), alive.aggregate(s=Sum("original_amount_minor"))["s"] or 0


def _seed(fake, n: int) -> tuple[str, str]:
    a = fake.add_user("Rep A", "r@example.com")
    b = fake.add_user("Rep B", "rb@example.com")
    account = fake.put("Accounts", {"Account_Name": "Acme", "Owner": fake.owner(a),
                                    "Created_Time": "2026-01-05T09:00:00+08:00"})  # fmt: skip
    for i in range(n):
        fake.add_deal(a if i % 2 else b, Decimal(f"{1000 + i}.25"),
                      Account_Name={"id": account, "name": "Acme"})  # fmt: skip
    return a, b


def test_full_then_incremental_sync_matches_the_crm(org, zoho, sleeps) -> None:
    # Given 2,050 deals: more than the 2,000 reachable without page_token
    a, b = _seed(zoho, 2050)
    connection = zoho_connection(zoho)

    # When the first (full) sync runs
    run = run_now(connection, sleeps)

    # Then every deal is here, with the CRM's amounts, and page_token paging was used
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _local_totals() == _crm_totals(zoho)
    assert run.created == 2050 + 1  # deals + the account
    assert Customer.objects.filter(source=Source.ZOHO).count() == 1
    assert Deal.objects.filter(customer__isnull=False).count() == 2050
    assert sum(1 for m, p in zoho.requests if p == "/crm/v8/Deals") == 11
    connection.refresh_from_db()
    assert connection.api_domain == zoho.url  # the token response's api_domain is the API base

    # Given updates (amount, owner, stage), a new deal and deletions in the CRM
    ids = list(zoho.records["Deals"])
    zoho.update("Deals", ids[0], Amount=Decimal("99.99"))
    zoho.update("Deals", ids[1], Owner=zoho.owner(a if ids[1] and False else b))
    zoho.update("Deals", ids[2], Owner=zoho.owner(a), Stage="Closed Won")
    zoho.delete("Deals", ids[3])
    zoho.delete("Deals", ids[4])
    new_id = zoho.add_deal(a, Decimal("5000.00"))
    requests_before = len(zoho.requests)

    # When the next (incremental) sync runs
    run = run_now(connection, sleeps)

    # Then the local data is exactly the CRM's again, and only the changes were read
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _local_totals() == _crm_totals(zoho)
    assert run.deleted == 2
    assert run.created == 1
    assert run.fetched < 50
    assert len(zoho.requests) - requests_before < 20
    won = Deal.objects.get(source=Source.ZOHO, external_id=ids[2])
    assert (won.status, won.owner, won.probability) == (Deal.Status.WON, org.rep, 40)
    assert Deal.objects.get(external_id=ids[0]).amount_minor == 9999
    assert Deal.objects.get(external_id=ids[3]).deleted_at is not None
    assert Deal.objects.get(external_id=new_id).deleted_at is None
    state = SyncState.objects.get(connection=connection, crm_object="Deals", phase="records")
    assert state.cursor == {}
    assert state.watermark


def test_no_changes_is_a_quiet_run(org, zoho, sleeps) -> None:
    _seed(zoho, 3)
    connection = zoho_connection(zoho)
    run_now(connection, sleeps)
    run = run_now(connection, sleeps)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.created, run.updated, run.deleted, run.failed) == (0, 0, 0, 0)
