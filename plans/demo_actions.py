"""Demo strategies, action plans and tasks (in Chinese), through `plans.services.actions`.

For the demo team 上海一组 (logins `manager` and `rep`) and its region 华东区: four strategies
(channel optimisation for the region on the revenue plan, customer satisfaction for the team,
a draft market promotion for next quarter, last quarter's finished campaign), a team plan with
tasks in every state (done, in progress, blocked by a dependency, blocked by hand, to do,
overdue, cancelled, a milestone), the rep's own plan (one task overdue, one due tomorrow) and
a finished plan in 广州组 (South). Dates are relative to `ctx.today`. Runs after
`targets.demo` (the target plans are linked when they exist) and takes well under a second.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from plans import services as feedback_services
from plans.models import ActionPlan, Feedback, PlanStatus, Strategy, Task
from plans.services import actions as services
from salesgoals.models import OrgUnit, User
from targets.models import TargetPlan

if TYPE_CHECKING:
    from salesgoals.demo import DemoContext


def _target(ctx: DemoContext, code: str) -> TargetPlan | None:
    return (
        TargetPlan.objects.filter(org_unit=ctx.company, metric__code=code)
        .order_by("-fiscal_year__year")
        .first()
    )


def _unit(code: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(code=code).select_related("manager").first()


class _Planner:
    """Creates tasks of one plan relative to today and moves them to their demo state."""

    def __init__(self, ctx: DemoContext, plan: ActionPlan, manager: User) -> None:
        self.ctx, self.plan, self.manager = ctx, plan, manager

    def day(self, offset: int) -> datetime.date:
        return self.ctx.today + datetime.timedelta(days=offset)

    def task(self, title: str, owner: User, start: int, due: int, **fields: Any) -> Task:
        return services.task_create(
            actor=self.manager,
            plan=self.plan,
            title=title,
            owner=owner,
            start_date=self.day(start),
            due_date=self.day(due),
            **fields,
        )

    def move(self, task: Task, who: User | None = None, **change: Any) -> Task:
        return services.task_set_status(actor=who or task.owner, task=task, **change)


def _strategies(ctx: DemoContext, team: OrgUnit, region: OrgUnit, manager: User) -> dict:
    region_manager = region.manager or manager
    revenue, retention = _target(ctx, "revenue"), _target(ctx, "retention_rate")
    today = ctx.today
    channel = services.strategy_create(
        actor=region_manager,
        name="华东经销渠道优化",
        kind=Strategy.Kind.CHANNEL_OPTIMISATION,
        goal="梳理现有 18 家经销商，淘汰低效渠道，新增两家覆盖苏南的核心经销商，"
        "把渠道贡献的营收占比从 35% 提升到 45%。",
        owner=region_manager,
        org_unit=region,
        target_plan=revenue,
        start_date=today - datetime.timedelta(days=45),
        end_date=today + datetime.timedelta(days=75),
        budget=200_000_00,
        expected_contribution=1_500_000_00 if revenue else None,
    )
    services.strategy_set_status(actor=region_manager, strategy=channel, status="active")
    care = services.strategy_create(
        actor=manager,
        name="重点客户满意度提升",
        kind=Strategy.Kind.CUSTOMER_SATISFACTION,
        goal="对前 30 名客户逐一回访，48 小时内响应投诉，季度满意度调研得分提升到 90 分以上，"
        "降低续约流失。",
        owner=manager,
        org_unit=team,
        target_plan=retention,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=60),
        budget=30_000_00,
        expected_contribution=300 if retention else None,  # +3 percentage points
    )
    services.strategy_set_status(actor=manager, strategy=care, status="active")
    services.strategy_create(
        actor=manager,
        name="新品线上市推广",
        kind=Strategy.Kind.MARKET_PROMOTION,
        goal="新产品线下季度上市：两场客户沙龙、一次线上直播，覆盖 200 家潜在客户。",
        owner=manager,
        org_unit=team,
        target_plan=revenue,
        start_date=today + datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=120),
        budget=80_000_00,
    )
    spring = services.strategy_create(
        actor=manager,
        name="上季度老客户促销",
        kind=Strategy.Kind.MARKET_PROMOTION,
        goal="对沉睡客户推出限时续订优惠，唤醒 20 家以上老客户。",
        owner=manager,
        org_unit=team,
        start_date=today - datetime.timedelta(days=150),
        end_date=today - datetime.timedelta(days=60),
        budget=15_000_00,
        expected_contribution=25,
    )
    services.strategy_set_status(actor=manager, strategy=spring, status="active")
    services.strategy_set_status(actor=manager, strategy=spring, status="done")
    return {"channel": channel, "care": care, "revenue": revenue}


def _team_plan(ctx: DemoContext, team: OrgUnit, manager: User, rep: User, care: Strategy):
    members = [r for r in ctx.reps if r.org_unit_id == team.pk and r.is_active and r != rep]
    mate_a = members[0] if members else rep
    mate_b = members[1] if len(members) > 1 else mate_a
    plan = services.action_plan_create(
        actor=manager,
        title="本季度重点客户回访攻坚",
        description="按客户营收排序，分三批完成回访；回访结论进入满意度调研和续约方案。",
        org_unit=team,
        owner=manager,
        strategy=care,
        start_date=ctx.today - datetime.timedelta(days=28),
        end_date=ctx.today + datetime.timedelta(days=45),
    )
    services.action_plan_set_status(actor=manager, plan=plan, status="active")
    p = _Planner(ctx, plan, manager)
    segment = p.task(
        "整理前 30 名客户清单与历史投诉",
        mate_a,
        -28,
        -21,
        hours=6,
        materials="CRM 客户报表、投诉记录",
    )
    p.move(segment, status="done")
    visits = p.task(
        "第一批 10 家客户上门回访",
        rep,
        -20,
        -3,
        depends_on=[segment],
        budget=3_000_00,
        hours=24,
        materials="回访问卷、礼品 10 份",
    )
    p.move(visits, status="in_progress", progress=70)  # overdue: due three days ago
    survey = p.task(
        "发放季度满意度调研",
        mate_b,
        -10,
        5,
        depends_on=[segment],
        budget=2_000_00,
        hours=8,
        materials="问卷星账号",
    )
    p.move(survey, status="in_progress", progress=40)
    second_batch = p.task(
        "第二批 10 家客户回访",
        rep,
        -2,
        14,
        depends_on=[visits],
        hours=24,
    )  # blocked: waits for the first batch
    p.task("回访中期复盘会", manager, 15, 15, is_milestone=True, depends_on=[visits, survey])
    quotes = p.task("续约报价方案审批", mate_a, 3, 20, hours=4)
    p.move(
        quotes,
        status="blocked",
        blocked_reason="等待财务确认季度结算的折扣上限",
    )
    p.task(
        "第三批 10 家客户回访",
        mate_b,
        15,
        35,
        depends_on=[second_batch],
        hours=24,
    )
    p.task("客户答谢会场地预订", mate_b, 5, 12, budget=8_000_00, materials="场地、茶歇")
    gifts = p.task("定制回访礼品", mate_a, -25, -15, budget=5_000_00)
    p.move(gifts, manager, status="cancelled")
    p.task("满意度结果汇报", manager, 38, 45, depends_on=[survey], hours=3)
    p.task("投诉客户专项回电", rep, -9, -1, hours=5)  # overdue, not started
    item = feedback_services.feedback_create(
        actor=mate_b,
        category=Feedback.Category.RESOURCES,
        task=visits,
        title="回访礼品取消后客户反馈冷淡",
        text="调研发放时有三家客户提到往年回访都有伴手礼，建议恢复小额礼品预算。",
    )
    feedback_services.feedback_respond(
        actor=manager, feedback=item, text="理解，第二批回访前我申请每家 200 元的预算。"
    )
    feedback_services.feedback_set_status(actor=manager, feedback=item, status="acknowledged")
    return plan


def _rep_plan(ctx: DemoContext, team: OrgUnit, manager: User, rep: User, revenue) -> ActionPlan:
    plan = services.action_plan_create(
        actor=manager,
        title="张小明 · 本月营收追赶计划",
        description="本月营收进度落后 12%，集中跟进 5 个大单并提高报价转化。",
        org_unit=team,
        rep=rep,
        owner=rep,
        target_plan=revenue,
        strategy=None if revenue else Strategy.objects.filter(org_unit=team).first(),
        start_date=ctx.today - datetime.timedelta(days=14),
        end_date=ctx.today + datetime.timedelta(days=16),
    )
    services.action_plan_set_status(actor=manager, plan=plan, status="active")
    p = _Planner(ctx, plan, manager)
    pipeline = p.task("梳理 5 个大单的决策链", rep, -14, -10, hours=4)
    p.move(pipeline, status="done")
    demo = p.task("安排两场产品演示", rep, -9, 1, depends_on=[pipeline], hours=6)
    p.move(demo, status="in_progress", progress=50)  # due tomorrow: a reminder goes out
    p.task("提交大单报价并跟进", rep, 2, 10, depends_on=[demo], budget=0, hours=10)
    weekly = p.task("每周与经理一对一复盘", rep, -7, -2, hours=1)
    p.move(weekly, progress=30)  # overdue
    p.task("月底冲刺节点", rep, 16, 16, is_milestone=True)
    return plan


def _finished_plan(ctx: DemoContext) -> None:
    team = _unit("gz")
    if team is None or team.manager is None:
        return
    manager = team.manager
    members = [r for r in ctx.reps if r.org_unit_id == team.pk and r.is_active]
    if not members:
        return
    region_strategy = services.strategy_create(
        actor=manager,
        name="广州渠道伙伴激励",
        kind=Strategy.Kind.CHANNEL_OPTIMISATION,
        goal="为三家核心渠道伙伴设立季度返利，提升渠道订单量 20%。",
        owner=manager,
        org_unit=team,
        start_date=ctx.today - datetime.timedelta(days=90),
        end_date=ctx.today - datetime.timedelta(days=5),
        budget=50_000_00,
    )
    plan = services.action_plan_create(
        actor=manager,
        title="渠道返利政策落地",
        org_unit=team,
        owner=manager,
        strategy=region_strategy,
        start_date=ctx.today - datetime.timedelta(days=80),
        end_date=ctx.today - datetime.timedelta(days=10),
    )
    services.action_plan_set_status(actor=manager, plan=plan, status="active")
    p = _Planner(ctx, plan, manager)
    policy = p.task("返利政策草案", manager, -80, -70)
    p.move(policy, status="done")
    sign = p.task("与三家伙伴签署补充协议", members[0], -69, -40, depends_on=[policy])
    p.move(sign, status="done")
    review = p.task("首月返利核算", members[-1], -39, -15, depends_on=[sign])
    p.move(review, status="done")
    services.action_plan_set_status(actor=manager, plan=plan, status="done")
    services.strategy_set_status(actor=manager, strategy=region_strategy, status="active")
    services.strategy_set_status(actor=manager, strategy=region_strategy, status="done")


def seed(ctx: DemoContext) -> dict[str, int]:
    manager, rep = ctx.logins.get("manager"), ctx.logins.get("rep")
    if manager is None or rep is None or manager.org_unit is None:
        return {"action_plans": 0}
    team = manager.org_unit
    region = OrgUnit.objects.filter(path=team.path[: -OrgUnit.steplen]).first() or team
    strategies = _strategies(ctx, team, region, manager)
    _team_plan(ctx, team, manager, rep, strategies["care"])
    _rep_plan(ctx, team, manager, rep, strategies["revenue"])
    _finished_plan(ctx)
    return {
        "strategies": Strategy.objects.count(),
        "action_plans": ActionPlan.objects.count(),
        "tasks": Task.objects.count(),
        "active": ActionPlan.objects.filter(status=PlanStatus.ACTIVE).count(),
    }
