"""Demo target plans: the current fiscal year's approved company plans, split to every rep and week.

Runs after `kpis.demo` (facts, rollup, simple "last year + 10%" target numbers) and replaces
those numbers for the planned metrics with the plans' published cells, so the dashboards show
attainment against the approved plans:

- four company plans for the fiscal year containing `ctx.today`: revenue (split by seasonality
  from the history, pro-rated by headcount), payments (seasonality, shared by last year's
  payments), new customers (working days, headcount) and the conversion rate (a rate: every
  unit, rep and period inherits it); each is last year's actual plus 10–20%, created and
  submitted by the demo executive, approved by the demo admin and published at once (the
  after-commit task would publish too late for the demo, and never inside a test
  transaction). Where a seasonal split is impossible (a recent hire's own history has empty
  months) the plan falls back to working days;
- a few reps acknowledge their targets;
- one approved revision of the revenue plan (a competitor's price cut in South China: the rest
  of the year from the first day of next month 5% lower, past periods kept);
- the split profile "Retail seasonality" and, with it, a draft plan of the South China region
  for the next fiscal year (or, without a next year, a team plan in draft).

Deterministic: every random choice comes from `ctx.rng`. Everything goes through
`targets.services` except the split profile, which has no service (it is plain configuration).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from kpis.selectors import actuals_for
from kpis.services import targets_store
from salesgoals.models import FiscalYear, Metric, OrgUnit, Period, PeriodKind, User
from targets import services
from targets.models import (
    OwnerMethod,
    OwnerType,
    PeriodMethod,
    SplitProfile,
    TargetPlan,
    TargetRevision,
)
from targets.smart import PlanDraft
from targets.units import format_value

if TYPE_CHECKING:
    from salesgoals.demo import DemoContext

# What kpis.demo tags its simple demo target numbers with (see kpis/demo.py `seed_targets`).
KPIS_DEMO_SOURCE_REF = "demo"

OBJECTIVE = "2026–2028 战略：华东稳增长、华南抢份额、华北提效率，三年收入翻一番"

# (metric code, period split, owner split, growth range in %)
PLANS: tuple[tuple[str, str, str, tuple[int, int]], ...] = (
    ("revenue", PeriodMethod.SEASONAL, OwnerMethod.HEADCOUNT, (12, 18)),
    ("new_customers", PeriodMethod.WORKING_DAYS, OwnerMethod.HEADCOUNT, (10, 20)),
    ("conversion_rate", PeriodMethod.WORKING_DAYS, OwnerMethod.EVEN, (10, 15)),
    # Collections follow each rep's own receivables: shared by last year's payments.
    ("payments", PeriodMethod.SEASONAL, OwnerMethod.HISTORY, (10, 16)),
)

DESCRIPTIONS = {
    "revenue": (
        "{year}财年全公司赢单收入达到 {value}（{last_year}：{baseline}，增长 {growth}）。"
        "由各区域、各组按在岗人数分解到每位销售和每周，月度按近三年季节性（春节淡季、"
        "618 与双十一旺季）拆分；主要来源：老客户续约与增购、华南新行业拓展。"
    ),
    "new_customers": (
        "{year}财年新增首单客户 {value} 家（{last_year}：{baseline} 家，增长 {growth}）。"
        "按工作日拆分到每周、按在岗人数分到每位销售；以展会、官网与转介绍线索为主。"
    ),
    "conversion_rate": (
        "{year}财年商机赢单率（赢单 ÷ 已结束商机）达到 {value}（{last_year}：{baseline}）。"
        "比率不拆分：各区域、各组、每位销售每个周期都以此为目标，通过方案评审与报价复盘提升。"
    ),
    "payments": (
        "{year}财年回款 {value}（{last_year}：{baseline}，增长 {growth}）。"
        "按近三年回款季节性拆分到每周、按去年回款占比分到每位销售；逾期 60 天以上的应收"
        "每周跟进，季末前完成对账。"
    ),
}

# Said only when SMART validation warns (plan_create keeps it only then).
WARNINGS_REASON = (
    "增长幅度与去年季节性已在经营会上复核；新产品线和华南新行业客户支撑该目标，"
    "节假日未公布的月份将在国务院发布后重新核对工作日。"
)

REVISION_REASON = (
    "竞争对手自下月起在华南区大幅降价（约 8%），华南新签单价承压。"
    "经营会决定：自 {date} 起，剩余月份的收入目标下调 5%，已过去的周期保持不变。"
)

# Retail seasonality by fiscal month (1 = the first month of the fiscal year): the run-up to
# Spring Festival, a quiet February, 618 in June, Double 11 in November and year-end.
RETAIL_WEIGHTS = (9.5, 5.5, 7.5, 7.5, 8.0, 10.0, 7.0, 7.0, 8.0, 8.0, 12.5, 9.5)


def _shares_bp(weights: tuple[float, ...], total: int = 10000) -> list[int]:
    """Largest-remainder shares of `total` (exact sum, ties to the earlier month)."""
    whole = sum(weights)
    raw = [w * total / whole for w in weights]
    shares = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _grow(value: int, percent: Decimal, *, cap: int | None = None) -> int:
    grown = int((Decimal(value) * (100 + percent) / 100).to_integral_value(ROUND_HALF_UP))
    return min(grown, cap) if cap is not None else grown


def _year_period(fiscal_year: FiscalYear) -> Period:
    return Period.objects.get(fiscal_year=fiscal_year, kind=PeriodKind.YEAR)


def _unit_actual(metric: Metric, unit: OrgUnit, period: Period) -> int:
    return actuals_for(metric=metric, period_ids=[period.pk], owner_type=OwnerType.UNIT).get(
        (OwnerType.UNIT, unit.pk, period.pk), 0
    )


def _pct(percent: Decimal) -> str:
    return f"+{percent:.1f}%"


def _company_plan(
    ctx: DemoContext,
    *,
    code: str,
    period_method: str,
    owner_method: str,
    growth: tuple[int, int],
    current: FiscalYear,
    previous: FiscalYear,
) -> TargetPlan | None:
    executive, admin = ctx.logins["executive"], ctx.logins["admin"]
    metric = Metric.objects.get(code=code)
    last_year = _unit_actual(metric, ctx.company, _year_period(previous))
    if last_year <= 0:
        return None
    # Whole tenths of a percent from the seeded RNG.
    percent = Decimal(ctx.rng.randint(growth[0] * 10, growth[1] * 10)) / 10
    is_rate = metric.unit == Metric.Unit.PERCENT
    value = _grow(last_year, percent, cap=10000 if is_rate else None)
    if not is_rate and metric.unit == Metric.Unit.CURRENCY:
        value = value // 100_000_00 * 100_000_00  # a round number: whole ¥100,000
    description = DESCRIPTIONS[code].format(
        year=current.year,
        value=format_value(metric, value),
        last_year=previous.year,
        baseline=format_value(metric, last_year),
        growth=_pct(percent),
    )

    def create(period_method: str, owner_method: str) -> TargetPlan:
        return services.plan_create(
            actor=executive,
            draft=PlanDraft(
                metric=metric,
                fiscal_year=current,
                org_unit=ctx.company,
                value=value,
                description=description,
                objective=OBJECTIVE,
                period_method=period_method,
                owner_method=owner_method,
                warnings_reason=WARNINGS_REASON,
            ),
            today=ctx.today,
        )

    try:
        plan = create(period_method, owner_method)
    except ValidationError as error:
        # A seasonal split can be impossible when a rep's own history has empty months
        # (a recent hire): then split by working days, as a planner would.
        if period_method != PeriodMethod.SEASONAL or "cells" not in error.message_dict:
            raise
        plan = create(PeriodMethod.WORKING_DAYS, owner_method)
    services.plan_submit(plan=plan, actor=executive)
    return services.plan_approve(plan=plan, actor=admin, today=ctx.today)


def _publish(ctx: DemoContext, plan: TargetPlan) -> None:
    """Publish now (the after-commit task comes too late for the demo, and never in tests).

    The plan's numbers overwrite kpis' simple demo numbers of the metric (one target per
    metric, period and owner); the demo numbers the plan does not cover (people who left
    before the plan was made) would contradict it, so they go too.
    """
    services.plan_publish(plan_id=plan.pk, today=ctx.today)
    targets_store(
        metric=plan.metric,
        rows=[],
        source_ref=KPIS_DEMO_SOURCE_REF,
        replace=True,
        today=ctx.today,
    )


def _next_month_start(fiscal_year: FiscalYear, today: datetime.date) -> datetime.date:
    """The first day of the next fiscal month, or of this one in the year's last month."""
    months = list(
        Period.objects.filter(fiscal_year=fiscal_year, kind=PeriodKind.MONTH).order_by("start")
    )
    later = [m.start for m in months if m.start > today]
    if later:
        return later[0]
    return next(m.start for m in months if m.start <= today <= m.end)


