"""KPI rollup benchmark: prints JSON.

Builds a company (reps in teams of 10 under 4 regions, fiscal years 2025-2026, customers,
deals with some split credit, orders, payments, activities) in a throwaway test database,
in two halves. After each half it times:
- the full rollup (`kpis.rollup.full_recompute`) after the load (first half: into empty
  tables; second half: most cells change), the same rebuild rerun over unchanged facts,
  and the floor: the same totals by one hand-written SQL GROUP BY — every fact joined to
  the day → week table, the week's periods and the org units above it, grouped per
  (source, rep or unit, period) — median of 3, measured in the same run and checked
  against the rollup's cells (`floor_same_totals.check`: cells compared, cells differing).
  PostgreSQL only; `floor_rep_month_s` is the least any rollup must read (rep by month,
  one GROUP BY per fact table), for scale;
- the outbox drain after 1,000 changed facts written through the fact services (deal
  updates with status/amount/date moves, new orders and activities, deletions), so the two
  halves show whether incremental cost depends on the table size;
- the dashboard API of each role (`dashboards/{rep,manager,executive}/`) and the kpis/ API
  (one page of the current month): median latency and queries.

Usage (defaults are sized to finish in a few minutes on 2 cores; the time goes mostly into
writing the ~10 cells per rep, metric and period, and the 1,000 writes through the services):
    DATABASE_URL=postgres://salesgoals:salesgoals@127.0.0.1:5432/salesgoals \
        .venv/bin/python bench/rollup.py
    … --reps 1000 --deals 1000000 --activities 3000000       # the issue's full size
    .venv/bin/python bench/rollup.py                           # SQLite, smaller defaults
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import time
from decimal import Decimal
from typing import Any

from _setup import measure, test_database
from django.conf import settings
from django.core.signals import request_started
from django.db import connection, reset_queries, transaction
from django.utils import timezone

ON_PG = connection.vendor == "postgresql"
FIRST = datetime.date(2025, 1, 1)
LAST = datetime.date(2026, 12, 31)
SPAN = (LAST - FIRST).days


def _load(model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (COPY on PostgreSQL) with explicit ids; unset columns take defaults."""
    if not rows:
        return
    now = timezone.now()
    fields = model._meta.concrete_fields
    columns = [f.column for f in fields]

    def value(f: Any, row: dict[str, Any]) -> Any:
        if f.attname in row:
            return row[f.attname]
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return now
        return f.get_default()  # "" for text columns, None for nullable ones

    table = model._meta.db_table
    with connection.cursor() as cursor:
        if ON_PG:
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([value(f, row) for f in fields])
        else:
            marks = ", ".join(["%s"] * len(columns))
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
            for i in range(0, len(rows), 5000):
                cursor.executemany(sql, [[value(f, r) for f in fields] for r in rows[i : i + 5000]])
    if ON_PG:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )


