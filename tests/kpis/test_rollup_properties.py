"""Incremental rollup = full rollup = an independent pandas computation from the raw facts.

Hypothesis writes random sequences of facts through the fact services (which record the dirty
keys of the old and the new state, as in production): creates, updates, owner and date
moves, credit-share changes, status changes, soft deletes and reps moving teams, draining the
outbox at random points. After a last drain the KPI table must equal a full recompute, and
both must equal what pandas computes from the facts.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis import rollup, services
from kpis.models import (
    Activity,
    Customer,
    Deal,
    DealShare,
    KpiValue,
    Lead,
    Order,
    Payment,
)
from salesgoals.models import Metric, OrgUnit, Period, User
from tests.core.org_fixtures import Org
from tests.kpis.rollup_fixtures import (
    TODAY,
    _no_drain_on_commit,  # noqa: F401 (autouse fixture)
    grain_table,
    org_fixture,  # noqa: F401 (fixture)
    values_table,
)

START = datetime.date(2026, 1, 1)
SCALE = rollup.SCALE

days = st.integers(min_value=0, max_value=364).map(lambda n: START + datetime.timedelta(days=n))
amounts = st.integers(min_value=0, max_value=500_000)  # minor units
rep_index = st.integers(min_value=0, max_value=2)
pick = st.integers(min_value=0, max_value=50)

ops = st.one_of(
    st.tuples(st.just("customer"), rep_index, days),
    st.tuples(
        st.just("deal"),
        rep_index,
        amounts,
        st.sampled_from(["open", "won", "lost"]),
        days,
        st.integers(min_value=0, max_value=60),
        pick,
        st.integers(min_value=0, max_value=100),
    ),
    st.tuples(st.just("split"), pick, rep_index, st.integers(min_value=1, max_value=9999)),
    st.tuples(st.just("redate"), pick, days),
    st.tuples(st.just("reown"), pick, rep_index),
    st.tuples(st.just("status"), pick, st.sampled_from(["won", "lost"])),
    st.tuples(st.just("order"), rep_index, amounts, days, pick),
    st.tuples(st.just("payment"), rep_index, amounts, days),
    st.tuples(st.just("activity"), rep_index, days, st.sampled_from(["call", "visit"])),
    st.tuples(st.just("lead"), rep_index, days, st.integers(min_value=0, max_value=30), pick),
    st.tuples(st.just("convert"), pick, st.integers(min_value=0, max_value=30)),
    st.tuples(
        st.just("delete"), st.sampled_from(["deal", "order", "activity", "customer", "lead"]), pick
    ),
    st.tuples(st.just("move"), rep_index, st.integers(min_value=0, max_value=2)),
    st.tuples(st.just("drain")),
)


class World:
    """The facts written so far, so that later operations can change them."""

    def __init__(self, org: Org) -> None:
        self.reps = [org.rep, org.rep_b, org.rep_c]
        self.teams = [org.team_a, org.team_b, org.team_c]
        self.customers: list[Customer] = []
        self.deals: list[Deal] = []
        self.orders: list[Order] = []
        self.activities: list[Activity] = []
        self.leads: list[Lead] = []
        self.n = 0

    def ext(self) -> str:
        self.n += 1
        return f"h{self.n}"

    def rep(self, i: int) -> User:
        return User.objects.get(pk=self.reps[i].pk)

    def customer(self, i: int) -> Customer | None:
        if not self.customers or i % 3 == 0:
            return None
        return self.customers[i % len(self.customers)]

    def deal(self, i: int) -> Deal | None:
        if not self.deals:
            return None
        deal = self.deals[i % len(self.deals)]
        deal.refresh_from_db()
        return None if deal.deleted_at else deal

    def redo_deal(self, deal: Deal, **changes: Any) -> None:
        args = {
            "owner": deal.owner,
            "name": deal.name,
            "amount": Decimal(deal.amount_minor) / 100,
            "created_date": deal.created_date,
            "close_date": deal.close_date,
            "status": deal.status,
            "probability": deal.probability,
            "customer": deal.customer,
            "source": deal.source,
            "external_id": deal.external_id,
        }
        args.update(changes)
        services.deal_upsert(**args)

    def apply(self, op: tuple) -> None:
        kind = op[0]
        if kind == "customer":
            _k, r, day = op
            self.customers.append(
                services.customer_upsert(owner=self.rep(r), name="C", created_date=day)
            )
        elif kind == "deal":
            _k, r, amount, status, close, lag, c, prob = op
            created = max(START, close - datetime.timedelta(days=lag))
            self.deals.append(
                services.deal_upsert(
                    owner=self.rep(r),
                    name="D",
                    amount=Decimal(amount) / 100,
                    created_date=created,
                    close_date=close,
                    status=status,
                    probability=prob if status == "open" else None,
                    customer=self.customer(c),
                    source="import",
                    external_id=self.ext(),
                )
            )
        elif kind == "split" and (deal := self.deal(op[1])):
            other = self.rep(op[2])
            if other.pk == deal.owner_id:
                self.redo_deal(deal, shares=[(deal.owner, 10000)])
            else:
                self.redo_deal(deal, shares=[(deal.owner, op[3]), (other, 10000 - op[3])])
        elif kind == "redate" and (deal := self.deal(op[1])):
            created = min(deal.created_date, op[2])
            self.redo_deal(deal, close_date=op[2], created_date=created)
        elif kind == "reown" and (deal := self.deal(op[1])):
            owner = self.rep(op[2])
            self.redo_deal(deal, owner=owner, shares=[(owner, 10000)])
        elif kind == "status" and (deal := self.deal(op[1])):
            self.redo_deal(deal, status=op[2], probability=None)
        elif kind == "order":
            _k, r, amount, day, c = op
            self.orders.append(
                services.order_upsert(
                    owner=self.rep(r),
                    order_date=day,
                    amount=Decimal(amount) / 100,
                    customer=self.customer(c + 1),
                )
            )
        elif kind == "payment":
            _k, r, amount, day = op
            services.payment_upsert(
                owner=self.rep(r), payment_date=day, amount=Decimal(amount) / 100
            )
        elif kind == "activity":
            _k, r, day, activity_kind = op
            self.activities.append(
                services.activity_upsert(
                    owner=self.rep(r), activity_date=day, subject="Call", kind=activity_kind
                )
            )
        elif kind == "lead":
            _k, r, day, lag, c = op
            converted = day + datetime.timedelta(days=lag) if c % 2 else None
            self.leads.append(
                services.lead_upsert(
                    owner=self.rep(r),
                    name="L",
                    created_date=day,
                    status="converted" if converted else "open",
                    converted_date=converted,
                )
            )
        elif kind == "convert" and self.leads:
            lead = self.leads[op[1] % len(self.leads)]
            lead.refresh_from_db()
            services.lead_upsert(
                owner=lead.owner,
                name=lead.name,
                created_date=lead.created_date,
                status="converted",
                converted_date=lead.created_date + datetime.timedelta(days=op[2]),
                source=lead.source,
                external_id=lead.external_id,
            )
        elif kind == "delete":
            _k, what, i = op
            pool = {
                "deal": self.deals,
                "order": self.orders,
                "activity": self.activities,
                "customer": self.customers,
                "lead": self.leads,
            }[what]
            if pool:
                fact = pool[i % len(pool)]
                fact.refresh_from_db()
                services.fact_soft_delete(fact=fact)
        elif kind == "move":
            _k, r, t = op
            User.objects.filter(pk=self.reps[r].pk).update(org_unit=self.teams[t])
        elif kind == "drain":
            rollup.drain_outbox(today=TODAY, batch_size=7)


def add_metrics() -> None:
    """An admin filter metric beside the built-ins (the lead variant of conversion is one)."""
    Metric.objects.create(
        code="visits",
        name="Visits",
        unit=Metric.Unit.COUNT,
        aggregation=Metric.Aggregation.SUM,
        fact=Metric.Fact.ACTIVITY,
        date_field="activity_date",
        filters={"kind": "visit"},
    )


# --- the independent computation -------------------------------------------------------------


def _frame(queryset: Any, fields: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(queryset.values_list(*fields)), columns=fields)


def expected_cells() -> dict[tuple, tuple[int, int, int, int]]:
    """(metric id, owner type, owner id, period id) → (num, den, open, weighted), by pandas."""
    metric = dict(Metric.objects.values_list("code", "id"))
    periods = _frame(Period.objects.all(), ["id", "kind", "start", "end"])
    units = _frame(OrgUnit.objects.all(), ["id", "path"])
    anc = pd.DataFrame(
        [
            (u.id, a.id)
            for u in units.itertuples()
            for a in units.itertuples()
            if u.path.startswith(a.path)
        ],
        columns=["unit", "anc"],
    )
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def credit(df: pd.DataFrame, day: str, code: str, cols: dict[int, str]) -> None:
        """Add df's columns (by position num/den/open/w) to rep and ancestor-unit cells."""
        if df.empty:
            return
        x = df.merge(periods, how="cross")
        x = x[(x[day] >= x["start"]) & (x[day] <= x["end"])]
        sums = x.groupby(["user", "id"])[list(cols.values())].sum()
        for (user, pid), row in sums.iterrows():
            for pos, col in cols.items():
                out[(metric[code], "rep", int(user), int(pid))][pos] += int(row[col])
        x = x.merge(anc, on="unit")
        sums = x.groupby(["anc", "id"])[list(cols.values())].sum()
        for (unit, pid), row in sums.iterrows():
            for pos, col in cols.items():
                out[(metric[code], "unit", int(unit), int(pid))][pos] += int(row[col])

    shares = _frame(
        DealShare.objects.filter(deal__deleted_at__isnull=True),
        [
            "user_id",
            "org_unit_id",
            "share_bp",
            "deal__amount_minor",
            "deal__status",
            "deal__probability",
            "deal__close_date",
            "deal__created_date",
        ],
    )
    shares.columns = ["user", "unit", "bp", "amount", "status", "prob", "close", "created"]
    won = shares[shares.status == "won"].assign(amt=lambda f: f.amount * f.bp, one=lambda f: f.bp)
    opened = shares[shares.status == "open"].assign(
        amt=lambda f: f.amount * f.bp,
        amt_w=lambda f: (f.amount * f.bp * f.prob) // 100,
        one=lambda f: f.bp,
        one_w=lambda f: (f.bp * f.prob) // 100,
    )
    closed = shares[shares.status.isin(["won", "lost"])].assign(
        won=lambda f: f.bp.where(f.status == "won", 0), all=lambda f: f.bp
    )
    credit(won, "close", "revenue", {0: "amt"})
    credit(opened, "close", "revenue", {2: "amt", 3: "amt_w"})
    credit(won, "close", "deals_won", {0: "one"})
    credit(opened, "close", "deals_won", {2: "one", 3: "one_w"})
    credit(closed, "close", "conversion_rate", {0: "won", 1: "all"})
    credit(won.assign(den=won.bp), "close", "avg_deal_size", {0: "amt", 1: "den"})
    credit(shares.assign(amt=shares.amount * shares.bp), "created", "pipeline_created", {0: "amt"})

    def simple(model: Any, day_field: str, code: str, count: bool = False) -> None:
        fields = ["owner_id", "org_unit_id", day_field] + ([] if count else ["amount_minor"])
        df = _frame(model.objects.filter(deleted_at__isnull=True), fields)
        df.columns = ["user", "unit", "day", *([] if count else ["amount"])]
        df["v"] = SCALE if count else df.get("amount", 0) * SCALE
        credit(df, "day", code, {0: "v"})

    simple(Order, "order_date", "orders")
    simple(Payment, "payment_date", "payments")
    simple(Activity, "activity_date", "activities", count=True)

    # The admin metric "visits" (activities of kind visit) and the lead conversion rate.
    visits = _frame(
        Activity.objects.filter(deleted_at__isnull=True, kind="visit"),
        ["owner_id", "org_unit_id", "activity_date"],
    )
    visits.columns = ["user", "unit", "day"]
    credit(visits.assign(v=SCALE), "day", "visits", {0: "v"})
    leads = _frame(
        Lead.objects.filter(deleted_at__isnull=True),
        ["owner_id", "org_unit_id", "created_date", "status"],
    )
    leads.columns = ["user", "unit", "day", "status"]
    leads = leads.assign(won=(leads.status == "converted").astype(int), all=1)
    credit(leads, "day", rollup.LEAD_CONVERSION, {0: "won", 1: "all"})

    # new_customers: live customers by their first live won deal or order.
    deals = _frame(
        Deal.objects.filter(deleted_at__isnull=True, status="won", customer__isnull=False),
        ["customer_id", "close_date"],
    ).rename(columns={"close_date": "day"})
    orders = _frame(
        Order.objects.filter(deleted_at__isnull=True, customer__isnull=False),
        ["customer_id", "order_date", "owner_id", "org_unit_id"],
    )
    firsts = (
        pd.concat(
            [deals, orders[["customer_id", "order_date"]].rename(columns={"order_date": "day"})]
        )
        .groupby("customer_id")["day"]
        .min()
        .rename("day")
        .reset_index()
    )
    customers = _frame(
        Customer.objects.filter(deleted_at__isnull=True), ["id", "owner_id", "org_unit_id"]
    ).rename(columns={"id": "customer_id", "owner_id": "user", "org_unit_id": "unit"})
    newc = customers.merge(firsts, on="customer_id").assign(v=SCALE)
    credit(newc[["user", "unit", "day", "v"]], "day", "new_customers", {0: "v"})

    # retention: per scope and period, from the previous period of the same kind.
    orders = orders.rename(columns={"owner_id": "user", "org_unit_id": "unit"})
    by_kind = periods.sort_values(["kind", "start"]).groupby("kind")
    for _kind, group in by_kind:
        rows = list(group.itertuples())
        for prev, cur in itertools.pairwise(rows):
            before = orders[(orders.order_date >= prev.start) & (orders.order_date <= prev.end)]
            now = orders[(orders.order_date >= cur.start) & (orders.order_date <= cur.end)]
            scopes: dict[tuple[str, int], tuple[set, set]] = defaultdict(lambda: (set(), set()))
            for frame, slot in ((before, 0), (now, 1)):
                for o in frame.itertuples():
                    scopes[("rep", o.user)][slot].add(o.customer_id)
                    for a in anc[anc.unit == o.unit].anc:
                        scopes[("unit", int(a))][slot].add(o.customer_id)
            for (owner_type, owner_id), (b, n) in scopes.items():
                if b:
                    key = (metric["retention_rate"], owner_type, int(owner_id), int(cur.id))
                    out[key][0] += len(b & n)
                    out[key][1] += len(b)
    return {k: tuple(v) for k, v in out.items() if any(v)}


def actual_cells() -> dict[tuple, tuple[int, int, int, int]]:
    rows = KpiValue.objects.values_list(
        "metric_id",
        "owner_type",
        "owner_id",
        "period_id",
        "numerator",
        "denominator",
        "open_pipeline",
        "weighted_pipeline",
    )
    return {tuple(r[:4]): tuple(r[4:]) for r in rows}


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(ops, min_size=1, max_size=14))
def test_incremental_equals_full_equals_pandas(org: Org, steps: list[tuple]) -> None:
    with transaction.atomic():
        add_metrics()
        world = World(org)
        for step in steps:
            world.apply(step)
        rollup.drain_outbox(today=TODAY)
        incremental = values_table(), grain_table()
        assert actual_cells() == expected_cells()
        rollup.full_recompute(today=TODAY)
        assert (values_table(), grain_table()) == incremental
        transaction.set_rollback(True)  # the next example starts from the bare org again
