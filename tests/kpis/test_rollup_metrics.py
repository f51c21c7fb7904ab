"""Metrics beyond the ten built-ins: admin filter metrics and the lead variant of conversion;
and what a drain costs in queries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from kpis import rollup, services
from kpis.models import DirtyKey, KpiGrain, KpiValue
from salesgoals.models import Metric
from tests.core.org_fixtures import Org
from tests.kpis.rollup_fixtures import (
    TODAY,
    _no_drain_on_commit,  # noqa: F401 (autouse fixture)
    cell,
    drain_then_full,
    org_fixture,  # noqa: F401 (fixture)
    period,
)

pytestmark = pytest.mark.django_db

MAR = datetime.date(2026, 3, 10)
MAY = datetime.date(2026, 5, 12)


def admin_metric(code: str, fact: str, unit: str, filters: Any, **kw: Any) -> Metric:
    return Metric.objects.create(
        code=code,
        name=code,
        unit=unit,
        aggregation=kw.pop("aggregation", Metric.Aggregation.SUM),
        fact=fact,
        date_field=kw.pop("date_field", ""),
        filters=filters,
        **kw,
    )


def assert_incremental_equals_full() -> None:
    (inc_values, inc_grains), (full_values, full_grains) = drain_then_full()
    assert inc_values == full_values
    assert inc_grains == full_grains


def test_admin_metric_counts_only_the_facts_its_filters_select(org: Org):
    # given: "visits" = activities of kind visit
    admin_metric("visits", Metric.Fact.ACTIVITY, Metric.Unit.COUNT, {"kind": "visit"})
    for kind in ("visit", "visit", "call", "meeting"):
        services.activity_upsert(owner=org.rep, activity_date=MAR, subject="S", kind=kind)
    services.activity_upsert(owner=org.rep_c, activity_date=MAR, subject="S", kind="visit")
    # when
    assert_incremental_equals_full()
    # then: 2 visits for Rep A, 3 for the company; the built-in metric still counts all
    march = period("month", MAR)
    assert cell("visits", "rep", org.rep.pk, march).actual == 2
    assert cell("visits", "unit", org.north.pk, march).actual == 2
    assert cell("visits", "unit", org.company.pk, march).actual == 3
    assert cell("activities", "rep", org.rep.pk, march).actual == 4


def test_admin_deal_metric_follows_credit_shares_and_its_date(org: Org):
    # given: won renewals, by creation date, one split 70/30 with Rep B
    admin_metric(
        "renewals_created",
        Metric.Fact.DEAL,
        Metric.Unit.CURRENCY,
        {"stage": "Renewal", "status": "won"},
        date_field="created_date",
    )
    args = {"name": "D", "created_date": MAR, "close_date": MAY, "status": "won"}
    services.deal_upsert(owner=org.rep, amount=Decimal("100.00"), stage="Renewal", **args)
    services.deal_upsert(
        owner=org.rep,
        amount=Decimal("200.00"),
        stage="Renewal",
        shares=[(org.rep, 7000), (org.rep_b, 3000)],
        **args,
    )
    services.deal_upsert(owner=org.rep, amount=Decimal("999.00"), stage="New", **args)
    # when
    assert_incremental_equals_full()
    # then: in March (created), not May (closed); 100 + 70% of 200 for Rep A
    march = period("month", MAR)
    assert cell("renewals_created", "rep", org.rep.pk, march).actual == 100_00 + 140_00
    assert cell("renewals_created", "rep", org.rep_b.pk, march).actual == 60_00
    assert cell("renewals_created", "unit", org.north.pk, march).actual == 300_00
    assert cell("renewals_created", "rep", org.rep.pk, period("month", MAY)) is None


def test_admin_metric_follows_fact_edits_in_the_drain(org: Org):
    admin_metric("visits", Metric.Fact.ACTIVITY, Metric.Unit.COUNT, {"kind": "visit"})
    act = services.activity_upsert(owner=org.rep, activity_date=MAR, subject="S", kind="visit")
    rollup.drain_outbox(today=TODAY)
    assert cell("visits", "rep", org.rep.pk, period("month", MAR)).actual == 1
    # when: the visit becomes a call
    services.activity_upsert(
        owner=org.rep,
        activity_date=MAR,
        subject="S",
        kind="call",
        source=act.source,
        external_id=act.external_id,
    )
    assert_incremental_equals_full()
    # then
    assert cell("visits", "rep", org.rep.pk, period("month", MAR)) is None


@pytest.mark.parametrize(
    ("fact", "unit", "filters", "extra"),
    [
        (Metric.Fact.ACTIVITY, Metric.Unit.COUNT, {"no_such_field": 1}, {}),
        (Metric.Fact.ACTIVITY, Metric.Unit.CURRENCY, {}, {}),  # activities have no amount
        (Metric.Fact.ORDER, Metric.Unit.COUNT, {}, {"date_field": "first_won_date"}),
        (Metric.Fact.ACTIVITY, Metric.Unit.COUNT, ["kind"], {}),
    ],
)
def test_admin_metric_that_cannot_be_computed_is_skipped(
    org: Org, fact: str, unit: str, filters: Any, extra: dict
):
    admin_metric("odd", fact, unit, filters, **extra)
    services.activity_upsert(owner=org.rep, activity_date=MAR, subject="S")
    services.order_upsert(owner=org.rep, order_date=MAR, amount=Decimal("5.00"))
    stats = rollup.full_recompute(today=TODAY)
    assert stats["metrics_skipped"] == ["odd"]
    assert not KpiValue.objects.filter(metric__code="odd").exists()
    assert KpiValue.objects.filter(metric__code="activities").exists()
    assert_incremental_equals_full()


def test_inactive_and_ratio_admin_metrics_are_not_rolled_up(org: Org):
    admin_metric("off", Metric.Fact.ACTIVITY, Metric.Unit.COUNT, {}, is_active=False)
    admin_metric(
        "ratio", Metric.Fact.ACTIVITY, Metric.Unit.COUNT, {}, aggregation=Metric.Aggregation.RATIO
    )
    services.activity_upsert(owner=org.rep, activity_date=MAR, subject="S")
    assert_incremental_equals_full()
    assert not KpiValue.objects.filter(metric__code__in=["off", "ratio"]).exists()


def lead_metric() -> Metric:
    """The lead variant of conversion (DOMAIN.md), seeded with the catalog."""
    return Metric.objects.get(code=rollup.LEAD_CONVERSION, is_system=True)


def test_lead_conversion_is_converted_over_created_leads_up_the_tree(org: Org):
    # given: Rep A created 4 leads in March (1 converted, in April), Rep B 1 (converted)
    lead_metric()
    for i in range(4):
        services.lead_upsert(
            owner=org.rep,
            name=f"L{i}",
            created_date=MAR,
            status="converted" if i == 0 else "open",
            converted_date=datetime.date(2026, 4, 2) if i == 0 else None,
        )
    services.lead_upsert(
        owner=org.rep_b, name="B", created_date=MAR, status="converted", converted_date=MAR
    )
    # when
    assert_incremental_equals_full()
    # then: 1 ÷ 4 = 25% for Rep A; North 2 ÷ 5 = 40%, not the average of 25% and 100%
    march = period("month", MAR)
    rep_a = cell(rollup.LEAD_CONVERSION, "rep", org.rep.pk, march)
    assert (rep_a.numerator, rep_a.denominator, rep_a.actual) == (1, 4, 2500)
    assert cell(rollup.LEAD_CONVERSION, "unit", org.north.pk, march).actual == 4000
    assert cell(rollup.LEAD_CONVERSION, "rep", org.rep.pk, period("month", MAY)) is None


def test_lead_conversion_follows_a_conversion_and_a_delete(org: Org):
    lead_metric()
    lead = services.lead_upsert(owner=org.rep, name="L", created_date=MAR)
    services.lead_upsert(owner=org.rep, name="M", created_date=MAR)
    rollup.drain_outbox(today=TODAY)
    services.lead_upsert(
        owner=org.rep,
        name="L",
        created_date=MAR,
        status="converted",
        converted_date=MAY,
        source=lead.source,
        external_id=lead.external_id,
    )
    assert_incremental_equals_full()
    assert cell(rollup.LEAD_CONVERSION, "rep", org.rep.pk, period("month", MAR)).actual == 5000
    services.fact_soft_delete(fact=lead)
    assert_incremental_equals_full()
    assert cell(rollup.LEAD_CONVERSION, "rep", org.rep.pk, period("month", MAR)).actual == 0


def test_without_the_lead_metric_leads_roll_up_nothing(org: Org):
    Metric.objects.filter(code=rollup.LEAD_CONVERSION).delete()
    services.lead_upsert(owner=org.rep, name="L", created_date=MAR)
    assert_incremental_equals_full()
    assert not KpiGrain.objects.exists()


@pytest.mark.parametrize("facts", [3, 30])
def test_drain_query_count_does_not_grow_with_the_changes(
    org: Org, facts: int, django_assert_max_num_queries: Any
):
    # given: a rolled-up history, then changes of every kind of fact
    for i in range(facts):
        services.activity_upsert(
            owner=org.rep, activity_date=MAR + datetime.timedelta(days=i), subject="S"
        )
    rollup.full_recompute(today=TODAY)
    DirtyKey.objects.all().delete()
    for i in range(facts):
        day = MAR + datetime.timedelta(days=i)
        rep = (org.rep, org.rep_b, org.rep_c)[i % 3]
        services.deal_upsert(
            owner=rep, name="D", amount=Decimal("10.00"), created_date=day, close_date=day
        )
        services.order_upsert(owner=rep, order_date=day, amount=Decimal("1.00"))
        services.activity_upsert(owner=rep, activity_date=day, subject="S")
    # when / then: one batch costs a fixed number of queries, whatever it holds
    with django_assert_max_num_queries(100):
        stats = rollup.drain_outbox(today=TODAY)
    assert stats["batches"] == 1
    assert stats["keys"] >= 3 * facts


def test_drain_changes_retention_by_the_customers_whose_buying_changed(org: Org):
    # given: a customer who bought from Rep A in March, rolled up
    buyer = services.customer_upsert(owner=org.rep, name="C", created_date=MAR)
    services.order_upsert(owner=org.rep, order_date=MAR, amount=Decimal("1.00"), customer=buyer)
    other = services.customer_upsert(owner=org.rep, name="D", created_date=MAR)
    services.order_upsert(owner=org.rep, order_date=MAR, amount=Decimal("1.00"), customer=other)
    rollup.drain_outbox(today=TODAY)
    april = period("month", datetime.date(2026, 4, 14))

    def retention(owner_type: str, owner_id: int) -> tuple[int, int] | None:
        v = cell("retention_rate", owner_type, owner_id, april)
        return None if v is None else (v.numerator, v.denominator)

    assert retention("rep", org.rep.pk) == (0, 2)
    # when: the customer buys again in April (March unchanged), twice
    day = datetime.date(2026, 4, 14)
    again = services.order_upsert(
        owner=org.rep, order_date=day, amount=Decimal("2.00"), customer=buyer
    )
    services.order_upsert(owner=org.rep, order_date=day, amount=Decimal("3.00"), customer=buyer)
    assert_incremental_equals_full()
    # then: retained, once, for the rep and every unit above
    assert retention("rep", org.rep.pk) == (1, 2)
    assert retention("unit", org.company.pk) == (1, 2)
    # when: one April order goes (the customer still bought in April), then the March one
    # moves to Rep C in the South
    services.fact_soft_delete(fact=again)
    assert_incremental_equals_full()
    assert retention("rep", org.rep.pk) == (1, 2)
    march_order = buyer.orders.filter(order_date=MAR).get()
    services.order_upsert(
        owner=org.rep_c,
        order_date=MAR,
        amount=Decimal("1.00"),
        customer=buyer,
        source=march_order.source,
        external_id=march_order.external_id,
    )
    assert_incremental_equals_full()
    # then: Rep A lost a March buyer; the company kept it (both orders are inside it)
    assert retention("rep", org.rep.pk) == (0, 1)
    assert retention("unit", org.north.pk) == (0, 1)
    assert retention("unit", org.company.pk) == (1, 2)