class Company:
    def __init__(self, reps: int, seed: int = 7) -> None:
        from salesgoals import services
        from salesgoals.models import OrgUnit, Role, User

        self.rng = random.Random(seed)
        company = services.org_unit_create(name="Company", parent=None, kind="company")
        regions = [
            services.org_unit_create(name=f"Region {i}", parent=company, kind="region")
            for i in range(4)
        ]
        n_teams = max(1, reps // 10)
        teams = [
            services.org_unit_create(name=f"Team {i}", parent=regions[i % 4])
            for i in range(n_teams)
        ]
        users = User.objects.bulk_create(
            [
                User(username=f"rep{i}", role=Role.REP, org_unit=teams[i % n_teams])
                for i in range(reps)
            ],
            batch_size=2000,
        )
        self.reps = [(u.pk, u.org_unit_id) for u in users]
        self.by_team: dict[int, list[int]] = {}
        for pk, team in self.reps:
            self.by_team.setdefault(team, []).append(pk)
        self.manager = services.user_create(
            username="manager", role=Role.MANAGER, org_unit=regions[0]
        )
        services.org_unit_set_manager(unit=regions[0], manager=self.manager)
        self.executive = services.user_create(
            username="executive", role=Role.EXECUTIVE, org_unit=company
        )
        self.rep_user = User.objects.get(pk=self.reps[0][0])
        self.units = OrgUnit.objects.count()
        self.next_id = {"customer": 1, "deal": 1, "share": 1, "order": 1, "payment": 1, "act": 1}
        self.customers: list[int] = []

    def day(self) -> datetime.date:
        return FIRST + datetime.timedelta(days=self.rng.randrange(SPAN + 1))

    def take(self, name: str, n: int) -> range:
        start = self.next_id[name]
        self.next_id[name] = start + n
        return range(start, start + n)

    def add(self, deals: int, activities: int) -> dict[str, int]:
        from kpis.models import Activity, Customer, Deal, DealShare, Order, Payment

        rng = self.rng
        # The services in `change()` add rows too: continue after the highest ids.
        for name, model in (
            ("customer", Customer),
            ("deal", Deal),
            ("share", DealShare),
            ("order", Order),
            ("payment", Payment),
            ("act", Activity),
        ):
            self.next_id[name] = (
                model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            ) + 1
        n_customers = max(10, deals // 10)
        rows = []
        for pk in self.take("customer", n_customers):
            owner, unit = rng.choice(self.reps)
            rows.append(
                {"id": pk, "source": "import", "external_id": f"c{pk}", "owner_id": owner,
                 "org_unit_id": unit, "name": f"Customer {pk}", "created_date": self.day()}
            )  # fmt: skip
            self.customers.append(pk)
        _load(Customer, rows)
        rows, shares = [], []
        for pk in self.take("deal", deals):
            owner, unit = rng.choice(self.reps)
            created = self.day()
            close = min(LAST, created + datetime.timedelta(days=rng.randrange(90)))
            status = rng.choices(["won", "lost", "open"], [35, 25, 40])[0]
            amount = rng.randrange(10_000, 10_000_000)
            rows.append(
                {"id": pk, "source": "import", "external_id": f"d{pk}", "owner_id": owner,
                 "org_unit_id": unit, "amount_minor": amount, "original_amount_minor": amount,
                 "name": f"Deal {pk}", "customer_id": rng.choice(self.customers),
                 "status": status, "created_date": created, "close_date": close,
                 "probability": {"won": 100, "lost": 0}.get(status, rng.randrange(10, 90))}
            )  # fmt: skip
            mates = self.by_team[unit]
            if rng.random() < 0.1 and len(mates) > 1:
                other = rng.choice([m for m in mates if m != owner])
                split = [(owner, 5000), (other, 5000)]
            else:
                split = [(owner, 10000)]
            for (user, bp), sid in zip(split, self.take("share", len(split)), strict=True):
                shares.append(
                    {"id": sid, "deal_id": pk, "user_id": user, "org_unit_id": unit,
                     "share_bp": bp, "close_date": close, "created_date": created}
                )  # fmt: skip
        _load(Deal, rows)
        _load(DealShare, shares)
        for model, name, date_field, n in (
            (Order, "order", "order_date", deals // 4),
            (Payment, "payment", "payment_date", deals // 4),
        ):
            rows = []
            for pk in self.take(name, n):
                owner, unit = rng.choice(self.reps)
                amount = rng.randrange(10_000, 5_000_000)
                rows.append(
                    {"id": pk, "source": "import", "external_id": f"{name[0]}{pk}",
                     "owner_id": owner, "org_unit_id": unit, "amount_minor": amount,
                     "original_amount_minor": amount, "customer_id": rng.choice(self.customers),
                     date_field: self.day()}
                )  # fmt: skip
            _load(model, rows)
        rows = []
        for pk in self.take("act", activities):
            owner, unit = rng.choice(self.reps)
            rows.append(
                {"id": pk, "source": "import", "external_id": f"a{pk}", "owner_id": owner,
                 "org_unit_id": unit, "activity_date": self.day(), "subject": "Call"}
            )  # fmt: skip
        _load(Activity, rows)
        if ON_PG:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return {
            "deals": Deal.objects.count(),
            "shares": DealShare.objects.count(),
            "activities": Activity.objects.count(),
            "orders": Order.objects.count(),
            "payments": Payment.objects.count(),
            "customers": Customer.objects.count(),
        }

    def change(self, n: int = 1000) -> None:
        """n fact changes through the services, as pages and CRM sync write them."""
        from kpis import services
        from kpis.models import Activity, Customer, Deal
        from salesgoals.models import User

        rng = self.rng
        users = {u.pk: u for u in User.objects.filter(pk__in=[r for r, _u in self.reps])}
        max_deal = self.next_id["deal"] - 1
        for i in range(n):
            kind = i % 10
            if kind < 4:  # deal: status, amount and close date change
                deal = Deal.objects.select_related("owner", "customer").get(
                    pk=rng.randrange(1, max_deal + 1)
                )
                services.deal_upsert(
                    owner=deal.owner,
                    name=deal.name,
                    amount=Decimal(rng.randrange(10_000, 10_000_000)) / 100,
                    created_date=deal.created_date,
                    close_date=max(deal.created_date, self.day()),
                    status=rng.choice(["won", "lost", "open"]),
                    customer=deal.customer,
                    source=deal.source,
                    external_id=deal.external_id,
                )
            elif kind < 6:
                services.order_upsert(
                    owner=users[rng.choice(self.reps)[0]],
                    order_date=self.day(),
                    amount=Decimal(rng.randrange(100, 50_000)),
                    customer=Customer.objects.get(pk=rng.choice(self.customers)),
                )
            elif kind < 9:
                services.activity_upsert(
                    owner=users[rng.choice(self.reps)[0]], activity_date=self.day(), subject="Visit"
                )
            else:
                act = Activity.objects.get(pk=rng.randrange(1, self.next_id["act"]))
                services.fact_soft_delete(fact=act)


FLOOR_SQL = {
    "postgresql": "date_trunc('month', {d})",
    "sqlite": "strftime('%%Y-%%m', {d})",
}


def floor_rep_month() -> float:
    """The least any rollup must read: one GROUP BY per fact table, rep by month only."""
    month = FLOOR_SQL[connection.vendor]
    queries = [
        "SELECT s.user_id, {m}, SUM(CASE WHEN d.status = 'won' THEN d.amount_minor * s.share_bp "
        "ELSE 0 END), SUM(CASE WHEN d.status = 'won' THEN s.share_bp ELSE 0 END), "
        "SUM(CASE WHEN d.status = 'lost' THEN s.share_bp ELSE 0 END), "
        "SUM(CASE WHEN d.status = 'open' THEN d.amount_minor * s.share_bp ELSE 0 END) "
        "FROM kpis_dealshare s JOIN kpis_deal d ON d.id = s.deal_id "
        "WHERE d.deleted_at IS NULL GROUP BY 1, 2".replace("{m}", month.format(d="d.close_date")),
        "SELECT s.user_id, {m}, SUM(d.amount_minor * s.share_bp) FROM kpis_dealshare s "
        "JOIN kpis_deal d ON d.id = s.deal_id WHERE d.deleted_at IS NULL "
        "GROUP BY 1, 2".replace("{m}", month.format(d="d.created_date")),
    ]
    for table, day in (
        ("kpis_order", "order_date"),
        ("kpis_payment", "payment_date"),
        ("kpis_activity", "activity_date"),
    ):
        queries.append(
            f"SELECT owner_id, {month.format(d=day)}, SUM(1) FROM {table} "
            "WHERE deleted_at IS NULL GROUP BY 1, 2".replace("%%", "%")
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql.replace("%%", "%") if "%%" in sql else sql)
            cursor.fetchall()
    return time.perf_counter() - started


def _won(expr: str, status: str = "won") -> str:
    return f"CASE WHEN d.status = '{status}' THEN {expr} ELSE 0 END"


# Every total the rollup stores, by one statement: each fact (deal credit shares by close and
# by created date, orders, payments, activities, first-won customers, leads) joined to the
# day → week table, the week's period chain (week, month, quarter, year) and the org units
# from its own up to the root, summed per (source, rep, period) and per (source, unit,
# period) as two grouping sets of one GROUP BY (the rep sums count the fact once: the row of
# its own unit). The columns are the sums every metric is made of (`kpis.rollup.SOURCES`);
# retention, which is not a sum, is left out, so the floor is if anything too low.
SAME_TOTALS_SQL = f"""
WITH RECURSIVE chain(week_id, period_id) AS (
    SELECT id, id FROM salesgoals_period WHERE kind = 'week'
    UNION ALL
    SELECT c.week_id, p.parent_id FROM chain c JOIN salesgoals_period p ON p.id = c.period_id
    WHERE p.parent_id IS NOT NULL
),
days AS (
    SELECT d::date AS day, w.id AS week_id FROM salesgoals_period w,
    generate_series(w.start, w."end", interval '1 day') d WHERE w.kind = 'week'
),
day_periods AS MATERIALIZED (
    SELECT days.day, chain.period_id FROM days JOIN chain ON chain.week_id = days.week_id
),
anc AS MATERIALIZED (
    SELECT u.id AS unit_id, a.id AS owner_id, u.id = a.id AS own FROM salesgoals_orgunit u
    JOIN salesgoals_orgunit a ON left(u.path, length(a.path)) = a.path
),
first_won AS (
    SELECT customer_id, MIN(day) AS day FROM (
        SELECT customer_id, close_date AS day FROM kpis_deal
        WHERE status = 'won' AND deleted_at IS NULL AND customer_id IS NOT NULL
        UNION ALL
        SELECT customer_id, order_date FROM kpis_order
        WHERE deleted_at IS NULL AND customer_id IS NOT NULL
    ) e GROUP BY customer_id
),
facts AS (
    SELECT 1 AS src, s.user_id, s.org_unit_id AS unit_id, s.close_date AS day,
        {_won("d.amount_minor * s.share_bp")} AS c0, {_won("s.share_bp")} AS c1,
        {_won("s.share_bp", "lost")} AS c2, {_won("d.amount_minor * s.share_bp", "open")} AS c3,
        {_won("d.amount_minor * s.share_bp * d.probability / 100", "open")} AS c4,
        {_won("s.share_bp", "open")} AS c5, {_won("s.share_bp * d.probability / 100", "open")} AS c6
    FROM kpis_dealshare s JOIN kpis_deal d ON d.id = s.deal_id WHERE d.deleted_at IS NULL
    UNION ALL
    SELECT 2, s.user_id, s.org_unit_id, s.created_date, d.amount_minor * s.share_bp, 0, 0, 0, 0,
        0, 0
    FROM kpis_dealshare s JOIN kpis_deal d ON d.id = s.deal_id WHERE d.deleted_at IS NULL
    UNION ALL
    SELECT 3, owner_id, org_unit_id, order_date, amount_minor * 10000, 0, 0, 0, 0, 0, 0
    FROM kpis_order WHERE deleted_at IS NULL
    UNION ALL
    SELECT 4, owner_id, org_unit_id, payment_date, amount_minor * 10000, 0, 0, 0, 0, 0, 0
    FROM kpis_payment WHERE deleted_at IS NULL
    UNION ALL
    SELECT 5, owner_id, org_unit_id, activity_date, 10000, 0, 0, 0, 0, 0, 0
    FROM kpis_activity WHERE deleted_at IS NULL
    UNION ALL
    SELECT 6, c.owner_id, c.org_unit_id, fw.day, 10000, 0, 0, 0, 0, 0, 0
    FROM kpis_customer c JOIN first_won fw ON fw.customer_id = c.id WHERE c.deleted_at IS NULL
    UNION ALL
    SELECT 7, owner_id, org_unit_id, created_date,
        CASE WHEN status = 'converted' THEN 1 ELSE 0 END, 1, 0, 0, 0, 0, 0
    FROM kpis_lead WHERE deleted_at IS NULL
)
SELECT f.src, f.user_id, a.owner_id, dp.period_id,
    {", ".join(f"SUM(f.c{i}) FILTER (WHERE a.own)" for i in range(7))},
    {", ".join(f"SUM(f.c{i})" for i in range(7))}
FROM facts f
JOIN day_periods dp ON dp.day = f.day
JOIN anc a ON a.unit_id = f.unit_id
GROUP BY GROUPING SETS ((f.src, f.user_id, dp.period_id), (f.src, a.owner_id, dp.period_id))
"""


def floor_same_totals() -> tuple[float, list[tuple]]:
    """The floor of the aim: the same totals as the rollup by one hand-written GROUP BY
    (PostgreSQL); returns the seconds and the rows."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Memory to hash the groups (the rollup has 64 MB: `kpis.rollup._tune`), and no JIT
        # compilation, which costs this one statement a second on misestimated row counts.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(SAME_TOTALS_SQL)
        rows = [
            (src, "rep", user, period, *sums[:7])
            if user is not None
            else (src, "unit", unit, period, *sums[7:])
            for src, user, unit, period, *sums in cursor.fetchall()
        ]
    return time.perf_counter() - started, rows


def floor_matches_rollup(rows: list[tuple]) -> dict[str, int]:
    """Check that the floor computes the rollup's totals: revenue and activities numerators of
    every cell, compared with `KpiValue`. Returns the cells compared and those that differ."""
    from kpis.models import KpiValue

    metric = {"revenue": 1, "activities": 5}  # metric code → source of the floor (its c0)
    floor = {
        (code, t, int(o), int(p)): int(c0)
        for code, src in metric.items()
        for s, t, o, p, c0, *_ in rows
        if s == src and c0
    }
    stored = {
        (code, t, o, p): num
        for code, t, o, p, num in KpiValue.objects.filter(
            metric__code__in=list(metric), numerator__gt=0
        ).values_list("metric__code", "owner_type", "owner_id", "period_id", "numerator")
    }
    differ = sum(1 for key in floor.keys() | stored.keys() if floor.get(key) != stored.get(key))
    return {"cells": len(floor), "differ": differ}


def api_latency(company: Company) -> dict[str, Any]:
    """Median latency and queries per role: the role's dashboard API (`dashboards/<role>/`,
    default period and scope) and one page of `kpis/` for the current month."""
    from rest_framework.test import APIClient

    from salesgoals.models import Period

    today = timezone.localdate()
    month = Period.objects.filter(kind="month", start__lte=today, end__gte=today).first()
    out = {}
    for role, user in (
        ("rep", company.rep_user),
        ("manager", company.manager),
        ("executive", company.executive),
    ):
        client = APIClient()
        client.force_authenticate(user)
        params = {"period": month.pk, "page_size": 50} if month else {"page_size": 50}
        calls = {
            "dashboard": (f"/api/v1/dashboards/{role}/", {}),
            "kpis": ("/api/v1/kpis/", params),
        }
        out[role] = {}
        for name, (url, query) in calls.items():

            def call(client: APIClient = client, url: str = url, query: dict = query) -> None:
                response = client.get(url, query)
                assert response.status_code == 200, (url, response.status_code)

            # The test client empties the query log when a request starts: count without that.
            request_started.disconnect(reset_queries)
            reset_queries()  # with DEBUG on the log is full (it keeps the last 9000)
            try:
                out[role][name] = measure(call, repeat=15)
            finally:
                request_started.connect(reset_queries)
    return out


def run_half(company: Company, deals: int, activities: int) -> dict[str, Any]:
    from kpis import rollup
    from kpis.models import DirtyKey, KpiGrain, KpiValue

    started = time.perf_counter()
    sizes = company.add(deals, activities)
    load_s = time.perf_counter() - started
    DirtyKey.objects.all().delete()
    full = rollup.full_recompute()
    full_s = full["seconds"]
    # The same rebuild again over unchanged facts (a nightly or after-deploy run): it
    # computes everything but writes nothing.
    rerun = rollup.full_recompute()
    rep_month_s = statistics.median(floor_rep_month() for _ in range(3))
    floor_s, same_totals = None, {}
    if ON_PG:
        runs = [floor_same_totals() for _ in range(3)]
        floor_s = statistics.median(s for s, _rows in runs)
        same_totals = {"rows": len(runs[0][1]), "check": floor_matches_rollup(runs[0][1])}
    fact_rows = sizes["shares"] * 2 + sizes["orders"] + sizes["payments"] + sizes["activities"]
    started = time.perf_counter()
    company.change(1000)
    write_s = time.perf_counter() - started
    keys = DirtyKey.objects.count()
    started = time.perf_counter()
    drained = rollup.drain_outbox()
    drain_s = time.perf_counter() - started
    return {
        "sizes": {**sizes, "grains": KpiGrain.objects.count(), "cells": KpiValue.objects.count()},
        "load_s": round(load_s, 2),
        "full_rollup_s": full_s,
        "full_rollup_stats": full,
        "floor_s": round(floor_s, 3) if floor_s else None,
        "floor_same_totals": same_totals,
        "ratio_to_floor": round(full_s / floor_s, 2) if floor_s else None,
        "full_rerun_unchanged_s": rerun["seconds"],
        "full_rerun_stats": rerun,
        "rerun_ratio_to_floor": round(rerun["seconds"] / floor_s, 2) if floor_s else None,
        "floor_rep_month_s": round(rep_month_s, 3),
        "ratio_to_rep_month_floor": round(full_s / rep_month_s, 2),
        "fact_rows_per_s": round(fact_rows / full_s) if full_s else None,
        "incremental": {
            "changed_facts": 1000,
            "write_through_services_s": round(write_s, 2),
            "dirty_keys": keys,
            "drain_s": round(drain_s, 3),
            "drain_stats": drained,
        },
        "api_kpis": api_latency(company),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=300 if ON_PG else 60)
    parser.add_argument("--deals", type=int, default=60_000 if ON_PG else 8_000)
    parser.add_argument("--activities", type=int, default=180_000 if ON_PG else 24_000)
    args = parser.parse_args()
    # The bench drains explicitly (no drain after every commit, as in the embedded mode).
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}
    with test_database():
        from salesgoals.services import fiscal_year_generate

        fiscal_year_generate(year=2025)
        fiscal_year_generate(year=2026)
        company = Company(args.reps)
        halves = [
            run_half(company, args.deals // 2, args.activities // 2),
            run_half(company, args.deals - args.deals // 2, args.activities - args.activities // 2),
        ]
        print(
            json.dumps(
                {
                    "benchmark": "rollup",
                    "database": connection.vendor,
                    "reps": args.reps,
                    "units": company.units,
                    "half_size": halves[0],
                    "full_size": halves[1],
                },
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
