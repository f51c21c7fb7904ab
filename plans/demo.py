"""Demo feedback threads (反馈) in Chinese, through `plans.services`.

Seven items from the demo team (login `rep` and `manager`) and from other regions, in every
status: a competitor's price cut on the revenue plan answered and actioned by the manager, a
customer need acknowledged, an anonymous process suggestion still open, a resource request
closed by its author after the thread, a market change in another region, a manager's process
issue acknowledged by the executive, and an open training wish. Runs after `targets.demo` (the
revenue plan is linked when it exists). Deterministic: choices come from `ctx.rng`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from plans import services
from plans.models import Feedback
from salesgoals.models import User
from targets.models import TargetPlan

if TYPE_CHECKING:
    from salesgoals.demo import DemoContext


def _revenue_plan(ctx: DemoContext) -> TargetPlan | None:
    return (
        TargetPlan.objects.filter(org_unit=ctx.company, metric__code="revenue")
        .order_by("-fiscal_year__year")
        .first()
    )


def _backdate(item: Feedback, ctx: DemoContext, days: int) -> None:
    when = timezone.make_aware(
        datetime.datetime.combine(ctx.today - datetime.timedelta(days=days), datetime.time(10))
    )
    Feedback.objects.filter(pk=item.pk).update(created_at=when)


def seed(ctx: DemoContext) -> None:
    rep, manager = ctx.logins.get("rep"), ctx.logins.get("manager")
    executive = ctx.logins.get("executive")
    if rep is None or manager is None or executive is None:
        return
    active = [r for r in ctx.reps if r.is_active and r.pk != rep.pk]
    teammates = [r for r in active if r.org_unit_id == rep.org_unit_id]
    elsewhere = [
        r for r in active if r.org_unit and not r.org_unit.path.startswith(manager.org_unit.path)
    ]
    teammate = ctx.rng.choice(teammates) if teammates else rep
    other_a = ctx.rng.choice(elsewhere) if elsewhere else rep
    other_b = ctx.rng.choice(elsewhere) if elsewhere else rep
    plan = _revenue_plan(ctx)

    def thread(author: User, days: int, replies: list[tuple[User, str]], statuses, **fields):
        item = services.feedback_create(actor=author, **fields)
        for who, text in replies:
            services.feedback_respond(actor=who, feedback=item, text=text)
        for who, status in statuses:
            item = services.feedback_set_status(actor=who, feedback=item, status=status)
        _backdate(item, ctx, days)
        return item

    thread(
        rep,
        20,
        [
            (manager, "收到，请整理受影响的客户清单，本周五前发我。"),
            (rep, "已整理 12 家客户，其中 5 家在续约期。"),
            (manager, "已申请针对这 5 家的限时折扣，并在下月目标修订中考虑影响。"),
        ],
        [(manager, "acknowledged"), (manager, "actioned")],
        category="competitor",
        plan=plan,
        title="竞争对手在华东大幅降价",
        text="某竞品本月起对中小客户报价下调约 15%，已有两家客户要求重新议价，"
        "预计影响本季度营收目标的达成。",
    )
    thread(
        rep,
        12,
        [(manager, "这个需求很普遍，我会和财务确认季度账期的可行性。")],
        [(manager, "acknowledged")],
        category="customer_need",
        title="客户希望改为季度结算",
        text="三家重点客户提出按季度结算货款，若能支持，可提前锁定下半年订单。",
    )
    thread(
        rep,
        6,
        [],
        [],
        category="process",
        anonymous=True,
        title="建议简化报价审批流程",
        text="目前小额报价也要经过三级审批，平均耗时两天，常常错过客户的决策窗口。"
        "建议 5 万元以下由团队经理直接审批。",
    )
    thread(
        teammate,
        30,
        [
            (manager, "已从华北借调两台样机，下周一到货。"),
            (teammate, "样机已收到，谢谢！"),
        ],
        [(manager, "acknowledged"), (manager, "actioned"), (teammate, "closed")],
        category="resources",
        title="演示样机不足",
        text="团队只有一台演示样机，本月有六场客户演示时间冲突。",
    )
    thread(
        other_a,
        4,
        [],
        [],
        category="market_change",
        plan=plan,
        title="地方补贴政策退坡",
        text="本省对行业设备的采购补贴将于下月结束，部分客户推迟了采购计划，"
        "建议评估对下季度目标的影响。",
    )
    thread(
        manager,
        9,
        [(executive, "同意统一口径，请销售运营牵头下周给出方案。")],
        [(executive, "acknowledged")],
        category="process",
        title="CRM 商机阶段定义不统一",
        text="各区域对“方案确认”阶段的理解不同，导致赢单率和预测数据无法横向比较。",
    )
    thread(
        other_b,
        2,
        [],
        [],
        category="other",
        title="希望增加新产品培训",
        text="新产品线下月上市，团队对技术参数还不熟悉，希望安排一次集中培训。",
    )

    from plans import demo_actions

    demo_actions.seed(ctx)

    from plans import demo_reports

    demo_reports.seed(ctx)
