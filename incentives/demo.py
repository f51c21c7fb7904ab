"""Demo incentives: a plan per role, statements for the past quarters of this year (the first
paid, the second approved, one adjustment from a deal lost after payment), badges from the
rules and by hand, a closed contest with winners and an open one.

Runs after the KPI and target demos (published targets exist for the current year).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from incentives import services
from incentives.models import Statement
from salesgoals.models import Metric, Period, Role, User

if TYPE_CHECKING:
    from salesgoals.demo import DemoContext

REP_PLAN = [
    {
        "kind": "tiered",
        "key": "bonus",
        "label": "季度奖金",
        "metric": "revenue",
        "target_amount": "15000.00",
        "threshold_pct": "70",
        "accelerator": "1.5",
        "cap_pct": "200",
        "bands": [
            {"from_pct": "70", "to_pct": "100", "mode": "linear", "rate": "2", "step_pct": "40"},
            {"from_pct": "100", "to_pct": None, "mode": "linear", "rate": "2"},
        ],
    },
    {
        "kind": "commission",
        "key": "commission",
        "label": "销售提成",
        "metric": "revenue",
        "tiers": [
            {"from_amount": "0", "to_amount": "500000", "rate_pct": "1"},
            {"from_amount": "500000", "to_amount": None, "rate_pct": "1.5"},
        ],
    },
    {
        "kind": "spiff",
        "key": "big-deal",
        "label": "大单奖",
        "event": "won_deal",
        "amount": "800",
        "min_deal_amount": "200000",
        "max_count": 5,
    },
    {
        "kind": "spiff",
        "key": "contest",
        "label": "竞赛奖",
        "event": "contest_win",
        "amount": "2000",
    },
    {
        "kind": "badge",
        "key": "star",
        "label": "超额之星",
        "badge": "超额之星",
        "metric": "revenue",
        "min_attainment_pct": "120",
    },
    {
        "kind": "promotion",
        "key": "senior",
        "label": "晋升高级销售",
        "metric": "revenue",
        "level_pct": "100",
        "periods": 3,
        "required_course_codes": ["consultative-selling"],
    },
]

MANAGER_PLAN = [
    {
        "kind": "tiered",
        "key": "team-bonus",
        "label": "团队奖金",
        "metric": "revenue",
        "target_amount": "30000.00",
        "threshold_pct": "80",
        "accelerator": "2",
        "cap_pct": "180",
        "bands": [
            {"from_pct": "80", "to_pct": "90", "mode": "stepped", "step_pct": "50"},
            {"from_pct": "90", "to_pct": "100", "mode": "stepped", "step_pct": "25"},
            {"from_pct": "100", "to_pct": None, "mode": "linear", "rate": "1", "step_pct": "25"},
        ],
    },
    {
        "kind": "badge",
        "key": "team-star",
        "label": "冠军团队",
        "badge": "冠军团队",
        "metric": "revenue",
        "min_attainment_pct": "110",
    },
]

EXECUTIVE_PLAN = [
    {
        "kind": "tiered",
        "key": "annual",
        "label": "年度奖金",
        "metric": "revenue",
        "target_amount": "200000.00",
        "threshold_pct": "85",
        "cap_pct": "150",
        "bands": [
            {"from_pct": "85", "to_pct": None, "mode": "linear", "rate": "2", "step_pct": "50"}
        ],
    }
]


def _lose_a_deal(rep: User, period: Period) -> bool:
    """A won deal of a paid quarter is lost afterwards (the customer cancelled)."""
    from kpis.selectors import deal_list
    from kpis.services import deal_mark_lost

    deal = (
        deal_list(user=rep, owner=rep, status="won", date_from=period.start, date_to=period.end)
        .order_by("-amount_minor")
        .first()
    )
    if deal is None:
        return False
    from kpis.tasks import drain_outbox_task

    with transaction.atomic():
        deal_mark_lost(deal=deal, close_date=deal.close_date, by=rep)
    drain_outbox_task()  # the KPI rollup follows the lost deal before the next statements
    return True


def seed(ctx: DemoContext) -> dict[str, int]:
    admin = ctx.logins.get("admin")
    if admin is None or ctx.company is None:
        return {"plans": 0}
    rep_plan = services.plan_create(
        actor=admin,
        name="销售代表季度激励",
        description=(
            "季度奖金（70% 起算，超额 1.5 倍加速，封顶 200%）+ 阶梯提成 + 大单奖 + 表彰与晋升。"
        ),
        role=Role.REP,
        period_kind="quarter",
        components=REP_PLAN,
    )
    manager_plan = services.plan_create(
        actor=admin,
        name="销售经理团队激励",
        description="按团队销售额达成率发放，阶梯式奖金，超额部分线性加速。",
        role=Role.MANAGER,
        period_kind="quarter",
        components=MANAGER_PLAN,
    )
    services.plan_create(
        actor=admin,
        name="管理层年度激励",
        role=Role.EXECUTIVE,
        period_kind="year",
        components=EXECUTIVE_PLAN,
    )
    past = list(
        Period.objects.filter(
            kind="quarter",
            end__lt=ctx.today,
            fiscal_year__start__lte=ctx.today,
            fiscal_year__end__gte=ctx.today,
        ).order_by("start")
    )
    executive = ctx.logins.get("executive")
    manager = ctx.logins.get("manager")
    rep = ctx.logins.get("rep")
    revenue = Metric.objects.filter(code="revenue").first()
    counts = {"plans": 3, "statements": 0, "contests": 0, "adjustments": 0}
    if revenue is not None and len(past) >= 2 and executive is not None:
        contest = services.contest_create(
            actor=executive,
            name=f"{past[0].label} 冲刺赛",
            metric=revenue,
            period=past[0],
            winners=3,
            prize_minor=200000,
        )
        services.contest_close(actor=executive, contest=contest)
        current = services.current_period("quarter", ctx.today)
        if current is not None:
            services.contest_create(
                actor=executive,
                name=f"{current.label} 双十一冲刺",
                metric=revenue,
                period=current,
                winners=3,
                prize_minor=300000,
            )
        counts["contests"] = 2
    for index, period in enumerate(past):
        for plan in (rep_plan, manager_plan):
            done = services.statements_compute(plan=plan, period=period)
            counts["statements"] += len(done)
            if index < len(past) - 1:
                for statement in done:
                    approver = executive if statement.person.role == Role.MANAGER else None
                    approver = approver or _approver(statement.person) or executive
                    services.statement_approve(actor=approver, statement=statement)
                    if index < len(past) - 2:
                        services.statement_mark_paid(actor=admin, statement=statement)
        if index == 0 and rep is not None and len(past) > 1:
            # The rep's biggest deal of the paid first quarter is lost: an adjustment follows.
            _lose_a_deal(rep, period)
    if len(past) > 1 and rep is not None:
        # Not paid yet: the second quarter's statements stay approved; the paid first
        # quarter's change lands in the rep's earliest draft.
        counts["adjustments"] = Statement.objects.filter(
            person=rep, lines__kind="adjustment"
        ).count()
    if manager is not None and rep is not None:
        services.badge_award(
            actor=manager,
            person=rep,
            badge="客户之星",
            message="华东大客户续约，客户满意度满分！",
            period=past[-1] if past else None,
        )
    return counts


def _approver(person: User) -> User | None:
    unit = person.org_unit
    if unit is None:
        return None
    manager = unit.manager
    if manager is not None and manager.pk != person.pk and manager.is_active:
        return manager
    return None
