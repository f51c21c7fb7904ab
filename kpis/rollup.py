"""The KPI rollup: facts → `KpiGrain` → `KpiValue` cells for every rep, unit and period.

Units and scales (exact integers everywhere)
    `SCALE` = 10000. Deal credit follows `DealShare.share_bp` (basis points, Σ = 10000 per
    deal), so a rep's share of a deal is amount · share_bp / 10000. To keep sums exact, the
    numerator of every *additive* metric is stored in 1/10000 of its base unit:
    currency metrics in minor units · 10000 (revenue: Σ amount_minor · share_bp), counts in
    count · 10000 (deals_won: Σ share_bp, so a deal split 50/50 is 0.5 for each rep;
    activities and new customers: 10000 each). `actual` is that rounded half away from zero
    to the base unit (minor units / whole count); attainment and pace use the exact numerator.
    Ratios keep numerator and denominator and are recomputed as Σ num ÷ Σ den at every level:
    conversion_rate (won bp ÷ won+lost bp) and retention_rate (customer counts) have `actual`
    in basis points; avg_deal_size (revenue scale ÷ deals-won scale) has `actual` in minor
    units. `open_pipeline` / `weighted_pipeline` (open deals closing in the period, plain and
    · probability) are in the numerator scale of revenue (amount) and deals_won (count).

Credit
    Deal metrics (revenue, deals_won, conversion_rate, avg_deal_size by close date;
    pipeline_created by created date) follow the credit shares, each with the share's org
    unit as of close. Orders, payments and activities credit their owner and the fact's
    unit. new_customers credits the customer's owner and unit, on the date of the customer's
    first live won deal or order (as `kpis.selectors.customer_first_won_dates`; live
    customers only). retention_rate per scope and period: customers with a live order in the
    previous period of the same kind and in this one ÷ customers with one in the previous
    (scope: the rep's own orders, or orders whose unit lies in the unit's subtree).
    A unit's cells aggregate every fact whose (historic) unit lies in its subtree, so moving
    a rep never moves history. Facts dated outside every generated fiscal year are not
    rolled up; generate the year, then `full_recompute(fiscal_year=...)`.

More metrics
    Admin metrics (`Metric.is_system` false, active, aggregation sum) are filters over the
    same facts: the sum of amounts (unit currency) or the count of one fact kind, placed by
    `Metric.date_field` (default: the fact's own date, as the drill-down), restricted by
    `Metric.filters` — Django lookups on the fact, the definition `kpis.selectors.facts`
    applies when drilling down; deal metrics follow the credit shares and may use the close
    or created date. A metric that cannot be computed (unknown field, no amount, ratio
    aggregation) is skipped and named in the full rollup's stats. Filters through related
    rows (`customer__industry`) follow a change of the fact, not of the related row: the
    next full rollup picks those up. `lead_conversion_rate` (leads created in the period
    that are converted ÷ leads created, a ratio; DOMAIN.md's lead variant) is in the catalog.

Full and incremental
    `full_recompute` computes the grains with one GROUP BY per fact source (facts joined to
    a day→week table) into a temporary table, the rep cells (grains · the week's 4 periods),
    the unit cells (grains per unit · org ancestors · periods) and retention (one pass over
    the orders, then each period against the previous one) into another, with `actual` and
    the forecast of cells without a target computed in SQL; Python derives only cells with
    a target. Both are then merged (`_merge`): only rows that differ are deleted, updated
    or inserted, so a rerun over unchanged facts writes nothing.
    `drain_outbox` takes dirty keys (fact, rep, unit, day), recomputes only the grains of
    those (rep, unit, week) triples from the facts — deal credit through the copies of the
    deal's dates on `DealShare`, indexed with the rep — and adds the differences to the
    rep's and the ancestor units' cells of the 4 periods containing the week. Retention
    keeps `KpiBuyer` (which customer bought from which rep, unit and week; rebuilt by the
    full rollup): the drain refreshes the rows of the order keys and changes the retention
    cells of the periods (and the next ones) where a customer's presence flipped, by the
    customers whose buying changed (`_buyers_update`). Both derive target,
    attainment, pace … with the same rules (`derive`, and its SQL twin for forecasts), so
    the tables are identical (property-tested against pandas).
    Runs are serialised by a PostgreSQL advisory lock (SQLite has one writer anyway) and
    keys are claimed with DELETE … RETURNING (plus FOR UPDATE SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import gc
import itertools
import operator
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import FieldError, ValidationError
from django.db import connection, transaction
from django.db.models import DateField, Q
from django.utils import timezone

from salesgoals import workdays
from salesgoals.models import Metric, OrgUnit, Period

from .models import KpiGrain, KpiTarget, KpiValue, OwnerType

__all__ = [
    "SCALE",
    "CellKey",
    "drain_outbox",
    "full_recompute",
    "pace_bands",
    "refresh_derived",
    "refresh_due",
]

SCALE = 10000
LEAD_CONVERSION = "lead_conversion_rate"
_LOCK_ID = 0x6B706973  # "kpis": one rollup writer at a time
_BATCH = 2000

CellKey = tuple[int, str, int, int]  # (metric_id, owner_type, owner_id, period_id)

# --- metric definitions ------------------------------------------------------------------

_RATE = "rate"  # actual in basis points
_AVG = "avg"  # actual = num ÷ den in the base unit
_SUM = "sum"

_KIND = {
    "revenue": _SUM,
    "orders": _SUM,
    "payments": _SUM,
    "deals_won": _SUM,
    "new_customers": _SUM,
    "activities": _SUM,
    "pipeline_created": _SUM,
    "conversion_rate": _RATE,
    "retention_rate": _RATE,
    "avg_deal_size": _AVG,
    LEAD_CONVERSION: _RATE,  # the lead variant of conversion (DOMAIN.md)
}
_PIPELINE = {"revenue", "deals_won"}
RETENTION = "retention_rate"


def _kind(code: str) -> str:
    return _KIND.get(code, _SUM)  # admin filter metrics are sums


@dataclass(frozen=True)
class _Source:
    """One scan of a fact table. Columns are SQL sums; metrics pick (num, den, open, w)."""

    name: str
    first: str  # first table of FROM (alias), joined to the keys in incremental mode
    joins: str  # further joins
    user: str
    unit: str
    day: str
    where: str
    columns: tuple[str, ...]
    metrics: tuple[tuple[str, str, str, str, str], ...]  # code, num, den, open, w (SQL on c#)
    params: tuple[Any, ...] = ()  # of `where` (an admin metric's filters)


def _won(expr: str) -> str:
    return f"SUM(CASE WHEN d.status = 'won' THEN {expr} ELSE 0 END)"


def _status_sum(status: str, expr: str) -> str:
    return f"SUM(CASE WHEN d.status = '{status}' THEN {expr} ELSE 0 END)"


_SHARES = "kpis_dealshare s"
_SHARE_JOIN = "JOIN kpis_deal d ON d.id = s.deal_id"

_FIRST_WON = """(
    SELECT ev.customer_id AS cid, MIN(ev.day) AS first_day FROM (
        SELECT d.customer_id, d.close_date AS day FROM kpis_deal d
        WHERE d.status = 'won' AND d.deleted_at IS NULL AND d.customer_id IS NOT NULL
        UNION ALL
        SELECT o.customer_id, o.order_date AS day FROM kpis_order o
        WHERE o.deleted_at IS NULL AND o.customer_id IS NOT NULL
    ) ev GROUP BY ev.customer_id
) fw"""

SOURCES: dict[str, _Source] = {
    "deal_close": _Source(
        name="deal_close",
        first=_SHARES,
        joins=_SHARE_JOIN,
        user="s.user_id",
        unit="s.org_unit_id",
        day="s.close_date",  # the deal's, copied onto the share (indexed with the rep)
        where="d.deleted_at IS NULL",
        columns=(
            _won("d.amount_minor * s.share_bp"),
            _won("s.share_bp"),
            _status_sum("lost", "s.share_bp"),
            _status_sum("open", "d.amount_minor * s.share_bp"),
            _status_sum("open", "d.amount_minor * s.share_bp * d.probability / 100"),
            _status_sum("open", "s.share_bp"),
            _status_sum("open", "s.share_bp * d.probability / 100"),
        ),
        metrics=(
            ("revenue", "c0", "0", "c3", "c4"),
            ("deals_won", "c1", "0", "c5", "c6"),
            ("conversion_rate", "c1", "c1 + c2", "0", "0"),
            ("avg_deal_size", "c0", "c1", "0", "0"),
        ),
    ),
    "deal_created": _Source(
        name="deal_created",
        first=_SHARES,
        joins=_SHARE_JOIN,
        user="s.user_id",
        unit="s.org_unit_id",
        day="s.created_date",
        where="d.deleted_at IS NULL",
        columns=("SUM(d.amount_minor * s.share_bp)",),
        metrics=(("pipeline_created", "c0", "0", "0", "0"),),
    ),
    "order": _Source(
        name="order",
        first="kpis_order f",
        joins="",
        user="f.owner_id",
        unit="f.org_unit_id",
        day="f.order_date",
        where="f.deleted_at IS NULL",
        columns=(f"SUM(f.amount_minor * {SCALE})",),
        metrics=(("orders", "c0", "0", "0", "0"),),
    ),
    "payment": _Source(
        name="payment",
        first="kpis_payment f",
        joins="",
        user="f.owner_id",
        unit="f.org_unit_id",
        day="f.payment_date",
        where="f.deleted_at IS NULL",
        columns=(f"SUM(f.amount_minor * {SCALE})",),
        metrics=(("payments", "c0", "0", "0", "0"),),
    ),
    "activity": _Source(
        name="activity",
        first="kpis_activity f",
        joins="",
        user="f.owner_id",
        unit="f.org_unit_id",
        day="f.activity_date",
        where="f.deleted_at IS NULL",
        columns=(f"COUNT(*) * {SCALE}",),
        metrics=(("activities", "c0", "0", "0", "0"),),
    ),
    "lead": _Source(
        # Leads created in the period that are converted ÷ leads created in the period.
        name="lead",
        first="kpis_lead f",
        joins="",
        user="f.owner_id",
        unit="f.org_unit_id",
        day="f.created_date",
        where="f.deleted_at IS NULL",
        columns=("SUM(CASE WHEN f.status = 'converted' THEN 1 ELSE 0 END)", "COUNT(*)"),
        metrics=((LEAD_CONVERSION, "c0", "c1", "0", "0"),),
    ),
    "customer": _Source(
        name="customer",
        first="kpis_customer c",
        joins="JOIN {first_won} ON fw.cid = c.id",
        user="c.owner_id",
        unit="c.org_unit_id",
        day="fw.first_day",
        where="c.deleted_at IS NULL",
        columns=(f"COUNT(*) * {SCALE}",),
        metrics=(("new_customers", "c0", "0", "0", "0"),),
    ),
}

# Which grains a dirty key of each fact kind can change.
FACT_SOURCES: dict[str, tuple[str, ...]] = {
    Metric.Fact.DEAL: ("deal_close", "deal_created"),
    Metric.Fact.ORDER: ("order",),
    Metric.Fact.PAYMENT: ("payment",),
    Metric.Fact.ACTIVITY: ("activity",),
    Metric.Fact.CUSTOMER: ("customer",),
    Metric.Fact.LEAD: ("lead",),
}


def pace_bands() -> tuple[int, int]:
    """(on_track, at_risk) pace thresholds in basis points, from settings.SALESGOALS."""
    bands = getattr(settings, "SALESGOALS", {}).get(
        "PACE_BANDS", {"on_track": 9500, "at_risk": 8500}
    )
    return int(bands.get("on_track", 9500)), int(bands.get("at_risk", 8500))


# --- small helpers ------------------------------------------------------------------------


def _rdiv(a: int, b: int) -> int:
    """a ÷ b rounded half away from zero (b > 0); the SQL in `_actual_sql` matches it."""
    q = (2 * abs(a) + b) // (2 * b)
    return q if a >= 0 else -q


def _clamp(value: int | None) -> int | None:
    if value is None:
        return None
    return max(-2_000_000_000, min(2_000_000_000, value))


def _date(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _chunks(rows: list, size: int = _BATCH) -> Iterator[list]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _lock() -> None:
    """One rollup writer at a time (for the transaction), with the rollup's settings."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
            _tune(cursor)


