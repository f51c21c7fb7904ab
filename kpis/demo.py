"""Demo facts: two full previous years plus this year to date for every demo rep.

Deterministic (everything is drawn from `ctx.rng`) and shaped like a Chinese B2B sales team:
- about 6 new deals and 25 activities per rep and month, 4 leads (about a third converted);
- seasonality: a dip around Chinese New Year, peaks for 618 (June) and Double 11 (November),
  and pushes in the last days of each quarter (deals are closed then);
- won deals become sales orders within days, and payments follow the orders by weeks;
- some deals are shared between two reps of a team; a few are in USD or EUR with a rate;
- nothing before a rep's hire date or after their leave date.

Rows are written in bulk through `kpis.services.facts_bulk_import` without outbox keys; the
full rollup runs afterwards (when `kpis.rollup` is there), which is faster than draining
hundreds of thousands of keys.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from kpis.models import (
    Activity,
    Customer,
    Deal,
    DealShare,
    KpiValue,
    Lead,
    Order,
    Payment,
    Source,
)
from kpis.services import facts_bulk_import, targets_store
from salesgoals import money
from salesgoals.models import Metric, Period, PeriodKind, User

if TYPE_CHECKING:
    from salesgoals.demo import DemoContext

DEALS_PER_MONTH = 6.0
ACTIVITIES_PER_MONTH = 25.0
LEADS_PER_MONTH = 4.0

# Month weights: Chinese New Year (Jan/Feb) dip, 618 and Double 11 peaks.
MONTH_WEIGHT = {
    1: 0.85,
    2: 0.7,
    3: 1.05,
    4: 1.0,
    5: 1.05,
    6: 1.35,
    7: 0.95,
    8: 0.9,
    9: 1.05,
    10: 0.85,
    11: 1.45,
    12: 1.15,
}
# Spring Festival (春节) dates; the week before and ten days after are quiet.
SPRING_FESTIVAL = {
    2022: datetime.date(2022, 2, 1),
    2023: datetime.date(2023, 1, 22),
    2024: datetime.date(2024, 2, 10),
    2025: datetime.date(2025, 1, 29),
    2026: datetime.date(2026, 2, 17),
    2027: datetime.date(2027, 2, 6),
    2028: datetime.date(2028, 1, 26),
}

CITY = {
    "sh-1": "上海",
    "sh-2": "上海",
    "hz": "杭州",
    "nj": "南京",
    "gz": "广州",
    "sz": "深圳",
    "xm": "厦门",
    "bj-1": "北京",
    "bj-2": "北京",
    "tj": "天津",
}
WORDS = [
    *["恒信", "华辰", "瑞丰", "金桥", "远航", "百川", "中联", "新创", "宏达", "鼎盛"],
    *["天和", "汇通", "博远", "嘉禾", "永泰", "明德", "正泰", "安达", "华美", "联创"],
]
SUFFIXES = ["科技有限公司", "贸易有限公司", "实业有限公司", "集团", "电子有限公司"]
INDUSTRIES = ["制造", "零售", "医疗", "教育", "物流", "金融", "电子", "食品", "化工", "建材"]
PRODUCTS = [
    *["ERP 升级", "年度服务合同", "生产线改造", "云平台订阅", "设备采购"],
    *["培训服务", "数据中台", "智能仓储", "售后维保", "渠道合作"],
]
STAGES_OPEN = [
    ("初步接触", 10),
    ("需求确认", 30),
    ("方案报价", 50),
    ("商务谈判", 70),
    ("待签约", 90),
]
KINDS = [
    (Activity.Kind.CALL, 0.45, "电话跟进 {c}"),
    (Activity.Kind.VISIT, 0.25, "拜访{c}"),
    (Activity.Kind.MEETING, 0.2, "与{c}开会讨论方案"),
    (Activity.Kind.EMAIL, 0.07, "向{c}发送报价邮件"),
    (Activity.Kind.OTHER, 0.03, "整理{c}需求资料"),
]
FOREIGN = [("USD", Decimal("7.05"), Decimal("7.30")), ("EUR", Decimal("7.60"), Decimal("8.10"))]
DAY = datetime.timedelta(days=1)
# Average day weight of a plain week (weekends are quiet): volumes are per working month.
WEEK_NORM = (5 + 2 * 0.15) / 7


@dataclass
class _Rows:
    customers: list[Customer] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    shares: list[DealShare] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    counter: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def ext(self, kind: str) -> str:
        self.counter[kind] += 1
        return f"demo-{kind}-{self.counter[kind]:06d}"


def _day_weight(day: datetime.date) -> float:
    """How busy a day is: the month's weight, a quiet Spring Festival, quiet weekends."""
    weight = MONTH_WEIGHT[day.month]
    festival = SPRING_FESTIVAL.get(day.year)
    if festival and festival - 7 * DAY <= day <= festival + 10 * DAY:
        weight *= 0.25
    if day.weekday() >= 5:
        weight *= 0.15
    return weight