def _revise_revenue(ctx: DemoContext, plan: TargetPlan) -> TargetRevision:
    """Competitor price cut: the rest of the year 5% lower from next month, the past kept."""
    executive, admin = ctx.logins["executive"], ctx.logins["admin"]
    effective = _next_month_start(plan.fiscal_year, ctx.today)
    company_line = plan.lines.get(owner_type=OwnerType.UNIT, owner_id=plan.org_unit_id)
    open_weeks = Period.objects.filter(
        fiscal_year=plan.fiscal_year, kind=PeriodKind.WEEK, end__gte=effective
    ).values_list("pk", flat=True)
    remaining = sum(company_line.value_of(pk) for pk in open_weeks)
    cut = int((Decimal(remaining) * 5 / 100).to_integral_value(ROUND_HALF_UP))
    south = next((r for r in ctx.regions if r.code == "south"), None)
    revision = services.revision_propose(
        plan=plan,
        actor=executive,
        effective_date=effective,
        reason=REVISION_REASON.format(date=f"{effective:%Y-%m-%d}"),
        mode=TargetRevision.Mode.KEEP_PAST,
        new_value=plan.value - cut,
        source_ref=f"market:{south.code}" if south else "",
    )
    return services.revision_approve(revision=revision, actor=admin)


def _acknowledge(ctx: DemoContext, plans: dict[str, TargetPlan]) -> list[User]:
    """A few reps confirm their targets; the demo `rep` leaves revenue (revised) to do."""
    reps = [r for r in sorted(ctx.reps, key=lambda r: r.pk) if r.is_active]
    chosen = ctx.rng.sample([r for r in reps if r.username != "rep"], k=min(6, len(reps) - 1))
    done = []
    for rep in chosen:
        for code in ("revenue", "new_customers"):
            plan = plans.get(code)
            if plan is not None and plan.lines.filter(owner_type="rep", owner_id=rep.pk).exists():
                services.plan_acknowledge(plan=plan, actor=rep)
        done.append(rep)
    demo_rep = ctx.logins.get("rep")
    for code in ("new_customers", "payments"):
        plan = plans.get(code)
        if demo_rep is not None and plan is not None:
            services.plan_acknowledge(plan=plan, actor=demo_rep)
    return done