def _insert_rows(
    cursor: Any, table: str, spec: list[tuple[str, str]], rows: list, suffix: str = ""
) -> None:
    """Insert many rows in few statements: PostgreSQL unnests one typed array per column
    (one round trip whatever the row count); SQLite takes `executemany`."""
    if not rows:
        return
    names = ", ".join(name for name, _type in spec)
    for chunk in _chunks(rows, 50_000):
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}[]" for _name, kind in spec)
            _execute_arrays(
                cursor,
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {suffix}",
                _column_arrays(chunk, spec),
            ).close()
        else:
            marks = ", ".join(["%s"] * len(spec))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {suffix}", chunk)


def _execute_arrays(cursor: Any, sql: str, params: list) -> Any:
    """Run a statement whose parameters are large array literals (PostgreSQL), bound on the
    server: Django's psycopg cursors bind on the client, quoting megabytes of literals into
    the SQL text, which the server then parses again. Returns the cursor that ran it."""
    raw = psycopg.Cursor(cursor.connection)
    raw.execute(sql, params)
    return raw


def _column_arrays(rows: list, spec: list[tuple[str, str]]) -> list[str]:
    """One PostgreSQL array literal per column of `rows` (typed by `spec`)."""
    return [
        _pg_array(column, kind)
        for column, (_name, kind) in zip(zip(*rows, strict=True), spec, strict=True)
    ]


_NUMERIC_SQL = {"bigint", "integer", "smallint"}