@functools.lru_cache(maxsize=4096)
def _close_weight(day: datetime.date) -> float:
    """How likely a deal closes on `day`: 618 and Double 11 peaks, quarter-end pushes."""
    weight = _day_weight(day)
    if (day.month == 6 and day.day <= 18) or (day.month == 11 and day.day <= 11):
        weight *= 1.7
    if day.month in (3, 6, 9, 12) and day.day >= 23:
        weight *= 1.8
    return weight


def _months(start: datetime.date, end: datetime.date) -> list[list[datetime.date]]:
    """The days from start to end, grouped by calendar month."""
    months: dict[tuple[int, int], list[datetime.date]] = {}
    day = start
    while day <= end:
        months.setdefault((day.year, day.month), []).append(day)
        day += DAY
    return list(months.values())


class _RepSeeder:
    def __init__(self, ctx: DemoContext, rows: _Rows, rep: User, team: list[User]) -> None:
        self.ctx, self.rng, self.rows, self.rep = ctx, ctx.rng, rows, rep
        self.team = [m for m in team if m.pk != rep.pk]
        self.unit = rep.org_unit
        self.city = CITY.get(rep.org_unit.code or "", "上海")
        first = datetime.date(ctx.today.year - 2, 1, 1)
        self.start = max(first, rep.hire_date or first)
        # Deals start a quarter earlier, so the first months already have closings.
        self.deal_start = max(first - 90 * DAY, rep.hire_date or first)
        self.end = min(ctx.today, rep.leave_date or ctx.today)
        self.skill = self.rng.uniform(0.75, 1.3)
        self.customers: list[Customer] = []
        self.deals: list[Deal] = []

    # -- helpers
    def _poisson(self, mean: float) -> int:
        # Knuth's method; means here are small.
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _days(self, days: list[datetime.date], per_month: float) -> list[datetime.date]:
        weights = [_day_weight(d) for d in days]
        mean_weight = sum(weights) / len(days) / WEEK_NORM
        scale = (len(days) / 30.4) * per_month * self.skill * mean_weight
        n = self._poisson(scale)
        return sorted(self.rng.choices(days, weights=weights, k=n)) if n else []

    def _customer(self, day: datetime.date) -> Customer:
        rng = self.rng
        name = f"{self.city}{rng.choice(WORDS)}{rng.choice(SUFFIXES)}"
        customer = Customer(
            source=Source.MANUAL,
            external_id=self.rows.ext("customer"),
            owner=self.rep,
            org_unit=self.unit,
            name=name,
            industry=rng.choice(INDUSTRIES),
            city=self.city,
            created_date=day,
        )
        self.rows.customers.append(customer)
        self.customers.append(customer)
        return customer

    def _existing_customer(self, day: datetime.date) -> Customer | None:
        known = [c for c in self.customers if c.created_date <= day]
        return self.rng.choice(known[-40:]) if known else None

    def _amount(self, day: datetime.date) -> tuple[str, Decimal, int, int]:
        """(currency, rate, original minor units, base minor units)."""
        rng = self.rng
        base = rng.lognormvariate(math.log(60000), 0.75) * (0.8 + 0.2 * MONTH_WEIGHT[day.month])
        original = Decimal(int(base / 100) * 100 + 100)
        roll = rng.random()
        if roll < 0.03:
            code, low, high = FOREIGN[0] if roll < 0.02 else FOREIGN[1]
            rate = money.quantize_rate(low + (high - low) * Decimal(rng.randint(0, 100)) / 100)
            original = (original / rate).quantize(Decimal(100))
            return code, rate, money.to_minor(original), money.convert_to_base(original, rate)
        minor = money.to_minor(original)
        return money.base_currency(), Decimal(1), minor, minor

    # -- facts
    def seed(self) -> None:
        if self.start > self.end or self.unit is None:
            return
        rng = self.rng
        for offset in sorted(rng.sample(range(0, 25), 6)):
            self._customer(min(self.deal_start + offset * DAY, self.end))
        for days in _months(self.deal_start, self.end):
            for day in self._days(days, DEALS_PER_MONTH):
                self._deal(day)
            inside = [d for d in days if d >= self.start]
            if not inside:
                continue
            for day in self._days(inside, LEADS_PER_MONTH):
                self._lead(day)
            for day in self._days(inside, ACTIVITIES_PER_MONTH):
                self._activity(day)

    def _lead(self, day: datetime.date) -> None:
        rng = self.rng
        converted = day + rng.randint(5, 40) * DAY
        status = Lead.Status.OPEN
        customer = None
        if converted <= self.end and rng.random() < 0.33:
            status = Lead.Status.CONVERTED
            customer = self._customer(converted)
        elif converted <= self.end and rng.random() < 0.3:
            status, converted = Lead.Status.DISQUALIFIED, None
        else:
            converted = None
        self.rows.leads.append(
            Lead(
                source=Source.MANUAL,
                external_id=self.rows.ext("lead"),
                owner=self.rep,
                org_unit=self.unit,
                name=f"{rng.choice(['展会', '官网', '转介绍', '电话营销'])}线索 · {self.city}",
                company=f"{self.city}{rng.choice(WORDS)}{rng.choice(SUFFIXES)}",
                status=status,
                created_date=day,
                converted_date=converted if status == Lead.Status.CONVERTED else None,
                customer=customer,
            )
        )

    def _deal(self, created: datetime.date) -> None:
        rng, rows = self.rng, self.rows
        customer = self._existing_customer(created) if rng.random() < 0.75 else None
        customer = customer or self._customer(created)
        candidates = [created + days * DAY for days in range(10, 81)]
        close = rng.choices(candidates, weights=[_close_weight(d) for d in candidates])[0]
        if self.rep.leave_date and close > self.rep.leave_date:
            close = max(created, self.rep.leave_date)
        if close > self.ctx.today:
            status = Deal.Status.OPEN
            stage, probability = rng.choice(STAGES_OPEN)
        else:
            won = rng.random() < min(0.6, max(0.15, 0.36 * self.skill))
            status = Deal.Status.WON if won else Deal.Status.LOST
            stage, probability = ("赢单", 100) if won else ("输单", 0)
        code, rate, original, base = self._amount(created)
        deal = Deal(
            source=Source.MANUAL,
            external_id=rows.ext("deal"),
            owner=self.rep,
            org_unit=self.unit,
            name=f"{customer.name[2:6]} · {rng.choice(PRODUCTS)}",
            customer=customer,
            stage=stage,
            status=status,
            probability=probability,
            created_date=created,
            close_date=close,
            amount_minor=base,
            currency=code,
            original_amount_minor=original,
            exchange_rate=rate,
        )
        rows.deals.append(deal)
        self._shares(deal)
        self.deals.append(deal)
        if status == Deal.Status.WON:
            self._orders(deal)

    def _shares(self, deal: Deal) -> None:
        rng = self.rng
        partners = [
            m
            for m in self.team
            if (m.hire_date or deal.created_date) <= deal.created_date
            and (m.leave_date is None or m.leave_date >= deal.close_date)
        ]
        if not partners or rng.random() >= 0.08:
            return
        mine = rng.choice([5000, 6000, 7000])
        partner = rng.choice(partners)
        self.rows.shares += [
            DealShare(deal=deal, user=self.rep, org_unit=self.unit, share_bp=mine),
            DealShare(deal=deal, user=partner, org_unit=partner.org_unit, share_bp=10000 - mine),
        ]

    def _orders(self, deal: Deal) -> None:
        rng = self.rng
        first = deal.close_date + rng.randint(0, 10) * DAY
        parts = [(first, deal.original_amount_minor)]
        if rng.random() < 0.2:  # delivered in two lots
            head = deal.original_amount_minor * 6 // 10
            second = first + rng.randint(20, 60) * DAY
            parts = [(first, head), (second, deal.original_amount_minor - head)]
        for day, original in parts:
            if day > self.end:
                continue
            base = (
                original
                if deal.currency == money.base_currency()
                else money.convert_to_base(money.from_minor(original), deal.exchange_rate)
            )
            order = Order(
                source=Source.MANUAL,
                external_id=self.rows.ext("order"),
                owner=self.rep,
                org_unit=self.unit,
                customer=deal.customer,
                deal=deal,
                number=f"SO-{day:%Y%m}-{self.rows.counter['order']:05d}",
                order_date=day,
                amount_minor=base,
                currency=deal.currency,
                original_amount_minor=original,
                exchange_rate=deal.exchange_rate,
            )
            self.rows.orders.append(order)
            self._payments(order)

    def _payments(self, order: Order) -> None:
        rng = self.rng
        first = order.order_date + rng.randint(14, 56) * DAY
        parts = [(first, order.original_amount_minor)]
        if rng.random() < 0.25:
            half = order.original_amount_minor // 2
            second = first + rng.randint(28, 70) * DAY
            parts = [(first, half), (second, order.original_amount_minor - half)]
        for day, original in parts:
            if day > self.end:
                continue
            base = (
                original
                if order.currency == money.base_currency()
                else money.convert_to_base(money.from_minor(original), order.exchange_rate)
            )
            self.rows.payments.append(
                Payment(
                    source=Source.MANUAL,
                    external_id=self.rows.ext("payment"),
                    owner=self.rep,
                    org_unit=self.unit,
                    customer=order.customer,
                    order=order,
                    payment_date=day,
                    reference=f"回款-{day:%Y%m%d}-{self.rows.counter['payment']:05d}",
                    amount_minor=base,
                    currency=order.currency,
                    original_amount_minor=original,
                    exchange_rate=order.exchange_rate,
                )
            )

    def _activity(self, day: datetime.date) -> None:
        rng = self.rng
        customer = self._existing_customer(day) or self._customer(day)
        roll, kind, template = rng.random(), KINDS[0][0], KINDS[0][2]
        for k, share, text in KINDS:
            if roll < share:
                kind, template = k, text
                break
            roll -= share
        deal = None
        recent = [d for d in self.deals[-8:] if d.created_date <= day <= d.close_date]
        if recent and rng.random() < 0.4:
            deal = rng.choice(recent)
            customer = deal.customer or customer
        self.rows.activities.append(
            Activity(
                source=Source.MANUAL,
                external_id=self.rows.ext("activity"),
                owner=self.rep,
                org_unit=self.unit,
                kind=kind,
                activity_date=day,
                subject=template.format(c=customer.name),
                customer=customer,
                deal=deal,
            )
        )