def _profile() -> SplitProfile:
    profile, _created = SplitProfile.objects.get_or_create(
        name="Retail seasonality",
        defaults={
            "description": "零售季节性：春节前备货、二月淡季、618 与双十一旺季、年末冲刺",
            "month_shares_bp": _shares_bp(RETAIL_WEIGHTS),
        },
    )
    return profile


def _draft_plan(
    ctx: DemoContext,
    *,
    current: FiscalYear,
    profile: SplitProfile,
    company_revenue: TargetPlan | None,
) -> TargetPlan | None:
    """South China's revenue plan for next year in draft (or a team's plan for this year)."""
    metric = Metric.objects.get(code="revenue")
    following = next((fy for fy in ctx.fiscal_years if fy.year == current.year + 1), None)
    south = next((r for r in ctx.regions if r.code == "south"), None)
    if south is not None:
        south = OrgUnit.objects.select_related("manager").get(pk=south.pk)
    if following is not None and south is not None and south.manager_id:
        # This year's target for the region (its actual when there is no plan) plus 8–12%.
        base = _unit_actual(metric, south, _year_period(current))
        if company_revenue is not None:
            line = company_revenue.lines.filter(owner_type=OwnerType.UNIT, owner_id=south.pk)
            base = line[0].value_of(_year_period(current).pk) if line else base
        if base <= 0:
            return None
        value = _grow(base, Decimal(ctx.rng.randint(80, 120)) / 10)
        value = value // 100_000_00 * 100_000_00
        return services.plan_create(
            actor=south.manager,
            draft=PlanDraft(
                metric=metric,
                fiscal_year=following,
                org_unit=south,
                value=value,
                description=(
                    f"华南区 {following.year} 财年赢单收入 {format_value(metric, value)}，"
                    "按零售季节性拆分到各月，按在岗人数分到广州、深圳、厦门各组；"
                    "以医疗与物流行业新客户抵消竞品降价的影响。草稿，待区域经理提交。"
                ),
                objective=OBJECTIVE,
                period_method=PeriodMethod.PROFILE,
                profile=profile,
                owner_method=OwnerMethod.HEADCOUNT,
                warnings_reason=WARNINGS_REASON,
            ),
            today=ctx.today,
        )
    if company_revenue is None or not ctx.teams:
        return None
    team = ctx.teams[0]
    line = company_revenue.lines.get(owner_type=OwnerType.UNIT, owner_id=team.pk)
    value = line.value_of(_year_period(current).pk)
    return services.plan_create(
        actor=ctx.logins["manager"] if team.manager_id else ctx.logins["executive"],
        draft=PlanDraft(
            metric=metric,
            fiscal_year=current,
            org_unit=team,
            value=value,
            parent=company_revenue,
            description=f"{team.name} {current.year} 财年赢单收入 {format_value(metric, value)}，"
            "承接公司收入计划，按零售季节性拆分到各月。",
            period_method=PeriodMethod.PROFILE,
            profile=profile,
            owner_method=OwnerMethod.HEADCOUNT,
            warnings_reason=WARNINGS_REASON,
        ),
        today=ctx.today,
    )