def _pg_array(values: Iterable[Any], kind: str) -> str:
    """A PostgreSQL array literal of one column: built with `str.join`, several times
    cheaper than adapting a Python list value by value (most of a drain's write time)."""
    if kind in _NUMERIC_SQL:  # ints or None: no quoting; "None" is in no integer
        return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"
    return (
        "{"
        + ",".join(
            "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        )
        + "}"
    )


def _temp_table(cursor: Any, name: str, columns: str, rows: Iterable[tuple]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
    spec = [tuple(part.split()[:2]) for part in columns.split(",")]
    _insert_rows(cursor, name, spec, list(rows))
    _analyze(cursor, name)


def _analyze(cursor: Any, name: str) -> None:
    """PostgreSQL has no statistics for a fresh temporary table and guesses its size, which
    turned joins of a few thousand keys into seconds-long plans: give it statistics."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {name}")


def _nested_loops(cursor: Any, on: bool) -> None:
    """Index probes per key: no hash joins, and no bitmaps that AND in the huge org-unit
    index (a team's whole history) beside the (rep, date) index."""
    if connection.vendor == "postgresql":
        for setting in ("enable_hashjoin", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = {'off' if on else 'on'}")


def _tune(cursor: Any) -> None:
    """Session settings of one rollup transaction (PostgreSQL only, reset at its end).

    More memory for the GROUP BYs and hash joins; no merge joins (the anti-joins against
    staging tables got merge plans on a partial key, ten times slower than hashing); and no wait
    for the WAL flush at commit — a lost rollup transaction also loses its claimed dirty
    keys' deletion, so the keys are drained again.
    """
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL synchronous_commit = off")


def _drop(cursor: Any, *names: str) -> None:
    for name in names:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


# --- calendar and org tree in memory (small) ------------------------------------------------


@dataclass
class _P:
    id: int
    kind: str
    start: datetime.date
    end: datetime.date
    parent_id: int | None
    fiscal_year_id: int
    working_days: int


@dataclass
class _Calendar:
    periods: dict[int, _P]
    week_starts: list[datetime.date]
    week_ids: list[int]
    up: dict[int, tuple[int, ...]]  # week → (week, month, quarter, year)
    prev: dict[int, int]
    next: dict[int, int]
    children: dict[int, list[int]]

    def week_of(self, day: datetime.date) -> int | None:
        i = bisect.bisect_right(self.week_starts, day) - 1
        if i < 0:
            return None
        week = self.periods[self.week_ids[i]]
        return week.id if week.start <= day <= week.end else None

    def containing(self, day: datetime.date) -> tuple[int, ...]:
        week = self.week_of(day)
        return self.up[week] if week is not None else ()


def _calendar() -> _Calendar:
    rows = Period.objects.order_by("start", "id").values_list(
        "id", "kind", "start", "end", "parent_id", "fiscal_year_id", "working_days"
    )
    periods = {r[0]: _P(*r) for r in rows}
    by_kind: dict[str, list[_P]] = defaultdict(list)
    children: dict[int, list[int]] = defaultdict(list)
    for p in periods.values():
        by_kind[p.kind].append(p)
        if p.parent_id is not None:
            children[p.parent_id].append(p.id)
    prev: dict[int, int] = {}
    nxt: dict[int, int] = {}
    for group in by_kind.values():
        group.sort(key=lambda p: (p.start, p.id))
        for a, b in itertools.pairwise(group):
            prev[b.id] = a.id
            nxt[a.id] = b.id
    weeks = by_kind.get("week", [])
    up: dict[int, tuple[int, ...]] = {}
    for week in weeks:
        chain = [week.id]
        parent = week.parent_id
        while parent is not None:
            chain.append(parent)
            parent = periods[parent].parent_id
        up[week.id] = tuple(chain)
    return _Calendar(
        periods=periods,
        week_starts=[w.start for w in weeks],
        week_ids=[w.id for w in weeks],
        up=up,
        prev=prev,
        next=nxt,
        children=dict(children),
    )


def _ancestors() -> dict[int, tuple[int, ...]]:
    """Each unit → itself and every ancestor (from the materialised paths)."""
    rows = list(OrgUnit.objects.values_list("id", "path"))
    by_path = {path: pk for pk, path in rows}
    step = OrgUnit.steplen
    return {
        pk: tuple(by_path[path[:i]] for i in range(len(path), 0, -step) if path[:i] in by_path)
        for pk, path in rows
    }


def _metric_ids() -> dict[str, int]:
    """Built-in metrics the rollup computes, and active admin filter metrics, by code."""
    return dict(
        Metric.objects.filter(Q(code__in=_KIND) | _FILTER_METRICS).values_list("code", "id")
    )


# --- admin filter metrics -------------------------------------------------------------------

# An admin metric counts or sums one kind of fact, placed in periods by one of its dates,
# restricted by `Metric.filters`: Django lookups on the fact (`{"kind": "visit"}`,
# `{"stage": "Renewal", "status": "won"}`, `{"customer__industry": "Retail"}`) — the same
# definition the drill-down applies (`kpis.selectors.facts`). Deals follow the credit shares.
_FILTER_METRICS = Q(is_system=False, is_active=True, aggregation=Metric.Aggregation.SUM)
_FILTER_FACTS = {
    Metric.Fact.DEAL: ("kpis_dealshare s", _SHARE_JOIN, "s.user_id", "s.org_unit_id", "d"),
    Metric.Fact.ORDER: ("kpis_order f", "", "f.owner_id", "f.org_unit_id", "f"),
    Metric.Fact.PAYMENT: ("kpis_payment f", "", "f.owner_id", "f.org_unit_id", "f"),
    Metric.Fact.ACTIVITY: ("kpis_activity f", "", "f.owner_id", "f.org_unit_id", "f"),
    Metric.Fact.LEAD: ("kpis_lead f", "", "f.owner_id", "f.org_unit_id", "f"),
    Metric.Fact.CUSTOMER: ("kpis_customer f", "", "f.owner_id", "f.org_unit_id", "f"),
}


def _filter_source(metric: Metric) -> _Source | None:
    """The fact scan of one admin metric, or None when it cannot be computed (unknown fact
    or date, a currency metric over facts without amounts, filters Django rejects)."""
    from .selectors.facts import FACT_DATE_FIELD, FACT_MODELS

    model = FACT_MODELS.get(metric.fact)
    if model is None or not isinstance(metric.filters, dict):
        return None
    first, joins, user, unit, alias = _FILTER_FACTS[metric.fact]
    dates = {f.name for f in model._meta.concrete_fields if isinstance(f, DateField)}
    if metric.fact == Metric.Fact.DEAL:
        dates &= {"close_date", "created_date"}  # copied onto the shares
    date_field = metric.date_field or FACT_DATE_FIELD[model]  # as the drill-down
    if date_field not in dates:
        return None
    day = f"s.{date_field}" if metric.fact == Metric.Fact.DEAL else f"f.{date_field}"
    money = metric.unit == Metric.Unit.CURRENCY
    if metric.unit == Metric.Unit.PERCENT or (money and not hasattr(model, "amount_minor")):
        return None
    if metric.fact == Metric.Fact.DEAL:
        column = "SUM(d.amount_minor * s.share_bp)" if money else "SUM(s.share_bp)"
    else:
        column = f"SUM(f.amount_minor * {SCALE})" if money else f"COUNT(*) * {SCALE}"
    where, params = f"{alias}.deleted_at IS NULL", ()
    if metric.filters:
        try:
            sql, params = (
                model.objects.filter(**metric.filters).values("pk").query.sql_with_params()
            )
        except (FieldError, TypeError, ValueError, ValidationError):
            return None
        where += f" AND {alias}.id IN ({sql})"
    return _Source(
        name=f"metric:{metric.code}",
        first=first,
        joins=joins,
        user=user,
        unit=unit,
        day=day,
        where=where,
        columns=(column,),
        metrics=((metric.code, "c0", "0", "0", "0"),),
        params=tuple(params),
    )


def _sources() -> tuple[dict[str, _Source], dict[str, tuple[str, ...]], list[str]]:
    """Every fact scan (built-in and admin metrics), which of them each fact kind feeds,
    and the codes of admin metrics that cannot be computed."""
    sources = dict(SOURCES)
    by_fact = {fact: list(names) for fact, names in FACT_SOURCES.items()}
    skipped = []
    for metric in Metric.objects.filter(_FILTER_METRICS).exclude(code__in=_KIND):
        src = _filter_source(metric)
        if src is None:
            skipped.append(metric.code)
            continue
        sources[src.name] = src
        by_fact.setdefault(metric.fact, []).append(src.name)
    return sources, {f: tuple(n) for f, n in by_fact.items()}, skipped


# --- the derived fields ---------------------------------------------------------------------


@dataclass
class _Derive:
    """Everything `derive()` needs besides the cell: today, periods, child targets."""

    today: datetime.date
    cal: _Calendar
    kinds: dict[int, str]  # metric id → _SUM/_RATE/_AVG
    lower: set[int]  # metric ids where lower is better
    pipeline: set[int]
    targets: dict[tuple[int, str, int, int], int] = field(default_factory=dict)
    _completed: dict[int, int] = field(default_factory=dict)
    bands: tuple[int, int] = field(default_factory=pace_bands)

    def completed(self, period: _P) -> int:
        """Working days of the period before today (today is still running)."""
        if self.today > period.end:
            return period.working_days
        if self.today <= period.start:
            return 0
        if period.id not in self._completed:
            done = workdays.working_days_between(
                period.start, self.today - datetime.timedelta(days=1)
            )
            self._completed[period.id] = min(done, period.working_days)
        return self._completed[period.id]

    def expected(self, metric_id: int, owner_type: str, owner_id: int, period: _P) -> int:
        """Target to date: the plan's own child cells, by working days inside the leaf."""
        target = self.targets.get((metric_id, owner_type, owner_id, period.id)) or 0
        if self.today > period.end:
            return target
        if self.today <= period.start:
            return 0
        kids = self.cal.children.get(period.id, [])
        keys = [(metric_id, owner_type, owner_id, kid) for kid in kids]
        if kids and all(key in self.targets for key in keys):
            return sum(
                self.expected(metric_id, owner_type, owner_id, self.cal.periods[kid])
                for kid in kids
            )
        if period.working_days > 0:
            return _rdiv(target * self.completed(period), period.working_days)
        days = (period.end - period.start).days + 1
        return _rdiv(target * (self.today - period.start).days, days)


DERIVED_FIELDS = [
    "actual",
    "target",
    "attainment_bp",
    "expected_to_date",
    "pace_bp",
    "status",
    "required_rate",
    "forecast",
    "pipeline_coverage_bp",
]
_KEY_COLUMNS = ["metric_id", "owner_type", "owner_id", "period_id"]
_SAVE_FIELDS = [
    "numerator",
    "denominator",
    "open_pipeline",
    "weighted_pipeline",
    *DERIVED_FIELDS,
    "computed_at",
]
_VALUE_COLUMNS = _SAVE_FIELDS[:-1]  # what a cell holds besides its key and timestamp
_CELL_COLUMNS = [*_KEY_COLUMNS, *_VALUE_COLUMNS]
_CELL_ORDER = "owner_type, owner_id, period_id, metric_id"
_NO_TARGET = str(KpiValue.Status.NO_TARGET)


class _Cell:
    """A KPI cell in memory: the columns of `KpiValue` without a model instance, whose
    construction was a third of the drain's Python time."""

    __slots__ = ("id", *_CELL_COLUMNS)

    def __init__(self, metric_id: int, owner_type: str, owner_id: int, period_id: int) -> None:
        self.id: int | None = None
        self.metric_id, self.owner_type, self.owner_id, self.period_id = (
            metric_id,
            owner_type,
            owner_id,
            period_id,
        )
        self.numerator = self.denominator = self.open_pipeline = self.weighted_pipeline = 0
        self.actual = 0
        self.target = self.attainment_bp = self.expected_to_date = self.pace_bp = None
        self.required_rate = self.forecast = self.pipeline_coverage_bp = None
        self.status = _NO_TARGET

    @classmethod
    def from_row(cls, row: Iterable[Any], columns: list[str]) -> _Cell:
        cell = cls.__new__(cls)
        cell.id = None
        for name, value in zip(columns, row, strict=True):
            setattr(cell, name, value)
        return cell

    @classmethod
    def loaded(cls, row: tuple) -> _Cell:
        """A cell from `_load_cells`' row: id, key, the four sums and the target; the
        derived fields are blank until `derive` fills them."""
        cell = cls.__new__(cls)
        cell.actual = 0
        cell.attainment_bp = cell.expected_to_date = cell.pace_bp = cell.forecast = None
        cell.required_rate = cell.pipeline_coverage_bp = None
        cell.status = _NO_TARGET
        (
            cell.id,
            cell.metric_id,
            cell.owner_type,
            cell.owner_id,
            cell.period_id,
            cell.numerator,
            cell.denominator,
            cell.open_pipeline,
            cell.weighted_pipeline,
            cell.target,
        ) = row
        return cell

    def row(self) -> tuple:
        return _get_row(self)

    @property
    def pk(self) -> int | None:
        return self.id

    @property
    def key(self) -> CellKey:
        return (self.metric_id, self.owner_type, self.owner_id, self.period_id)


_get_row = operator.attrgetter(*_CELL_COLUMNS)


def _actual(kind: str, num: int, den: int) -> int:
    if kind == _SUM:
        return _rdiv(num, SCALE)
    if den == 0:
        return 0
    return _rdiv(num * 10000, den) if kind == _RATE else _rdiv(num, den)


def derive(v: Any, d: _Derive) -> Any:
    """Fill actual and the target-dependent fields of one cell (target already set)."""
    kind = d.kinds[v.metric_id]
    period = d.cal.periods[v.period_id]
    num, den = v.numerator, v.denominator
    v.actual = _actual(kind, num, den)
    past = d.today > period.end
    target = v.target
    v.attainment_bp = v.expected_to_date = v.pace_bp = None
    v.required_rate = v.pipeline_coverage_bp = None
    if kind == _SUM:
        if past:
            v.forecast = v.actual
        else:
            done = d.completed(period)
            left = period.working_days - done
            projected = num * left // done if done > 0 and left > 0 else 0
            v.forecast = _rdiv(num + projected + v.weighted_pipeline, SCALE)
    else:
        v.forecast = None
    if target is None:
        v.status = KpiValue.Status.NO_TARGET
        return v
    # Exact actual in the target's unit: numerator ÷ SCALE for sums.
    exact_num, exact_den = (num, SCALE) if kind == _SUM else (v.actual, 1)
    if target > 0:
        v.attainment_bp = _clamp(_rdiv(exact_num * 10000, exact_den * target))
    if kind == _SUM:
        expected = d.expected(v.metric_id, v.owner_type, v.owner_id, period)
        if not past:
            left = period.working_days - d.completed(period)
            remaining = target * SCALE - num
            if left > 0:
                v.required_rate = max(0, -(-remaining // (SCALE * left)))
            if v.metric_id in d.pipeline and remaining > 0:
                v.pipeline_coverage_bp = _clamp(_rdiv(v.open_pipeline * 10000, remaining))
    else:
        expected = target if d.today >= period.start else 0
    v.expected_to_date = expected
    if expected > 0:
        if v.metric_id in d.lower:
            v.pace_bp = (
                _clamp(_rdiv(expected * exact_den * 10000, exact_num)) if exact_num > 0 else None
            )
        else:
            v.pace_bp = _clamp(_rdiv(exact_num * 10000, exact_den * expected))
    on_track, at_risk = d.bands
    if v.pace_bp is None:
        v.status = (
            KpiValue.Status.ON_TRACK
            if expected <= 0 or v.metric_id in d.lower
            else KpiValue.Status.BEHIND
        )
    elif v.pace_bp >= on_track:
        v.status = KpiValue.Status.ON_TRACK
    elif v.pace_bp >= at_risk:
        v.status = KpiValue.Status.AT_RISK
    else:
        v.status = KpiValue.Status.BEHIND
    return v


def _derive_context(today: datetime.date | None, cal: _Calendar | None = None) -> _Derive:
    rows = Metric.objects.values_list("id", "code", "aggregation", "direction")
    kinds: dict[int, str] = {}
    lower: set[int] = set()
    pipeline: set[int] = set()
    for pk, code, aggregation, direction in rows:
        kinds[pk] = _KIND.get(code, _SUM if aggregation == Metric.Aggregation.SUM else _RATE)
        if direction == Metric.Direction.LOWER:
            lower.add(pk)
        if code in _PIPELINE:
            pipeline.add(pk)
    return _Derive(
        today=today or timezone.localdate(),
        cal=cal or _calendar(),
        kinds=kinds,
        lower=lower,
        pipeline=pipeline,
    )


def _load_child_targets(d: _Derive, cells: Iterable[Any]) -> None:
    """Targets of the cells' current periods and their descendants (for expected-to-date)."""
    wanted: set[int] = set()
    owners: set[tuple[int, str, int]] = set()
    for v in cells:
        if v.target is None:
            continue
        period = d.cal.periods[v.period_id]
        if period.start < d.today <= period.end:
            stack = [period.id]
            while stack:
                pid = stack.pop()
                wanted.add(pid)
                stack.extend(d.cal.children.get(pid, []))
            owners.add((v.metric_id, v.owner_type, v.owner_id))
        d.targets[(v.metric_id, v.owner_type, v.owner_id, v.period_id)] = v.target
    if not owners:
        return
    metric_ids = {m for m, _t, _o in owners}
    owner_ids = {o for _m, _t, o in owners}
    for pids in _chunks(sorted(wanted), 500):
        rows = KpiTarget.objects.filter(
            period_id__in=pids, metric_id__in=metric_ids, owner_id__in=owner_ids
        ).values_list("metric_id", "owner_type", "owner_id", "period_id", "value")
        for m, t, o, p, value in rows:
            if (m, t, o) in owners:
                d.targets[(m, t, o, p)] = value


# --- full recompute --------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# new_customers of the drain's keys: a customer's first live won deal or order falls in
# the key's week when it has one in the week and none before (as `_FIRST_WON`), found per
# customer of the key's rep and unit through the facts' customer indexes — not by taking
# the first date of every customer.
_NEW_CUSTOMERS_KEYED = f"""
SELECT k.user_id, k.org_unit_id, k.week_id, COUNT(*) * {SCALE} AS c0
FROM kpis_tmp_keys k
JOIN kpis_customer c ON c.owner_id = k.user_id AND c.org_unit_id = k.org_unit_id
WHERE c.deleted_at IS NULL
AND (EXISTS (SELECT 1 FROM kpis_deal d WHERE d.customer_id = c.id AND d.status = 'won'
        AND d.deleted_at IS NULL AND d.close_date >= k.day_from AND d.close_date <= k.day_to)
    OR EXISTS (SELECT 1 FROM kpis_order o WHERE o.customer_id = c.id AND o.deleted_at IS NULL
        AND o.order_date >= k.day_from AND o.order_date <= k.day_to))
AND NOT EXISTS (SELECT 1 FROM kpis_deal d WHERE d.customer_id = c.id AND d.status = 'won'
    AND d.deleted_at IS NULL AND d.close_date < k.day_from)
AND NOT EXISTS (SELECT 1 FROM kpis_order o WHERE o.customer_id = c.id AND o.deleted_at IS NULL
    AND o.order_date < k.day_from)
GROUP BY k.user_id, k.org_unit_id, k.week_id
"""


def _source_sql(src: _Source, *, keys: str | None) -> str:
    cols = ", ".join(f"{expr} AS c{i}" for i, expr in enumerate(src.columns))
    joins = src.joins.format(first_won=_FIRST_WON if "{first_won}" in src.joins else "")
    if keys is None:
        return (
            f"SELECT {src.user} AS user_id, {src.unit} AS org_unit_id, dw.week_id AS week_id, "
            f"{cols} FROM {src.first} {joins} JOIN kpis_tmp_dw dw ON dw.day = {src.day} "
            f"WHERE {src.where} GROUP BY {src.user}, {src.unit}, dw.week_id"
        )
    # The week's bounds come with the key, so the fact's (rep, date) index takes both.
    return (
        f"SELECT k.user_id, k.org_unit_id, k.week_id, {cols} FROM {keys} k "
        f"JOIN {src.first} ON {src.user} = k.user_id AND {src.unit} = k.org_unit_id "
        f"{joins} WHERE {src.where} AND {src.day} >= k.day_from AND {src.day} <= k.day_to "
        f"GROUP BY k.user_id, k.org_unit_id, k.week_id"
    )


def _actual_sql(metric_ids: dict[str, int]) -> str:
    sums = [str(pk) for code, pk in metric_ids.items() if _kind(code) == _SUM]
    rates = [str(pk) for code, pk in metric_ids.items() if _kind(code) == _RATE]
    half = SCALE // 2
    parts = []
    if sums:
        parts.append(
            f"WHEN metric_id IN ({', '.join(sums)}) THEN CASE WHEN numerator >= 0 "
            f"THEN (numerator + {half}) / {SCALE} ELSE -(({half} - numerator) / {SCALE}) END"
        )
    parts.append("WHEN denominator = 0 THEN 0")
    if rates:
        parts.append(
            f"WHEN metric_id IN ({', '.join(rates)}) "
            "THEN (20000 * numerator + denominator) / (2 * denominator)"
        )
    parts.append("ELSE (2 * numerator + denominator) / (2 * denominator)")
    return "CASE " + " ".join(parts) + " END"


def _cells_insert_sql(metric_ids: dict[str, int], table: str = "kpis_tmp_cell") -> str:
    """INSERT … SELECT of cells from `{select}` (key, numerator, denominator, pipelines).

    Everything `derive` gives a cell without a target is computed on the way in: `actual`,
    and for sums the forecast — actual in closed periods; in running and future ones actual
    + run-rate projection + weighted pipeline, from `kpis_tmp_fc` (period, past, working
    days done and left). So only cells with a target need Python.
    """
    actual = _actual_sql(metric_ids)
    sums = [str(pk) for code, pk in metric_ids.items() if _kind(code) == _SUM] or ["-1"]
    projected = (
        "CASE WHEN fc.done > 0 AND fc.lft > 0 THEN "
        f"{_floordiv_sql('agg.numerator * fc.lft', 'fc.done')} ELSE 0 END"
    )
    running = _round_scale_sql(f"agg.numerator + {projected} + agg.weighted_pipeline")
    return (
        f"INSERT INTO {table} (metric_id, owner_type, owner_id, period_id, numerator, "
        "denominator, actual, open_pipeline, weighted_pipeline, status, forecast) "
        "SELECT agg.metric_id, agg.owner_type, agg.owner_id, agg.period_id, agg.numerator, "
        f"agg.denominator, {actual}, agg.open_pipeline, agg.weighted_pipeline, "
        f"'{_NO_TARGET}', CASE WHEN agg.metric_id NOT IN ({', '.join(sums)}) THEN NULL "
        f"WHEN fc.past = 1 THEN {actual} ELSE {running} END "
        "FROM (SELECT metric_id, owner_type, owner_id, period_id, "
        # PostgreSQL's SUM(bigint) is numeric: back to integers for integer division.
        "CAST(numerator AS BIGINT) AS numerator, CAST(denominator AS BIGINT) AS denominator, "
        "CAST(open_pipeline AS BIGINT) AS open_pipeline, "
        "CAST(weighted_pipeline AS BIGINT) AS weighted_pipeline FROM ({select}) raw) agg "
        "JOIN kpis_tmp_fc fc ON fc.period_id = agg.period_id"
    )


def _floordiv_sql(a: str, b: str) -> str:
    """a // b (b > 0) exactly, as Python floors it: exact numeric on PostgreSQL (a product of
    big sums may pass 2^63), 64-bit integers on SQLite."""
    if connection.vendor == "postgresql":
        a = f"CAST({a} AS numeric)"
        return f"(div({a}, {b}) - CASE WHEN mod({a}, {b}) < 0 THEN 1 ELSE 0 END)"
    return f"(({a}) / ({b}) - CASE WHEN ({a}) % ({b}) < 0 THEN 1 ELSE 0 END)"


def _round_scale_sql(x: str) -> str:
    """`_rdiv(x, SCALE)` (half away from zero) as a BIGINT."""
    half = SCALE // 2
    return (
        f"CAST(CASE WHEN ({x}) >= 0 THEN {_floordiv_sql(f'({x}) + {half}', str(SCALE))} "
        f"ELSE -{_floordiv_sql(f'{half} - ({x})', str(SCALE))} END AS BIGINT)"
    )


_GRAIN_KEY = ["metric_id", "user_id", "org_unit_id", "week_id"]
_GRAIN_VALUES = ["numerator", "denominator", "open_pipeline", "weighted_pipeline"]
_CELL_SQL_TYPES = (
    "metric_id bigint, owner_type varchar(4), owner_id bigint, period_id bigint, "
    "numerator bigint, denominator bigint, open_pipeline bigint, weighted_pipeline bigint, "
    "actual bigint, target bigint, attainment_bp integer, expected_to_date bigint, "
    "pace_bp integer, status varchar(10), required_rate bigint, forecast bigint, "
    "pipeline_coverage_bp integer"
)


def _merge(
    cursor: Any,
    table: str,
    staging: str,
    key: list[str],
    values: list[str],
    scope: str,
    now: Any = None,
    order: str | None = None,
) -> dict[str, int]:
    """Make `table` equal `staging` within `scope` (a condition on `table`'s rows), writing
    only what differs: delete the rows staging lacks, update the rows whose values changed,
    insert the new ones. A rollup that changes little writes little; `computed_at` (`now`)
    moves only on rows that were written."""
    if connection.vendor == "postgresql":
        return _merge_pg(cursor, table, staging, key, values, scope, now, order)
    # SQLite: index the staging table, or every probe is a scan.
    cursor.execute(f"CREATE INDEX {staging}_key ON {staging} ({', '.join(key)})")
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    match = " AND ".join(f"t.{c} = {table}.{c}" for c in key)
    stamp = ["computed_at"] if now is not None else []
    params = [now] if now is not None else []
    cursor.execute(
        f"DELETE FROM {table} WHERE ({scope}) "
        f"AND NOT EXISTS (SELECT 1 FROM {staging} t WHERE {match})"
    )
    deleted = cursor.rowcount
    sets = ", ".join([*(f"{c} = t.{c}" for c in values), *(f"{c} = %s" for c in stamp)])
    changed = " OR ".join(f"{table}.{c} {differs} t.{c}" for c in values)
    cursor.execute(
        f"UPDATE {table} SET {sets} FROM {staging} t WHERE {match} AND ({changed})", params
    )
    updated = cursor.rowcount
    columns = [*key, *values]
    picks = ", ".join([*(f"t.{c}" for c in columns), *("%s" for _c in stamp)])
    match_new = " AND ".join(f"v.{c} = t.{c}" for c in key)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join([*columns, *stamp])}) SELECT {picks} "
        f"FROM {staging} t WHERE NOT EXISTS (SELECT 1 FROM {table} v WHERE {match_new})",
        params,
    )
    return {"inserted": cursor.rowcount, "updated": updated, "deleted": deleted}


def _merge_pg(
    cursor: Any,
    table: str,
    staging: str,
    key: list[str],
    values: list[str],
    scope: str,
    now: Any,
    order: str | None = None,
) -> dict[str, int]:
    """`_merge` on PostgreSQL: one hash full join of the scope and the staging table finds
    every difference (instead of one anti-join per kind of write); the writes then go by id."""
    match = " AND ".join(f"t.{c} = v.{c}" for c in key)
    changed = " OR ".join(f"v.{c} IS DISTINCT FROM t.{c}" for c in values)
    columns = [*key, *values]
    _drop(cursor, "kpis_tmp_diff")
    cursor.execute(
        f"CREATE TEMPORARY TABLE kpis_tmp_diff AS SELECT v.id AS vid, "
        f"{', '.join(f't.{c}' for c in columns)}, t.{key[0]} IS NULL AS gone "
        f"FROM (SELECT * FROM {table} WHERE {scope}) v FULL JOIN {staging} t ON {match} "
        f"WHERE v.id IS NULL OR t.{key[0]} IS NULL OR {changed}"
    )
    cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT vid FROM kpis_tmp_diff WHERE gone)")
    deleted = cursor.rowcount
    stamp = ["computed_at"] if now is not None else []
    params = [now] if now is not None else []
    sets = ", ".join([*(f"{c} = d.{c}" for c in values), *(f"{c} = %s" for c in stamp)])
    cursor.execute(
        f"UPDATE {table} SET {sets} FROM kpis_tmp_diff d WHERE {table}.id = d.vid AND NOT d.gone",
        params,
    )
    updated = cursor.rowcount
    picks = ", ".join([*columns, *("%s" for _c in stamp)])
    cursor.execute(
        f"INSERT INTO {table} ({', '.join([*columns, *stamp])}) "
        f"SELECT {picks} FROM kpis_tmp_diff WHERE vid IS NULL "
        f"ORDER BY {order or ', '.join(key)}",
        params,
    )
    inserted = cursor.rowcount
    _drop(cursor, "kpis_tmp_diff")
    return {"inserted": inserted, "updated": updated, "deleted": deleted}


def full_recompute(*, fiscal_year: int | None = None, today: datetime.date | None = None) -> dict:
    """Rebuild grains and cells from the facts (all years, or one fiscal year by its number).

    Targets stay (they live in `KpiTarget`); derived fields are recomputed for `today`.
    The new grains and cells are computed into temporary tables and merged: only rows whose
    values differ are written (see `_merge`), so a rerun over unchanged facts writes
    nothing. Python derives only the cells of running periods and cells with a target.
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    steps: dict[str, float] = {}
    mark = [time.perf_counter()]

    def step(name: str) -> None:
        now_ = time.perf_counter()
        steps[name] = round(now_ - mark[0], 3)
        mark[0] = now_

    with transaction.atomic():
        _lock()
        cal = _calendar()
        ancestors = _ancestors()
        metric_ids = _metric_ids()
        sources, _by_fact, skipped = _sources()
        fy_id = _fy_id(fiscal_year) if fiscal_year is not None else None
        weeks = [w for w in cal.up if fy_id is None or cal.periods[w].fiscal_year_id == fy_id]
        periods = {p for w in weeks for p in cal.up[w]}
        # Retention of a period depends on the previous one: also the periods right after.
        retention_periods = periods | {cal.next[p] for p in periods if p in cal.next}
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        stats: dict[str, Any] = {"weeks": len(weeks), "periods": len(periods)}
        retention_id = metric_ids.get(RETENTION, -1)
        with connection.cursor() as cursor:
            day_rows = []
            for w in weeks:
                p = cal.periods[w]
                for i in range((p.end - p.start).days + 1):
                    day_rows.append((p.start + datetime.timedelta(days=i), w))
            _temp_table(cursor, "kpis_tmp_dw", "day date PRIMARY KEY, week_id bigint", day_rows)
            _temp_table(
                cursor,
                "kpis_tmp_up",
                "week_id bigint, period_id bigint",
                [(w, p) for w in weeks for p in cal.up[w]],
            )
            _temp_table(
                cursor,
                "kpis_tmp_anc",
                "unit_id bigint, anc_id bigint",
                [(u, a) for u, chain in ancestors.items() for a in chain],
            )
            _temp_table(
                cursor, "kpis_tmp_p", "period_id bigint PRIMARY KEY", [(p,) for p in periods]
            )
            _temp_table(
                cursor,
                "kpis_tmp_rp",
                "period_id bigint PRIMARY KEY",
                [(p,) for p in retention_periods],
            )
            d = _derive_context(today, cal)
            fc_rows = []
            for pid in periods | retention_periods:
                period = cal.periods[pid]
                done = d.completed(period)
                fc_rows.append((pid, int(today > period.end), done, period.working_days - done))
            _temp_table(
                cursor,
                "kpis_tmp_fc",
                "period_id bigint PRIMARY KEY, past integer, done bigint, lft bigint",
                fc_rows,
            )
            step("setup")

            # 1. Grains: one GROUP BY per fact source into a staging table, then merged.
            _temp_table(
                cursor,
                "kpis_tmp_grain",
                ", ".join(f"{c} bigint" for c in [*_GRAIN_KEY, *_GRAIN_VALUES]),
                [],
            )
            for src in sources.values():
                wanted = [m for m in src.metrics if m[0] in metric_ids]
                if not wanted:
                    continue
                _drop(cursor, "kpis_tmp_src")
                cursor.execute(
                    "CREATE TEMPORARY TABLE kpis_tmp_src AS " + _source_sql(src, keys=None),
                    list(src.params),
                )
                for code, num, den, opn, wtd in wanted:
                    cursor.execute(
                        f"INSERT INTO kpis_tmp_grain ({', '.join(_GRAIN_KEY + _GRAIN_VALUES)}) "
                        f"SELECT {metric_ids[code]}, user_id, org_unit_id, week_id, "
                        f"{num}, {den}, {opn}, {wtd} FROM kpis_tmp_src "
                        f"WHERE {num} <> 0 OR {den} <> 0 OR {opn} <> 0 OR {wtd} <> 0"
                    )
            _drop(cursor, "kpis_tmp_src")
            _analyze(cursor, "kpis_tmp_grain")
            step("grains")
            stats["grains"] = _merge(
                cursor,
                "kpis_kpigrain",
                "kpis_tmp_grain",
                _GRAIN_KEY,
                _GRAIN_VALUES,
                "week_id IN (SELECT DISTINCT week_id FROM kpis_tmp_up)",
            )
            step("grains_merge")
            _temp_table(
                cursor,
                "kpis_tmp_buyer",
                ", ".join(f"{c} bigint" for c in [*_BUYER_KEY, "orders"]),
                [],
            )
            cursor.execute(
                f"INSERT INTO kpis_tmp_buyer ({', '.join(_BUYER_KEY)}, orders) "
                "SELECT o.owner_id, o.org_unit_id, dw.week_id, o.customer_id, COUNT(*) "
                "FROM kpis_order o JOIN kpis_tmp_dw dw ON dw.day = o.order_date "
                "WHERE o.deleted_at IS NULL AND o.customer_id IS NOT NULL "
                "GROUP BY o.owner_id, o.org_unit_id, dw.week_id, o.customer_id"
            )
            stats["buyers"] = _merge(
                cursor,
                "kpis_kpibuyer",
                "kpis_tmp_buyer",
                _BUYER_KEY,
                ["orders"],
                "week_id IN (SELECT DISTINCT week_id FROM kpis_tmp_up)",
            )
            _drop(cursor, "kpis_tmp_buyer")
            step("buyers")

            # 2. Cells: rep and unit sums of the grains, retention, target-only cells.
            _temp_table(cursor, "kpis_tmp_cell", _CELL_SQL_TYPES, [])
            insert = _cells_insert_sql(metric_ids)
            cursor.execute(
                insert.format(
                    select="SELECT g.metric_id, 'rep' AS owner_type, g.user_id AS owner_id, "
                    "u.period_id, SUM(g.numerator) AS numerator, "
                    "SUM(g.denominator) AS denominator, "
                    "SUM(g.open_pipeline) AS open_pipeline, "
                    "SUM(g.weighted_pipeline) AS weighted_pipeline "
                    "FROM kpis_tmp_grain g JOIN kpis_tmp_up u ON u.week_id = g.week_id "
                    "GROUP BY g.metric_id, g.user_id, u.period_id"
                )
            )
            stats["rep_cells"] = cursor.rowcount
            cursor.execute(
                insert.format(
                    select="SELECT x.metric_id, 'unit' AS owner_type, a.anc_id AS owner_id, "
                    "u.period_id, SUM(x.n) AS numerator, SUM(x.d) AS denominator, "
                    "SUM(x.o) AS open_pipeline, SUM(x.w) AS weighted_pipeline FROM ("
                    "  SELECT metric_id, org_unit_id, week_id, SUM(numerator) AS n, "
                    "  SUM(denominator) AS d, SUM(open_pipeline) AS o, "
                    "  SUM(weighted_pipeline) AS w FROM kpis_tmp_grain "
                    "  GROUP BY metric_id, org_unit_id, week_id"
                    ") x JOIN kpis_tmp_anc a ON a.unit_id = x.org_unit_id "
                    "JOIN kpis_tmp_up u ON u.week_id = x.week_id "
                    "GROUP BY x.metric_id, a.anc_id, u.period_id"
                )
            )
            stats["unit_cells"] = cursor.rowcount
            _drop(cursor, "kpis_tmp_grain")
            step("cells")
            if RETENTION in metric_ids:
                select = _retention_select(cursor, cal, sorted(retention_periods))
                cursor.execute(
                    insert.format(
                        select=f"SELECT {retention_id} AS metric_id, r.owner_type, r.owner_id, "
                        "r.period_id, r.numerator, r.denominator, 0 AS open_pipeline, "
                        f"0 AS weighted_pipeline FROM ({select}) r"
                    )
                )
                stats["retention_cells"] = cursor.rowcount
                _drop_retention(cursor)
            step("retention")
            # Cells for targets without actuals (each metric in its own scope of periods),
            # then the targets themselves.
            scope_t = (
                f"((t.metric_id <> {retention_id} AND t.period_id IN "
                "(SELECT period_id FROM kpis_tmp_p)) OR "
                f"(t.metric_id = {retention_id} AND t.period_id IN "
                "(SELECT period_id FROM kpis_tmp_rp)))"
            )
            cursor.execute(
                insert.format(
                    select="SELECT t.metric_id, t.owner_type, t.owner_id, t.period_id, "
                    "0 AS numerator, 0 AS denominator, 0 AS open_pipeline, "
                    "0 AS weighted_pipeline FROM kpis_kpitarget t "
                    f"WHERE {scope_t} AND t.metric_id IN "
                    f"({', '.join(str(pk) for pk in metric_ids.values()) or '-1'}) "
                    "AND NOT EXISTS (SELECT 1 FROM kpis_tmp_cell v "
                    "WHERE v.metric_id = t.metric_id AND v.period_id = t.period_id "
                    "AND v.owner_type = t.owner_type AND v.owner_id = t.owner_id)"
                )
            )
            cursor.execute(
                "UPDATE kpis_tmp_cell SET target = t.value FROM kpis_kpitarget t "
                "WHERE t.metric_id = kpis_tmp_cell.metric_id "
                "AND t.period_id = kpis_tmp_cell.period_id "
                "AND t.owner_type = kpis_tmp_cell.owner_type "
                "AND t.owner_id = kpis_tmp_cell.owner_id"
            )
            step("targets")

            # 3. Derived fields of cells with a target (Python: expected-to-date follows
            # the plan's child cells).
            needs = "target IS NOT NULL"
            cursor.execute(f"SELECT {', '.join(_CELL_COLUMNS)} FROM kpis_tmp_cell WHERE {needs}")
            cells = [_Cell.from_row(row, _CELL_COLUMNS) for row in cursor.fetchall()]
            _load_child_targets(d, cells)
            for cell in cells:
                derive(cell, d)
            cursor.execute(f"DELETE FROM kpis_tmp_cell WHERE {needs}")
            _insert_rows(
                cursor,
                "kpis_tmp_cell",
                [(c, _CELL_TYPES.get(c, "bigint")) for c in _CELL_COLUMNS],
                [cell.row() for cell in cells],
            )
            stats["derived"] = len(cells)
            _analyze(cursor, "kpis_tmp_cell")
            step("derive")

            # 4. Merge into the cells of these periods (retention: its own periods).
            stats["cells"] = _merge(
                cursor,
                "kpis_kpivalue",
                "kpis_tmp_cell",
                _KEY_COLUMNS,
                _VALUE_COLUMNS,
                f"(metric_id <> {retention_id} AND period_id IN "
                "(SELECT period_id FROM kpis_tmp_p)) OR "
                f"(metric_id = {retention_id} AND period_id IN "
                "(SELECT period_id FROM kpis_tmp_rp))",
                now=now,
                # New cells go to the heap by owner and period, so a drain's cells of one
                # owner and period (every metric) share pages, as the dashboards read them.
                order=_CELL_ORDER,
            )
            step("cells_merge")
            _refresh_statistics(cursor, stats)
            _drop(
                cursor,
                "kpis_tmp_dw",
                "kpis_tmp_up",
                "kpis_tmp_anc",
                "kpis_tmp_p",
                "kpis_tmp_rp",
                "kpis_tmp_fc",
                "kpis_tmp_cell",
            )
    if skipped:
        stats["metrics_skipped"] = skipped
    stats["steps"] = steps
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return stats


def _refresh_statistics(cursor: Any, stats: dict) -> None:
    """ANALYZE the rollup tables when a full rollup added or removed rows.

    A first rollup fills them long before autovacuum looks; planned on an empty table's
    statistics, a drain's cell lookups took the (period, metric, owner type) index and read
    every owner of a period per key, several times slower than the key index.
    """
    for table, key in (("kpis_kpivalue", "cells"), ("kpis_kpigrain", "grains")):
        changes = stats.get(key) or {}
        if changes.get("inserted") or changes.get("deleted"):
            _analyze(cursor, table)


def _fy_id(year: int) -> int:
    from salesgoals.models import FiscalYear

    return FiscalYear.objects.only("id").get(year=year).pk


# --- retention -----------------------------------------------------------------------------


def _retention_select(cursor: Any, cal: _Calendar, period_ids: list[int]) -> str:
    """A SELECT of (owner_type, owner_id, period_id, numerator, denominator) retention rows:
    customers with a live order in the previous period of the same kind and in this one
    (numerator) over customers with one in the previous period (denominator), per scope.

    Set-based, for the full rollup: one pass over the orders marks which (scope, customer,
    period) bought, then a self-join pairs each period with the previous one. Needs
    `kpis_tmp_anc`; leaves temporary tables for `_drop_retention`.
    """
    pairs = [(cal.prev[p], p) for p in period_ids if p in cal.prev]
    _temp_table(cursor, "kpis_tmp_rnext", "prev_id bigint, period_id bigint", pairs)
    needed = {p for pair in pairs for p in pair}
    weeks = [w for w, chain in cal.up.items() if needed.intersection(chain)]
    day_rows = []
    for w in weeks:
        p = cal.periods[w]
        for i in range((p.end - p.start).days + 1):
            day_rows.append((p.start + datetime.timedelta(days=i), w))
    _temp_table(cursor, "kpis_tmp_rdw", "day date PRIMARY KEY, week_id bigint", day_rows)
    _temp_table(
        cursor,
        "kpis_tmp_rup",
        "week_id bigint, period_id bigint",
        [(w, p) for w in weeks for p in cal.up[w] if p in needed],
    )
    orders = (
        "FROM kpis_order o JOIN kpis_tmp_rdw dw ON dw.day = o.order_date "
        "JOIN kpis_tmp_rup u ON u.week_id = dw.week_id"
    )
    live = "WHERE o.deleted_at IS NULL AND o.customer_id IS NOT NULL"
    _drop(cursor, "kpis_tmp_buy")
    cursor.execute(
        "CREATE TEMPORARY TABLE kpis_tmp_buy AS "
        "SELECT DISTINCT CAST('rep' AS varchar(4)) AS owner_type, o.owner_id AS owner_id, "
        f"o.customer_id AS customer_id, u.period_id AS period_id {orders} {live} "
        "UNION ALL "
        "SELECT DISTINCT CAST('unit' AS varchar(4)), a.anc_id, o.customer_id, u.period_id "
        f"{orders} JOIN kpis_tmp_anc a ON a.unit_id = o.org_unit_id {live}"
    )
    if connection.vendor == "postgresql":
        _analyze(cursor, "kpis_tmp_buy")
    else:
        cursor.execute(
            "CREATE INDEX kpis_tmp_buy_key ON kpis_tmp_buy "
            "(owner_type, owner_id, customer_id, period_id)"
        )
    return (
        "SELECT b.owner_type AS owner_type, b.owner_id AS owner_id, n.period_id AS period_id, "
        "COUNT(c.customer_id) AS numerator, COUNT(*) AS denominator "
        "FROM kpis_tmp_buy b JOIN kpis_tmp_rnext n ON n.prev_id = b.period_id "
        "LEFT JOIN kpis_tmp_buy c ON c.owner_type = b.owner_type "
        "AND c.owner_id = b.owner_id AND c.customer_id = b.customer_id "
        "AND c.period_id = n.period_id "
        "GROUP BY b.owner_type, b.owner_id, n.period_id"
    )


def _drop_retention(cursor: Any) -> None:
    _drop(
        cursor,
        "kpis_tmp_buy",
        "kpis_tmp_rnext",
        "kpis_tmp_rdw",
        "kpis_tmp_rup",
    )


# --- incremental -----------------------------------------------------------------------------


def _claim(batch_size: int) -> list[tuple[str, int, int, datetime.date]]:
    skip = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM kpis_dirtykey WHERE id IN (SELECT id FROM kpis_dirtykey "
            f"ORDER BY id LIMIT %s{skip}) RETURNING fact, user_id, org_unit_id, day",
            [batch_size],
        )
        return [(f, int(u), int(o), _date(d)) for f, u, o, d in cursor.fetchall()]


@contextlib.contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """No cyclic garbage collection while a batch runs: it allocates tens of thousands of
    short-lived cells and tuples (none in cycles), and the collections those allocations
    trigger walked the whole process heap — a fifth of a drain's time. Collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def drain_outbox(
    *, batch_size: int = 5000, max_batches: int | None = None, today: datetime.date | None = None
) -> dict:
    """Recompute the cells behind the dirty keys, batch by batch, until the outbox is empty.

    Returns counts: keys taken, grains changed, cells recomputed, written (changed) and
    deleted, batches.
    """
    stats = {"keys": 0, "grains": 0, "recomputed": 0, "cells": 0, "deleted": 0, "batches": 0}
    while max_batches is None or stats["batches"] < max_batches:
        with transaction.atomic(), _no_gc_pauses():
            _lock()
            keys = _claim(batch_size)
            if not keys:
                break
            _apply(keys, today or timezone.localdate(), stats)
        stats["batches"] += 1
        stats["keys"] += len(keys)
        if len(keys) < batch_size:
            break
    if "steps" in stats:
        stats["steps"] = dict(stats["steps"])
    return stats


def _apply(
    keys: list[tuple[str, int, int, datetime.date]], today: datetime.date, stats: dict
) -> None:
    steps = stats.setdefault("steps", defaultdict(float))
    mark = [time.perf_counter(), time.process_time()]

    def step(name: str) -> None:
        now_ = time.perf_counter()
        steps[name] = round(steps[name] + now_ - mark[0], 3)
        mark[0] = now_
        cpu = time.process_time()
        steps["cpu_" + name] = round(steps["cpu_" + name] + cpu - mark[1], 3)
        mark[1] = cpu

    cal = _calendar()
    ancestors = _ancestors()
    metric_ids = _metric_ids()
    sources, by_fact, _skipped = _sources()
    triples: dict[str, set[tuple[int, int, int]]] = defaultdict(set)
    order_triples: set[tuple[int, int, int]] = set()
    for fact, user_id, unit_id, day in keys:
        week = cal.week_of(day)
        if week is None:
            continue
        for name in by_fact.get(fact, ()):
            triples[name].add((user_id, unit_id, week))
        if fact == Metric.Fact.ORDER:
            order_triples.add((user_id, unit_id, week))

    deltas: dict[CellKey, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with connection.cursor() as cursor:
        # A drain's keys are few: reach their facts through the (rep, date) indexes rather
        # than hashing whole fact tables, which the planner picks for a few thousand keys.
        _nested_loops(cursor, True)
        for name, wanted in triples.items():
            src = sources[name]
            metrics = [m for m in src.metrics if m[0] in metric_ids]
            if not metrics:
                continue
            _temp_table(
                cursor,
                "kpis_tmp_keys",
                "user_id bigint, org_unit_id bigint, week_id bigint, day_from date, day_to date",
                [(u, o, w, cal.periods[w].start, cal.periods[w].end) for u, o, w in sorted(wanted)],
            )
            if name == "customer":
                sql = _NEW_CUSTOMERS_KEYED
            else:
                sql = _source_sql(src, keys="kpis_tmp_keys")
            cursor.execute(sql, list(src.params))
            fresh: dict[tuple[int, int, int], tuple[int, ...]] = {
                (int(u), int(o), int(w)): tuple(int(c or 0) for c in cols)
                for u, o, w, *cols in cursor.fetchall()
            }
            ids = {metric_ids[m[0]]: m for m in metrics}
            cursor.execute(
                "SELECT g.id, g.metric_id, g.user_id, g.org_unit_id, g.week_id, g.numerator, "
                "g.denominator, g.open_pipeline, g.weighted_pipeline FROM kpis_kpigrain g "
                "JOIN kpis_tmp_keys k ON g.user_id = k.user_id AND g.org_unit_id = k.org_unit_id "
                f"AND g.week_id = k.week_id WHERE g.metric_id IN ({', '.join(map(str, ids))})"
            )
            old = {(r[1], r[2], r[3], r[4]): (r[0], tuple(r[5:9])) for r in cursor.fetchall()}
            upserts: list[tuple[int, ...]] = []
            removed: list[int] = []
            for triple in wanted:
                cols = fresh.get(triple)
                for metric_id, (_code, *exprs) in ids.items():
                    new = _evaluate(exprs, cols) if cols else (0, 0, 0, 0)
                    pk, before = old.get((metric_id, *triple), (None, (0, 0, 0, 0)))
                    if new == tuple(before):
                        continue
                    stats["grains"] += 1
                    if any(new):
                        upserts.append((metric_id, *triple, *new))
                    elif pk is not None:
                        removed.append(pk)
                    diff = [a - b for a, b in zip(new, before, strict=True)]
                    user_id, unit_id, week = triple
                    for pid in cal.up[week]:
                        cells = [(metric_id, OwnerType.REP, user_id, pid)]
                        cells += [
                            (metric_id, OwnerType.UNIT, a, pid)
                            for a in ancestors.get(unit_id, (unit_id,))
                        ]
                        for cell in cells:
                            acc = deltas[cell]
                            for i in range(4):
                                acc[i] += diff[i]
            grain_cols = ["numerator", "denominator", "open_pipeline", "weighted_pipeline"]
            _insert_rows(
                cursor,
                "kpis_kpigrain",
                [(c, "bigint") for c in ["metric_id", "user_id", "org_unit_id", "week_id"]]
                + [(c, "bigint") for c in grain_cols],
                upserts,
                "ON CONFLICT (user_id, org_unit_id, week_id, metric_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in grain_cols),
            )
            for chunk in _chunks(removed):
                KpiGrain.objects.filter(pk__in=chunk).delete()
        _drop(cursor, "kpis_tmp_keys")
        step("grains")
        if order_triples:
            ret_id = metric_ids.get(RETENTION)
            for (owner_type, owner_id, pid), (num, den) in _buyers_update(
                cursor, cal, ancestors, order_triples
            ).items():
                if ret_id is not None:
                    acc = deltas[(ret_id, owner_type, owner_id, pid)]
                    acc[0] += num
                    acc[1] += den
        _nested_loops(cursor, False)
    touched: set[CellKey] = {k for k, v in deltas.items() if any(v)}
    if not touched:
        return
    step("retention")
    existing = _load_cells(touched)
    step("load")
    d = _derive_context(today, cal)
    write: list[_Cell] = []
    drop: list[int] = []
    for key in touched:
        cell = existing.get(key)
        if cell is None:
            cell = _Cell(*key)
        diff = deltas[key]
        cell.numerator += diff[0]
        cell.denominator += diff[1]
        cell.open_pipeline += diff[2]
        cell.weighted_pipeline += diff[3]
        if _empty(cell) and cell.target is None:
            if cell.pk is not None:
                drop.append(cell.pk)
            continue
        write.append(cell)
    _load_child_targets(d, write)
    for cell in write:
        derive(cell, d)
    step("derive")
    # Every touched cell's sums changed (zero deltas are not touched): all are written.
    _save_cells(write)
    for chunk in _chunks(drop):
        KpiValue.objects.filter(pk__in=chunk).delete()
    step("save")
    stats["cells"] += len(write)
    stats["deleted"] += len(drop)
    stats["recomputed"] = stats.get("recomputed", 0) + len(touched)


_BUYER_KEY = ["user_id", "org_unit_id", "week_id", "customer_id"]


def _buyers_update(
    cursor: Any,
    cal: _Calendar,
    ancestors: dict[int, tuple[int, ...]],
    triples: set[tuple[int, int, int]],
) -> dict[tuple[str, int, int], list[int]]:
    """Bring `KpiBuyer` up to date for these (rep, unit, week) order triples and return the
    retention changes they make: (owner type, owner id, period) → [Δ retained, Δ bought
    before].

    A customer counts in a scope's period when any of its buyer rows lies in the scope (the
    rep, or a unit whose subtree holds the order's unit) and the period. Only customers whose
    rows of these triples appear or vanish can change a cell: their rows before and after
    give, for every scope and period whose presence flips, the cells of that period and the
    next (retained = bought in the previous period and this one; bought before = in the
    previous one). Cost follows the changed customers' orders, not the table.
    """
    _temp_table(
        cursor,
        "kpis_tmp_okeys",
        "user_id bigint, org_unit_id bigint, week_id bigint, day_from date, day_to date",
        [(u, o, w, cal.periods[w].start, cal.periods[w].end) for u, o, w in sorted(triples)],
    )
    cursor.execute(
        "SELECT k.user_id, k.org_unit_id, k.week_id, o.customer_id, COUNT(*) "
        "FROM kpis_tmp_okeys k JOIN kpis_order o ON o.owner_id = k.user_id "
        "AND o.org_unit_id = k.org_unit_id WHERE o.deleted_at IS NULL "
        "AND o.customer_id IS NOT NULL AND o.order_date >= k.day_from "
        "AND o.order_date <= k.day_to "
        "GROUP BY k.user_id, k.org_unit_id, k.week_id, o.customer_id"
    )
    fresh = {(int(u), int(o), int(w), int(c)): int(n) for u, o, w, c, n in cursor.fetchall()}
    cursor.execute(
        "SELECT b.id, b.user_id, b.org_unit_id, b.week_id, b.customer_id, b.orders "
        "FROM kpis_kpibuyer b JOIN kpis_tmp_okeys k ON b.user_id = k.user_id "
        "AND b.org_unit_id = k.org_unit_id AND b.week_id = k.week_id"
    )
    old = {(int(u), int(o), int(w), int(c)): (int(pk), int(n)) for pk, u, o, w, c, n in cursor}
    _drop(cursor, "kpis_tmp_okeys")
    appeared = fresh.keys() - old.keys()
    vanished = old.keys() - fresh.keys()
    customers = sorted({key[3] for key in appeared | vanished})
    out: dict[tuple[str, int, int], list[int]] = defaultdict(lambda: [0, 0])
    if customers:
        _temp_table(
            cursor, "kpis_tmp_cust", "customer_id bigint PRIMARY KEY", [(c,) for c in customers]
        )
        cursor.execute(
            "SELECT b.customer_id, b.user_id, b.org_unit_id, b.week_id FROM kpis_kpibuyer b "
            "JOIN kpis_tmp_cust t ON t.customer_id = b.customer_id"
        )
        rows_before: dict[int, set[tuple[int, int, int]]] = defaultdict(set)
        for c, u, o, w in cursor.fetchall():
            rows_before[int(c)].add((int(u), int(o), int(w)))
        _drop(cursor, "kpis_tmp_cust")
        rows_after = {c: set(rows) for c, rows in rows_before.items()}
        for u, o, w, c in vanished:
            rows_after.setdefault(c, set()).discard((u, o, w))
        for u, o, w, c in appeared:
            rows_after.setdefault(c, set()).add((u, o, w))

        def presence(rows: set[tuple[int, int, int]]) -> set[tuple[str, int, int]]:
            found: set[tuple[str, int, int]] = set()
            for u, o, w in rows:
                scopes = [(str(OwnerType.REP), u)]
                scopes += [(str(OwnerType.UNIT), a) for a in ancestors.get(o, (o,))]
                for pid in cal.up.get(w, ()):
                    found.update((t, sc, pid) for t, sc in scopes)
            return found

        for c in customers:
            before = presence(rows_before.get(c, set()))
            after = presence(rows_after.get(c, set()))
            cells = set()
            for t, sc, pid in before ^ after:
                cells.add((t, sc, pid))
                if pid in cal.next:
                    cells.add((t, sc, cal.next[pid]))
            for t, sc, pid in cells:
                prev = cal.prev.get(pid)
                if prev is None:
                    continue
                was = (t, sc, prev) in before
                now_ = (t, sc, prev) in after
                num = int(now_ and (t, sc, pid) in after) - int(was and (t, sc, pid) in before)
                den = int(now_) - int(was)
                if num or den:
                    acc = out[(t, sc, pid)]
                    acc[0] += num
                    acc[1] += den
    writes = [(*key, n) for key, n in fresh.items() if old.get(key, (0, None))[1] != n]
    _insert_rows(
        cursor,
        "kpis_kpibuyer",
        [(c, "bigint") for c in [*_BUYER_KEY, "orders"]],
        writes,
        "ON CONFLICT (user_id, org_unit_id, week_id, customer_id) "
        "DO UPDATE SET orders = excluded.orders",
    )
    for chunk in _chunks(sorted(old[key][0] for key in vanished)):
        cursor.execute(
            f"DELETE FROM kpis_kpibuyer WHERE id IN ({', '.join(str(pk) for pk in chunk)})"
        )
    return out


def _evaluate(exprs: list[str], cols: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The (num, den, open, weighted) of one metric from a source row (same as the SQL)."""
    env = {f"c{i}": v for i, v in enumerate(cols)}
    out = []
    for expr in exprs:
        total = 0
        for term in expr.split("+"):
            term = term.strip()
            total += env[term] if term in env else int(term)
        out.append(total)
    return out[0], out[1], out[2], out[3]


def _empty(cell: Any) -> bool:
    return not (cell.numerator or cell.denominator or cell.open_pipeline or cell.weighted_pipeline)


_LOAD_COLUMNS = [*_KEY_COLUMNS, "numerator", "denominator", "open_pipeline", "weighted_pipeline"]


def _load_cells(keys: set[CellKey]) -> dict[CellKey, _Cell]:
    """The existing cells among `keys`, in one join against the keys as typed arrays.

    Only what `derive` reads comes back (key, sums, target): every derived field is
    recomputed before a cell is written, so reading them would only cost transfer and
    attribute sets, most of a drain's load time.
    """
    ordered = sorted(keys, key=lambda k: (k[1], k[2], k[3], k[0]))  # heap order
    spec = [(c, _CELL_TYPES.get(c, "bigint")) for c in _KEY_COLUMNS]
    columns = ", ".join(f"v.{c}" for c in ["id", *_LOAD_COLUMNS, "target"])
    found: dict[CellKey, _Cell] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(ordered, 50_000):
            if connection.vendor == "postgresql":
                arrays = ", ".join(f"%s::{kind}[]" for _name, kind in spec)
                with _execute_arrays(
                    cursor,
                    f"SELECT {columns} FROM unnest({arrays}) AS t({', '.join(_KEY_COLUMNS)}) "
                    "JOIN kpis_kpivalue v ON v.metric_id = t.metric_id "
                    "AND v.period_id = t.period_id AND v.owner_type = t.owner_type "
                    "AND v.owner_id = t.owner_id",
                    _column_arrays(chunk, spec),
                ) as raw:
                    rows = raw.fetchall()
            else:
                _temp_table(
                    cursor,
                    "kpis_tmp_cells",
                    "metric_id bigint, owner_type varchar(4), owner_id bigint, period_id bigint",
                    chunk,
                )
                cursor.execute(
                    f"SELECT {columns} FROM kpis_kpivalue v "
                    "JOIN kpis_tmp_cells t ON v.metric_id = t.metric_id "
                    "AND v.period_id = t.period_id AND v.owner_type = t.owner_type "
                    "AND v.owner_id = t.owner_id"
                )
                rows = cursor.fetchall()
            for row in rows:
                cell = _Cell.loaded(row)
                found[cell.key] = cell
        if connection.vendor != "postgresql":
            _drop(cursor, "kpis_tmp_cells")
    return found


_CELL_TYPES = {
    "metric_id": "bigint",
    "owner_type": "varchar",
    "owner_id": "bigint",
    "period_id": "bigint",
    "status": "varchar",
    "attainment_bp": "integer",
    "pace_bp": "integer",
    "pipeline_coverage_bp": "integer",
    "computed_at": "timestamptz",
}


def _save_cells(cells: list[Any]) -> None:
    """Upsert cells (INSERT … ON CONFLICT DO UPDATE on both backends), by owner and period.

    Raw SQL rather than `bulk_create(update_conflicts=True)`: the same statement, without
    the ORM's per-value preparation, which dominated the drain's time.
    """
    if not cells:
        return
    cells.sort(key=lambda v: (v.owner_type, v.owner_id, v.period_id, v.metric_id))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = [*_KEY_COLUMNS, *_SAVE_FIELDS]
    spec = [(c, _CELL_TYPES.get(c, "bigint")) for c in columns]
    updates = ", ".join(f"{c} = excluded.{c}" for c in _SAVE_FIELDS)
    get = operator.attrgetter(*_CELL_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            known = [v for v in cells if v.id is not None]
            if _update_by_id(cursor, known, now):
                cells = [v for v in cells if v.id is None]
        _insert_rows(
            cursor,
            "kpis_kpivalue",
            spec,
            [(*get(v), now) for v in cells],
            "ON CONFLICT (metric_id, period_id, owner_type, owner_id) DO UPDATE SET " + updates,
        )


def _update_by_id(cursor: Any, cells: list[Any], now: Any) -> bool:
    """UPDATE cells read by this drain through their primary key (one statement of typed
    arrays): cheaper than an upsert's probe of the four-column key and its speculative
    insert. False if a row had gone meanwhile; the caller then upserts them all."""
    if not cells:
        return True
    fields = [f for f in _SAVE_FIELDS if f != "computed_at"]
    spec = [("id", "bigint"), *((f, _CELL_TYPES.get(f, "bigint")) for f in fields)]
    get = operator.attrgetter("id", *fields)
    rows = [get(v) for v in cells]
    arrays = ", ".join(f"%s::{kind}[]" for _name, kind in spec)
    names = ", ".join(name for name, _kind in spec)
    sets = ", ".join(f"{f} = u.{f}" for f in fields)
    with _execute_arrays(
        cursor,
        f"UPDATE kpis_kpivalue v SET {sets}, computed_at = %s::timestamptz "
        f"FROM unnest({arrays}) AS u({names}) WHERE v.id = u.id",
        [now, *_column_arrays(rows, spec)],
    ) as raw:
        return raw.rowcount == len(cells)


# --- derived fields on demand ---------------------------------------------------------------


def _refresh(queryset: Any, d: _Derive) -> int:
    """Sync `target` from KpiTarget and recompute the derived fields of these cells."""
    count = 0
    last = 0
    while True:
        cells = list(queryset.filter(pk__gt=last).order_by("pk")[:_BATCH])
        if not cells:
            return count
        last = cells[-1].pk
        targets = _targets_for(cells)
        for cell in cells:
            cell.target = targets.get(
                (cell.metric_id, cell.owner_type, cell.owner_id, cell.period_id)
            )
        _load_child_targets(d, cells)
        changed = []
        for cell in cells:
            before = [getattr(cell, f) for f in DERIVED_FIELDS]
            derive(cell, d)
            if [getattr(cell, f) for f in DERIVED_FIELDS] != before:
                changed.append(cell)
        if changed:
            _save_cells(changed)  # an upsert: far cheaper than bulk_update's CASE per row
            count += len(changed)


def _targets_for(cells: list[Any]) -> dict[CellKey, int]:
    periods = {c.period_id for c in cells}
    owners = {c.owner_id for c in cells}
    metrics = {c.metric_id for c in cells}
    rows = KpiTarget.objects.filter(
        period_id__in=periods, owner_id__in=owners, metric_id__in=metrics
    ).values_list("metric_id", "owner_type", "owner_id", "period_id", "value")
    return {(m, t, o, p): v for m, t, o, p, v in rows}


def refresh_derived(
    *,
    keys: Iterable[CellKey] | None = None,
    period_ids: Iterable[int] | None = None,
    today: datetime.date | None = None,
) -> dict:
    """Target, attainment, expected-to-date, pace, status, required rate, forecast, coverage.

    `keys`: exactly these cells; a cell is created (zero actuals) where a target exists
    without one, and deleted where neither actuals nor a target remain. `period_ids`: every
    cell of these periods. Neither: every cell. Targets come from `KpiTarget`.
    """
    with transaction.atomic():
        _lock()
        d = _derive_context(today)
        if keys is None:
            qs = KpiValue.objects.all()
            if period_ids is not None:
                qs = qs.filter(period_id__in=list(period_ids))
            return {"cells": _refresh(qs, d)}
        keys = set(keys)
        existing = _load_cells(keys)
        targets: dict[CellKey, int] = {}
        for chunk in _chunks(sorted(keys), 500):
            targets.update(_targets_for([_Cell(*key) for key in chunk]))
        write: list[_Cell] = []
        drop: list[int] = []
        for key in keys:
            cell = existing.get(key)
            target = targets.get(key)
            if cell is None:
                if target is None:
                    continue
                cell = _Cell(*key)
            cell.target = target
            if target is None and _empty(cell):
                drop.append(cell.pk)
                continue
            write.append(cell)
        _load_child_targets(d, write)
        for cell in write:
            derive(cell, d)
        _save_cells(write)
        for chunk in _chunks(drop):
            KpiValue.objects.filter(pk__in=chunk).delete()
        return {"cells": len(write), "deleted": len(drop)}


def refresh_due(*, since: datetime.date | None, today: datetime.date | None = None) -> dict:
    """Refresh the cells of every period that overlaps since..today (pace moves daily)."""
    today = today or timezone.localdate()
    since = since or today - datetime.timedelta(days=1)
    ids = list(Period.objects.filter(start__lte=today, end__gte=since).values_list("id", flat=True))
    return refresh_derived(period_ids=ids, today=today) if ids else {"cells": 0}