def seed(ctx: DemoContext) -> dict[str, int]:
    """Add the demo facts for every rep of `ctx`, then run the full rollup if it exists."""
    rows = _Rows()
    reps = sorted(ctx.reps, key=lambda r: r.pk)
    by_team: dict[int, list[User]] = defaultdict(list)
    for rep in reps:
        by_team[rep.org_unit_id].append(rep)
    for rep in reps:
        _RepSeeder(ctx, rows, rep, by_team[rep.org_unit_id]).seed()
    counts = facts_bulk_import(
        customers=rows.customers,
        leads=rows.leads,
        deals=rows.deals,
        shares=rows.shares,
        orders=rows.orders,
        payments=rows.payments,
        activities=rows.activities,
        record_outbox=False,
    )
    from kpis import rollup

    rollup.full_recompute(today=ctx.today)
    counts["targets"] = seed_targets(ctx)
    return counts


TARGET_METRICS = ("revenue", "orders", "payments", "deals_won", "new_customers", "activities")
TARGET_GROWTH = Decimal("1.10")


def seed_targets(ctx: DemoContext) -> int:
    """Demo target numbers for the current fiscal year: last year's months plus 10%.

    Months are the base; weeks split each month by working days (exact sum), quarters and the
    year add up their months, so the numbers are consistent in every direction. Target plans
    with SMART fields and approval belong to the targets app; these are the numbers only.
    """
    current = next((fy for fy in ctx.fiscal_years if fy.contains(ctx.today)), None)
    previous = next((fy for fy in ctx.fiscal_years if fy.year == (current.year - 1)), None)
    if current is None or previous is None:
        return 0
    periods = list(Period.objects.filter(fiscal_year=current))
    months = {p.number: p for p in periods if p.kind == PeriodKind.MONTH}
    weeks_of = defaultdict(list)
    for p in periods:
        if p.kind == PeriodKind.WEEK:
            weeks_of[p.parent_id].append(p)
    quarter_of = {p.pk: p.parent_id for p in months.values()}
    year_id = next(p.pk for p in periods if p.kind == PeriodKind.YEAR)
    stored = 0
    for code in TARGET_METRICS:
        metric = Metric.objects.get(code=code)
        last_year = KpiValue.objects.filter(
            metric=metric, period__fiscal_year=previous, period__kind=PeriodKind.MONTH
        ).values_list("owner_type", "owner_id", "period__number", "actual")
        rows: dict[tuple[str, int, int], int] = defaultdict(int)
        for owner_type, owner_id, number, actual in last_year:
            month = months.get(number)
            if month is None or actual <= 0:
                continue
            value = int((Decimal(actual) * TARGET_GROWTH).to_integral_value())
            rows[(owner_type, owner_id, month.pk)] += value
            rows[(owner_type, owner_id, quarter_of[month.pk])] += value
            rows[(owner_type, owner_id, year_id)] += value
            weeks = sorted(weeks_of[month.pk], key=lambda w: w.start)
            for week, part in zip(
                weeks, _split_by_weights(value, [w.working_days for w in weeks]), strict=True
            ):
                rows[(owner_type, owner_id, week.pk)] += part
        result = targets_store(
            metric=metric,
            rows=[(t, o, p, v) for (t, o, p), v in rows.items()],
            source_ref="demo",
            today=ctx.today,
        )
        stored += result.get("stored", len(rows))
    return stored


def _split_by_weights(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of `total` by `weights` (sums exactly; even if all are 0)."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts
