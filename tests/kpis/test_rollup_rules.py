"""Rollup rules: ratios and retention up the trees, team moves, targets, pace and drain cost."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from kpis import rollup, services
from kpis.models import DirtyKey, KpiValue
from salesgoals import workdays
from salesgoals.models import Metric, User
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

FEB = datetime.date(2026, 2, 10)
MAR = datetime.date(2026, 3, 10)
MAY = datetime.date(2026, 5, 12)


def deal(owner: User, day: datetime.date, status: str, amount: str = "100.00", **kw: Any):
    return services.deal_upsert(
        owner=owner,
        name="Deal",
        amount=Decimal(amount),
        created_date=kw.pop("created_date", day - datetime.timedelta(days=20)),
        close_date=day,
        status=status,
        **kw,
    )


def assert_incremental_equals_full() -> None:
    (inc_values, inc_grains), (full_values, full_grains) = drain_then_full()
    assert inc_values == full_values
    assert inc_grains == full_grains


def test_conversion_is_sum_of_numerators_over_sum_of_denominators_up_the_org_tree(org: Org):
    # given: Rep A wins 1 of 1, Rep B wins 1 of 3 (both in North), in March
    deal(org.rep, MAR, "won")
    deal(org.rep_b, MAR, "won")
    deal(org.rep_b, MAR, "lost")
    deal(org.rep_b, MAR, "lost")
    # when
    assert_incremental_equals_full()
    # then: North is 2 ÷ 4 = 50%, not the average of 100% and 33.33%
    march = period("month", MAR)
    assert cell("conversion_rate", "rep", org.rep.pk, march).actual == 10000
    assert cell("conversion_rate", "rep", org.rep_b.pk, march).actual == 3333
    north = cell("conversion_rate", "unit", org.north.pk, march)
    assert (north.numerator, north.denominator, north.actual) == (20000, 40000, 5000)


def test_ratios_aggregate_up_the_period_tree(org: Org):
    # given: Rep A wins one deal in February and loses three in March (Q1)
    deal(org.rep, FEB, "won", amount="300.00")
    for _ in range(3):
        deal(org.rep, MAR, "lost")
    deal(org.rep, MAR, "won", amount="100.00")
    assert_incremental_equals_full()
    # then: Q1 conversion 2 ÷ 5, average deal size (300 + 100) ÷ 2
    q1 = period("quarter", FEB)
    conversion = cell("conversion_rate", "rep", org.rep.pk, q1)
    assert (conversion.numerator, conversion.denominator, conversion.actual) == (
        20000,
        50000,
        4000,
    )
    assert cell("conversion_rate", "rep", org.rep.pk, period("month", MAR)).actual == 2500
    assert cell("avg_deal_size", "rep", org.rep.pk, q1).actual == 20000  # 200.00 in minor units
    assert cell("avg_deal_size", "unit", org.company.pk, q1).actual == 20000


def test_retention_is_recomputed_per_scope_not_summed(org: Org):
    # given: one customer buys from Rep A in Q1 and from Rep B in Q2 (both in North)
    customer = services.customer_upsert(owner=org.rep, name="Shop", created_date=FEB)
    services.order_upsert(owner=org.rep, order_date=FEB, amount=Decimal("10"), customer=customer)
    services.order_upsert(owner=org.rep_b, order_date=MAY, amount=Decimal("10"), customer=customer)
    assert_incremental_equals_full()
    q2 = period("quarter", MAY)
    # then: North kept the customer (1 ÷ 1); Rep A lost it (0 ÷ 1); Rep B had nobody before
    north = cell("retention_rate", "unit", org.north.pk, q2)
    assert (north.numerator, north.denominator, north.actual) == (1, 1, 10000)
    rep_a = cell("retention_rate", "rep", org.rep.pk, q2)
    assert (rep_a.numerator, rep_a.denominator, rep_a.actual) == (0, 1, 0)
    assert cell("retention_rate", "rep", org.rep_b.pk, q2) is None
    # and new_customers counts the customer once, in February, for its owner
    assert cell("new_customers", "rep", org.rep.pk, period("month", FEB)).actual == 1
    assert cell("new_customers", "unit", org.company.pk, period("year", FEB)).actual == 1


def test_rep_moving_team_mid_year_keeps_past_credit_with_the_old_team(org: Org):
    # given: Rep A wins in February in Team A, then moves to Team C and wins in May
    deal(org.rep, FEB, "won", amount="100.00")
    User.objects.filter(pk=org.rep.pk).update(org_unit=org.team_c)
    moved = User.objects.get(pk=org.rep.pk)
    deal(moved, MAY, "won", amount="50.00")
    assert_incremental_equals_full()
    year = period("year", FEB)
    # then: the rep has both, each team keeps what happened while the rep was in it
    assert cell("revenue", "rep", org.rep.pk, year).actual == 15000
    assert cell("revenue", "unit", org.team_a.pk, year).actual == 10000
    assert cell("revenue", "unit", org.team_c.pk, year).actual == 5000
    assert cell("revenue", "unit", org.north.pk, year).actual == 10000
    assert cell("revenue", "unit", org.south.pk, year).actual == 5000
    assert cell("revenue", "unit", org.company.pk, year).actual == 15000


def test_shared_deal_credits_each_rep_by_share_exactly(org: Org):
    # given: a 0.01 deal split 1/3 : 2/3 between Rep A (Team A) and Rep C (Team C)
    deal(org.rep, MAR, "won", amount="0.01", shares=[(org.rep, 3333), (org.rep_c, 6667)])
    assert_incremental_equals_full()
    march = period("month", MAR)
    a = cell("revenue", "rep", org.rep.pk, march)
    c = cell("revenue", "rep", org.rep_c.pk, march)
    # then: numerators are exact (minor units · bp) and add up to the company's exactly
    assert (a.numerator, c.numerator) == (3333, 6667)
    assert cell("revenue", "unit", org.company.pk, march).numerator == 10000
    won_a = cell("deals_won", "rep", org.rep.pk, march)
    assert (won_a.numerator, won_a.actual) == (3333, 0)


def _may_weeks() -> list:
    month = period("month", MAY)
    return sorted(month.children.all(), key=lambda p: p.start)


def test_targets_give_attainment_expected_pace_status_and_required_rate(org: Org, settings):
    # given: a May revenue target of 10,000.00 for Rep A, weighted to the end of the month
    revenue = Metric.objects.get(code="revenue")
    month = period("month", MAY)
    weeks = _may_weeks()
    weights = list(range(len(weeks)))  # 0, 1, 2, … : a back-loaded seasonal split
    total = 1_000_000
    week_values = [total * w // sum(weights) for w in weights]
    week_values[-1] += total - sum(week_values)
    rows = [("rep", org.rep.pk, month.pk, total)]
    rows += [("rep", org.rep.pk, w.pk, v) for w, v in zip(weeks, week_values, strict=True)]
    deal(org.rep, MAY, "won", amount="2100.00")
    rollup.drain_outbox(today=TODAY)
    # when
    services.targets_store(metric=revenue, rows=rows, source_ref="plan:1", today=TODAY)
    # then: expected-to-date = finished weeks' targets + the current week by working days
    expected = 0
    for week, value in zip(weeks, week_values, strict=True):
        if week.end < TODAY:
            expected += value
        elif week.start <= TODAY:
            done = workdays.working_days_between(week.start, TODAY - datetime.timedelta(days=1))
            expected += rollup._rdiv(value * done, week.working_days)
    v = cell("revenue", "rep", org.rep.pk, month)
    left = workdays.working_days_between(TODAY, month.end)
    assert v.target == total
    assert v.attainment_bp == 2100
    assert v.expected_to_date == expected
    assert v.pace_bp == rollup._rdiv(210_000 * 10000, expected)
    assert v.required_rate == -(-(total - 210_000) // left)
    assert v.status == KpiValue.Status.BEHIND
    # and the bands come from settings
    settings.SALESGOALS = {**settings.SALESGOALS, "PACE_BANDS": {"on_track": 100, "at_risk": 50}}
    rollup.refresh_derived(period_ids=[month.pk], today=TODAY)
    assert cell("revenue", "rep", org.rep.pk, month).status == KpiValue.Status.ON_TRACK
    # and the full recompute agrees with the incremental path
    assert_incremental_equals_full()


def test_expected_to_date_without_child_targets_is_linear_in_working_days(org: Org):
    revenue = Metric.objects.get(code="revenue")
    month = period("month", MAY)
    services.targets_store(
        metric=revenue, rows=[("unit", org.north.pk, month.pk, 300_000)], today=TODAY
    )
    v = cell("revenue", "unit", org.north.pk, month)
    done = workdays.working_days_between(month.start, TODAY - datetime.timedelta(days=1))
    # then: a zero-actual cell exists, expected follows the working days elapsed
    assert (v.actual, v.target, v.attainment_bp) == (0, 300_000, 0)
    assert v.expected_to_date == rollup._rdiv(300_000 * done, month.working_days)
    assert v.status == KpiValue.Status.BEHIND


def test_targets_clear_removes_target_only_cells(org: Org):
    revenue = Metric.objects.get(code="revenue")
    month = period("month", MAY)
    services.targets_store(
        metric=revenue, rows=[("rep", org.rep.pk, month.pk, 5)], source_ref="plan:9"
    )
    assert cell("revenue", "rep", org.rep.pk, month) is not None
    services.targets_clear(source_ref="plan:9")
    assert cell("revenue", "rep", org.rep.pk, month) is None


def test_target_cell_survives_when_its_facts_are_deleted(org: Org):
    revenue = Metric.objects.get(code="revenue")
    month = period("month", MAY)
    won = deal(org.rep, MAY, "won")
    services.targets_store(
        metric=revenue, rows=[("rep", org.rep.pk, month.pk, 50_000)], today=TODAY
    )
    services.fact_soft_delete(fact=won)
    assert_incremental_equals_full()
    v = cell("revenue", "rep", org.rep.pk, month)
    assert (v.numerator, v.actual, v.target, v.attainment_bp) == (0, 0, 50_000, 0)


@pytest.mark.parametrize("history", [5, 40])
def test_drain_cost_follows_the_changes_not_the_table(org: Org, history: int):
    # given: a history of activities of every rep, rolled up in full
    for i in range(history):
        for rep in (org.rep, org.rep_b, org.rep_c):
            services.activity_upsert(
                owner=rep,
                activity_date=datetime.date(2026, 1, 5) + datetime.timedelta(days=7 * (i % 50)),
                subject="Visit",
            )
    DirtyKey.objects.all().delete()
    rollup.full_recompute(today=TODAY)
    # when: one more activity is logged and the outbox drained
    services.activity_upsert(owner=org.rep, activity_date=MAY, subject="Call")
    stats = rollup.drain_outbox(today=TODAY)
    # then: only the rep's and its 3 units' (Team A, North, company) 4 period cells change
    assert stats["keys"] == 1
    assert stats["grains"] == 1
    assert stats["recomputed"] == stats["cells"] == 4 * (1 + 3)


def test_saving_a_cell_that_went_meanwhile_writes_it_again(org: Org):
    deal(org.rep, MAR, "won")
    rollup.drain_outbox(today=TODAY)
    key = (
        Metric.objects.get(code="revenue").pk,
        "rep",
        org.rep.pk,
        period("month", MAR).pk,
    )
    loaded = rollup._load_cells({key})[key]
    KpiValue.objects.filter(pk=loaded.pk).delete()  # e.g. a full rollup in between
    loaded.numerator += 100
    rollup._save_cells([loaded])
    saved = KpiValue.objects.get(metric_id=key[0], owner_type="rep", owner_id=org.rep.pk,
                                 period_id=key[3])  # fmt: skip
    assert saved.numerator == loaded.numerator