def seed(ctx: DemoContext) -> dict[str, int]:
    current = next((fy for fy in ctx.fiscal_years if fy.contains(ctx.today)), None)
    previous = (
        next((fy for fy in ctx.fiscal_years if fy.year == current.year - 1), None)
        if current is not None
        else None
    )
    if current is None or previous is None or ctx.company is None:
        return {"plans": 0}
    plans: dict[str, TargetPlan] = {}
    for code, period_method, owner_method, growth in PLANS:
        plan = _company_plan(
            ctx,
            code=code,
            period_method=period_method,
            owner_method=owner_method,
            growth=growth,
            current=current,
            previous=previous,
        )
        if plan is not None:
            plans[code] = plan
    revisions = 0
    if "revenue" in plans:
        _revise_revenue(ctx, plans["revenue"])
        revisions = 1
    for plan in plans.values():
        # Once per plan: the revenue plan's revision followed its approval right away.
        _publish(ctx, plan)
    acknowledged = _acknowledge(ctx, plans)
    profile = _profile()
    draft = _draft_plan(ctx, current=current, profile=profile, company_revenue=plans.get("revenue"))
    return {
        "plans": len(plans) + (1 if draft is not None else 0),
        "revisions": revisions,
        "acknowledged": len(acknowledged),
    }
