"""Fxiaoke: full then incremental sync gives exactly the CRM's deals, past the 10,000 offset cap."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from crm_sync.models import SyncRun
from kpis.models import Customer, Deal, Payment, Source
from salesgoals import money
from tests.crm_sync.conftest import fx_connection, run_now

pytestmark = pytest.mark.django_db


def _crm_totals(fake) -> tuple[int, int]:
    deals = fake.alive("NewOpportunityObj")
    return len(deals), sum(money.to_minor(Decimal(d["amount"])) for d in deals)


def _local_totals() -> tuple[int, int]:
    alive = Deal.objects.alive().filter(source=Source.FXIAOKE)
    return alive.count(), alive.aggregate(s=Sum("original_amount_minor"))["s"] or 0


def test_full_then_incremental_sync_past_the_offset_cap(org, fxiaoke, sleeps) -> None:
    # Given 10,050 opportunities (more than offset paging reaches), an account and a payment
    a = fxiaoke.add_user("Rep A", "r@example.com")
    b = fxiaoke.add_user("Rep B", "rb@example.com")
    account = fxiaoke.put(
        "AccountObj", {"name": "华东贸易", "owner": [a], "create_time": 1767571200000}
    )
    for i in range(10_050):
        fxiaoke.add_deal(a if i % 3 else b, f"{100 + i}.10", account_id=account)
    fxiaoke.put("PaymentObj", {"name": "20261117-000023", "payment_amount": "1234.56",
                               "payment_time": 1763337600000, "account_id": account,
                               "owner": [b]})  # fmt: skip
    connection = fx_connection(fxiaoke)

    # When the first sync runs
    run = run_now(connection, sleeps)

    # Then every record is here with exact amounts; paging switched to _id past 10,000
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _local_totals() == _crm_totals(fxiaoke)
    assert run.total == 10_050 + 2
    payment = Payment.objects.get(source=Source.FXIAOKE)
    assert (payment.amount_minor, payment.owner, payment.customer.name) == (
        123456, org.rep_b, "华东贸易",
    )  # fmt: skip
    assert Customer.objects.filter(source=Source.FXIAOKE).count() == 1

    # Given updates, an owner change, a won deal and a voided (作废) one
    ids = sorted(fxiaoke.records["NewOpportunityObj"])
    fxiaoke.update("NewOpportunityObj", ids[0], amount="1.05")
    fxiaoke.update("NewOpportunityObj", ids[1], owner=[b])
    fxiaoke.update("NewOpportunityObj", ids[2], sales_status="won")
    fxiaoke.invalidate("NewOpportunityObj", ids[3])
    new = fxiaoke.add_deal(b, "777.70")
    queries_before = fxiaoke.counts["api"]

    # When the incremental sync runs
    run = run_now(connection, sleeps)

    # Then the local data equals the CRM's again, reading only what changed
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert _local_totals() == _crm_totals(fxiaoke)
    assert (run.created, run.updated, run.deleted) == (1, 3, 1)
    assert fxiaoke.counts["api"] - queries_before < 30
    assert Deal.objects.get(external_id=ids[0]).amount_minor == 105
    assert Deal.objects.get(external_id=ids[1]).owner == org.rep_b
    assert Deal.objects.get(external_id=ids[2]).status == Deal.Status.WON
    assert Deal.objects.get(external_id=ids[3]).deleted_at is not None
    assert Deal.objects.get(external_id=new).amount_minor == 77770


def test_epoch_milliseconds_and_string_numbers_are_exact(org, fxiaoke, sleeps) -> None:
    a = fxiaoke.add_user("Rep A", "r@example.com")
    # 2026-11-16 23:30 in Shanghai is 15:30 UTC: the fact's date is the local one
    rid = fxiaoke.add_deal(a, "0.10", close_date=1763307000000 + 8 * 3600 * 1000 - 1800 * 1000,
                           create_time=1763307000000)  # fmt: skip
    run_now(fx_connection(fxiaoke), sleeps)
    deal = Deal.objects.get(external_id=rid)
    assert deal.amount_minor == 10
    assert str(deal.close_date) == "2025-11-17"


def test_a_full_sync_deletes_what_the_crm_no_longer_lists(org, fxiaoke, sleeps) -> None:
    a = fxiaoke.add_user("Rep A", "r@example.com")
    ids = [fxiaoke.add_deal(a, f"{i}.00") for i in range(1, 6)]
    connection = fx_connection(fxiaoke)
    run_now(connection, sleeps)
    fxiaoke.invalidate("NewOpportunityObj", ids[0])
    fxiaoke.delete("NewOpportunityObj", ids[0])  # voided, then deleted before we saw it
    fxiaoke.delete("NewOpportunityObj", ids[1])

    incremental = run_now(connection, sleeps)
    assert incremental.deleted == 0  # an incremental sync cannot see hard deletions

    full = run_now(connection, sleeps, full=True)
    assert full.status == SyncRun.Status.SUCCEEDED, full.error
    assert full.deleted == 2
    assert _local_totals() == _crm_totals(fxiaoke)


def test_a_full_sync_never_empties_the_facts_when_the_crm_lists_nothing(
    org, fxiaoke, sleeps
) -> None:
    a = fxiaoke.add_user("Rep A", "r@example.com")
    ids = [fxiaoke.add_deal(a, f"{i}.00") for i in range(1, 4)]
    connection = fx_connection(fxiaoke)
    run_now(connection, sleeps)
    for rid in ids:
        fxiaoke.delete("NewOpportunityObj", rid)  # e.g. the run-as user lost access
    full = run_now(connection, sleeps, full=True)
    assert full.deleted == 0
    assert full.status == SyncRun.Status.PARTIAL
    assert Deal.objects.alive().count() == 3
