"""A small company with a bit of everything, dated around the real today, for the tests that
run every periodic task (twice, or from two "beat" processes at once).

Tasks read `timezone.localdate()`, so the data is placed relative to it: facts and revenue
targets in the running month (someone ahead, someone far behind), an action-plan task due
tomorrow and one overdue, no weekly reports (everyone is reminded), a certification expiring
soon and an overdue course, an incentive plan whose last quarter just needs closing, target
plans (one approved and waiting for its year), a CRM connection due for a sync, an old read
notification, a notification waiting for its e-mail and a task waiting for the relay.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from crm_sync.models import Connection, SyncRun
from incentives.models import IncentivePlan
from kpis import rollup
from kpis import services as kpi_services
from kpis.models import OwnerType
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, Notification, PendingTask, Period
from salesgoals.services import fiscal_year_generate, notification_send
from targets import services as target_services
from targets.models import TargetPlan
from tests.core.org_fixtures import Org, build_org
from tests.crm_sync.conftest import zoho_connection
from tests.incentives.helpers import COMMISSION, set_cell
from tests.incentives.helpers import make_plan as make_incentive_plan
from tests.targets.plan_fixtures import draft


@dataclass
class World:
    org: Org
    today: datetime.date
    month: Period
    last_quarter: Period
    plan: TargetPlan
    incentive_plan: IncentivePlan
    connection: Connection
    run: SyncRun
    emailed: Notification
    extra: dict[str, Any] = field(default_factory=dict)


def _period(kind: str, day: datetime.date) -> Period:
    return Period.objects.get(kind=kind, start__lte=day, end__gte=day)


def build_world(zoho: Any) -> World:
    today = timezone.localdate()
    seed_metrics(Metric)
    for year in (today.year - 1, today.year):
        fiscal_year_generate(year=year)
    org = build_org()
    month = _period("month", today)
    quarter = _period("quarter", today)
    last_quarter = _period("quarter", quarter.start - datetime.timedelta(days=1))

    # KPIs: this month rep A is ahead, rep B far behind, rep C at nothing; rolled up
    won = max(month.start, today - datetime.timedelta(days=1))
    for rep, amount in ((org.rep, "60000.00"), (org.rep_b, "10000.00")):
        kpi_services.deal_upsert(
            owner=rep,
            name=f"Deal of {rep.username}",
            amount=Decimal(amount),
            created_date=won - datetime.timedelta(days=20),
            close_date=won,
            status="won",
        )
    kpi_services.activity_upsert(owner=org.rep, subject="Visit", activity_date=won)
    rollup.full_recompute(today=today)
    kpi_services.targets_store(
        metric=Metric.objects.get(code="revenue"),
        rows=[
            (OwnerType.REP, org.rep.pk, month.pk, 80_000_00),
            (OwnerType.REP, org.rep_b.pk, month.pk, 80_000_00),
            (OwnerType.REP, org.rep_c.pk, month.pk, 80_000_00),
            (OwnerType.UNIT, org.north.pk, month.pk, 160_000_00),
            (OwnerType.UNIT, org.company.pk, month.pk, 240_000_00),
        ],
        source_ref="test",
        today=today,
    )
    # ...and a fact logged since, waiting in the outbox
    kpi_services.activity_upsert(owner=org.rep_b, subject="Call", activity_date=won)

    # Targets: a plan approved (published) and one approved before its year began
    plan = target_services.plan_create(actor=org.executive, draft=draft(org), today=today)
    target_services.plan_submit(plan=plan, actor=org.executive)
    plan = target_services.plan_approve(plan=plan, actor=org.admin, today=today)
    waiting = target_services.plan_create(
        actor=org.executive,
        draft=draft(org, metric=Metric.objects.get(code="orders"), value=5_000_000_00),
        today=today,
    )
    TargetPlan.objects.filter(pk=waiting.pk).update(status=TargetPlan.Status.APPROVED)

    # Incentives: a quarterly commission plan with last quarter's numbers
    incentive_plan = make_incentive_plan(org.admin, COMMISSION)
    for rep, actual in ((org.rep, 900_000_00), (org.rep_b, 200_000_00)):
        set_cell(rep, last_quarter, actual=actual, target=None)

    # Plans: a task due tomorrow and one overdue; nobody wrote last week's report
    from plans.services import actions as plan_services

    strategy = plan_services.strategy_create(
        actor=org.manager,
        name="Win back lapsed customers",
        kind="customer_satisfaction",
        goal="Call every customer who has not ordered for 90 days.",
        owner=org.manager,
        org_unit=org.north,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=60),
        budget=5_000_00,
    )
    action_plan = plan_services.action_plan_create(
        actor=org.manager,
        title="Team A push",
        org_unit=org.team_a,
        owner=org.manager,
        strategy=strategy,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=30),
    )
    for title, due in (("Due tomorrow", 1), ("Was due", -2)):
        plan_services.task_create(
            actor=org.manager,
            plan=action_plan,
            title=title,
            owner=org.rep,
            start_date=today - datetime.timedelta(days=20),
            due_date=today + datetime.timedelta(days=due),
        )

    # Training: a certification expiring in ten days and an overdue assignment
    from training.models import Certification, Course, RecommendationRule
    from training.services import assignments as training_assignments

    course = Course.objects.create(
        code="safety", title="Safety", certifying=True, certification_valid_months=12
    )
    Certification.objects.create(
        user=org.rep,
        course=course,
        issued_on=today - datetime.timedelta(days=355),
        expires_on=today + datetime.timedelta(days=10),
    )
    for assignment in training_assignments.assign(
        actor=org.manager, course=course, users=[org.rep_b], due_on=today
    ):
        type(assignment).objects.filter(pk=assignment.pk).update(
            due_on=today - datetime.timedelta(days=3)
        )
    RecommendationRule.objects.create(
        name="Behind on revenue",
        metric=Metric.objects.get(code="revenue"),
        condition="attainment_below",
        months=1,
        threshold=80,
        course=course,
    )

    # CRM: an enabled connection due for its schedule, and a queued run
    owner = zoho.add_user("Rep A", org.rep.email or "r@example.com")
    for i in range(25):
        zoho.add_deal(owner, Decimal(f"{100 + i}.50"))
    connection = zoho_connection(zoho, objects_enabled=["Deals"], schedule_minutes=60)
    run = SyncRun.objects.create(connection=connection, trigger="manual")

    # Core: an old read notification, one waiting for its e-mail, a task for the relay
    old = notification_send(recipient=org.rep_c, title="Old news")
    Notification.objects.filter(pk=old.pk).update(
        read_at=timezone.now() - datetime.timedelta(days=400)
    )
    emailed = Notification.objects.create(recipient=org.rep_b, title="Please read")
    PendingTask.objects.create(task="salesgoals.tasks.ping_task", kwargs={"value": 2})

    return World(
        org=org,
        today=today,
        month=month,
        last_quarter=last_quarter,
        plan=plan,
        incentive_plan=incentive_plan,
        connection=connection,
        run=run,
        emailed=emailed,
    )
