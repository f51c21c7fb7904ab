"""Demo periodic reports (周报/月报) and a market change that led to an approved revision.

- A quarter of weekly reports (the last 13 ended weeks) from the demo team (login `rep` and
  two teammates), in Chinese, through `plans.services.reports`: most signed off by the team's
  manager (login `manager`), some with comments, one returned and rewritten, the latest week
  still waiting for sign-off; one teammate skipped two weeks (highlighted as missing).
- Monthly team reports of the manager's unit for the last three months, signed off by the
  executive.
- One market change — the end of a provincial purchase subsidy, logged by the executive from
  the matching feedback item — with −8% expected on payments (回款) and −5% on revenue in that
  region from next month; it proposes a revision of the demo payments plan
  (`market_change_propose_revision`; the revenue plan has its own revision from
  `targets.demo`), which the admin approves; the new version is published at once.

Runs from `plans.demo.seed` after `targets.demo`. Deterministic: choices come from `ctx.rng`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from plans.models import Feedback, MarketChange, PeriodicReport, ReportComment
from plans.services import market as market_services
from plans.services import reports as services
from salesgoals.models import Metric, OrgUnit, Period, PeriodKind, User
from targets import services as target_services
from targets.models import TargetPlan

if TYPE_CHECKING:
    from salesgoals.demo import DemoContext

ACHIEVEMENTS = [
    "拜访客户 {n} 家，新签合同 {k} 份。",
    "完成两场产品演示，其中一家进入商务谈判。",
    "老客户续约 {k} 家，回款到账约 {m} 万元。",
    "新增有效商机 {n} 个，赢单 {k} 个。",
]
PROBLEMS = [
    "",
    "",
    "竞品报价下调约 15%，两家客户要求重新议价。",
    "客户采购流程延长，部分订单推迟到下月。",
    "",
]
HELP = ["", "", "需要技术支持一起拜访重点客户。", "希望申请限时折扣审批。", ""]
NEXT = [
    "跟进 {n} 个重点商机，争取下周签约。",
    "安排回款催收，整理续约客户清单。",
    "准备新产品演示材料，预约三场拜访。",
]
COMMENTS = ["进展不错，重点客户要保持跟进。", "回款节奏要抓紧。", "折扣申请我来协调。"]


def _when(day: datetime.date, hour: int = 18) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _text(ctx: DemoContext, options: list[str]) -> str:
    return ctx.rng.choice(options).format(
        n=ctx.rng.randint(3, 9), k=ctx.rng.randint(1, 3), m=ctx.rng.randint(5, 40)
    )


def _write(
    ctx: DemoContext, author: User, period: Period, *, owner_type: str = "rep", unit=None
) -> PeriodicReport:
    report = services.report_create(
        actor=author,
        period=period,
        owner_type=owner_type,
        org_unit=unit,
        achievements=_text(ctx, ACHIEVEMENTS),
        problems=ctx.rng.choice(PROBLEMS),
        help_needed=ctx.rng.choice(HELP),
        next_steps=_text(ctx, NEXT),
    )
    return services.report_submit(actor=author, report=report)


def _backdate(report: PeriodicReport, period: Period) -> None:
    submitted = _when(period.end)
    PeriodicReport.objects.filter(pk=report.pk).update(
        created_at=submitted, submitted_at=submitted, updated_at=submitted
    )
    signed = _when(period.end + datetime.timedelta(days=2), 10)
    PeriodicReport.objects.filter(pk=report.pk, signed_off_at__isnull=False).update(
        signed_off_at=signed
    )
    ReportComment.objects.filter(report=report).update(created_at=signed)


def _weekly(ctx: DemoContext, manager: User, reps: list[User]) -> int:
    weeks = list(
        Period.objects.filter(kind=PeriodKind.WEEK, end__lt=ctx.today, working_days__gt=0).order_by(
            "-end"
        )[:13]
    )
    skipper = reps[-1] if len(reps) > 2 else None
    count = 0
    for age, week in enumerate(weeks):
        for rep in reps:
            if rep is skipper and age in (0, 2):
                continue  # missing: shown on the team's list
            if rep.hire_date and rep.hire_date > week.end:
                continue
            report = _write(ctx, rep, week)
            count += 1
            if age == 0:
                _backdate(report, week)
                continue  # the latest week waits for sign-off
            if age == 3 and rep.username == "rep":
                services.report_return(
                    actor=manager, report=report, text="请补充本周回款和重点商机的进展。"
                )
                services.report_update(
                    actor=rep,
                    report=report,
                    achievements=report.achievements + " 回款到账 12 万元，重点商机两个进入报价。",
                )
                report = services.report_submit(actor=rep, report=report)
            if ctx.rng.random() < 0.3:
                services.report_comment(actor=manager, report=report, text=ctx.rng.choice(COMMENTS))
                if ctx.rng.random() < 0.5:
                    services.report_comment(actor=rep, report=report, text="收到，谢谢！")
            services.report_sign_off(actor=manager, report=report)
            _backdate(report, week)
    return count


def _monthly(ctx: DemoContext, manager: User, executive: User) -> int:
    unit = manager.org_unit
    if unit is None:
        return 0
    months = list(
        Period.objects.filter(kind=PeriodKind.MONTH, end__lt=ctx.today).order_by("-end")[:3]
    )
    for month in months:
        report = _write(ctx, manager, month, owner_type="unit", unit=unit)
        services.report_sign_off(actor=executive, report=report, text="同意，下月继续盯紧回款。")
        _backdate(report, month)
    return len(months)


def _region_of(unit: OrgUnit | None, regions: list[OrgUnit]) -> OrgUnit | None:
    if unit is None:
        return regions[0] if regions else None
    return next((r for r in regions if unit.path.startswith(r.path)), unit)


def _market_change(ctx: DemoContext, executive: User, admin: User) -> MarketChange | None:
    plan = (
        TargetPlan.objects.filter(
            org_unit=ctx.company,
            metric__code="payments",
            status__in=[TargetPlan.Status.APPROVED, TargetPlan.Status.ACTIVE],
        )
        .order_by("-fiscal_year__year")
        .first()
    )
    if plan is None:
        return None
    feedback = Feedback.objects.filter(category=Feedback.Category.MARKET_CHANGE).first()
    region = _region_of(feedback.org_unit if feedback else None, ctx.regions)
    if region is None:
        return None
    effective = (ctx.today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    if effective > plan.fiscal_year.end:
        effective = ctx.today
    change = market_services.market_change_create(
        actor=executive,
        date=ctx.today - datetime.timedelta(days=3),
        org_unit=region,
        title="地方设备采购补贴退坡",
        description="本省对行业设备的采购补贴将于下月结束，部分客户推迟了采购和付款计划。"
        "预计该区域下月起回款下降约 8%，销售额下降约 5%。",
        category=MarketChange.Category.POLICY,
        effective_from=effective,
        impacts=[
            market_services.Impact(Metric.objects.get(code="payments"), -800),
            market_services.Impact(Metric.objects.get(code="revenue"), -500),
        ],
        feedback=feedback,
    )
    revision = market_services.market_change_propose_revision(
        actor=executive, market_change=change, plan=plan
    )
    target_services.revision_approve(revision=revision, actor=admin)
    # Published now, like `targets.demo` does: the after-commit task comes too late for the
    # demo (and never runs inside a test transaction). This is most of this module's time.
    target_services.plan_publish(plan_id=plan.pk, today=ctx.today)
    return change


def seed(ctx: DemoContext) -> dict[str, int]:
    rep, manager = ctx.logins.get("rep"), ctx.logins.get("manager")
    executive, admin = ctx.logins.get("executive"), ctx.logins.get("admin")
    if rep is None or manager is None or executive is None or admin is None:
        return {"reports": 0}
    team = sorted(
        (r for r in ctx.reps if r.is_active and r.org_unit_id == rep.org_unit_id),
        key=lambda r: (r.username != "rep", r.pk),
    )[:3]
    if rep not in team:
        team = [rep, *team[:2]]
    weekly = _weekly(ctx, manager, team)
    monthly = _monthly(ctx, manager, executive)
    change = _market_change(ctx, executive, admin)
    return {"reports": weekly + monthly, "market_changes": int(change is not None)}
