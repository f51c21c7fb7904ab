"""One small world for the security tests: the org of `tests.core.org_fixtures`, a colleague
of the rep in Team A, and one object of every kind per owner.

Scope vocabulary used by the sweep (`test_authz_sweep.py`):

* ``own``   — belongs to the rep R (Team A, under North): inside every role's scope
  (admin and executive see all, the manager M manages North, R owns it);
* ``peer``  — belongs to R's colleague R2 in Team A: inside for admin, executive and M,
  outside for the rep R (a colleague's object);
* ``other`` — belongs to the rep RC of Team C under South: inside for admin and executive,
  outside for M and R.

Objects are built through the services (their real rules) except rows the services only make
as a by-product of long computations (statements, recommendations, sync runs), which are
inserted directly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crm_sync import services as crm_services
from crm_sync.models import CrmUser, Provider, SyncRun
from incentives import services as incentive_services
from incentives.models import Statement
from kpis import services as fact_services
from kpis.models import KpiValue, OwnerType
from plans import services as feedback_services
from plans.models import Feedback
from plans.services import actions as action_services
from plans.services import market as market_services
from plans.services import reports as report_services
from salesgoals import services as core_services
from salesgoals.models import CalendarDay, Metric, OrgUnit, Period, PeriodKind, Role, User
from salesgoals.services import fiscal_year_generate
from targets import services as target_services
from targets.models import SplitProfile, TargetPlan, TargetRevision
from targets.smart import PlanDraft
from tests.core.org_fixtures import Org, build_org
from tests.factories import UserFactory
from training import services as training_services
from training.models import Certification, Material, Recommendation, RecommendationRule

DAY = datetime.date(2026, 3, 11)  # a Wednesday in FY2026
TODAY = datetime.date(2026, 1, 15)
SCOPES = ("own", "peer", "other")


@dataclass
class World:
    org: Org
    rep2: User
    users: dict[str, User]  # role name -> the acting user
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> scope -> obj
    extra: dict[str, Any] = field(default_factory=dict)

    def owner(self, scope: str) -> User:
        return {"own": self.org.rep, "peer": self.rep2, "other": self.org.rep_c}[scope]

    def unit(self, scope: str) -> OrgUnit:
        return {"own": self.org.team_a, "peer": self.org.team_a, "other": self.org.team_c}[scope]

    def put(self, kind: str, scope: str, obj: Any) -> None:
        self.objects.setdefault(kind, {})[scope] = obj


def _week(day: datetime.date) -> Period:
    return Period.objects.get(kind=PeriodKind.WEEK, start__lte=day, end__gte=day)


def _period(kind: str, day: datetime.date) -> Period:
    return Period.objects.get(kind=kind, start__lte=day, end__gte=day)


def _target_plan(org: Org, unit: OrgUnit, metric: str, actor: User) -> TargetPlan:
    draft = PlanDraft(
        metric=Metric.objects.get(code=metric),
        fiscal_year=_period(PeriodKind.YEAR, DAY).fiscal_year,
        org_unit=unit,
        value=1_200_000_00,
        description=f"{unit.name} {metric} for 2026, through new logos and upsell.",
        objective="Grow",
        warnings_reason="New product line launches in March.",
    )
    return target_services.plan_create(actor=actor, draft=draft, today=TODAY)


def build_world() -> World:
    fiscal_year_generate(year=2025)
    fiscal_year_generate(year=2026)
    org = build_org()
    rep2 = UserFactory(username="r2", display_name="Rep A2", org_unit=org.team_a)
    world = World(
        org=org,
        rep2=rep2,
        users={
            "admin": org.admin,
            "executive": org.executive,
            "manager": org.manager,
            "rep": org.rep,
        },
    )
    put = world.put
    revenue = Metric.objects.get(code="revenue")
    week, month, quarter = _week(DAY), _period("month", DAY), _period("quarter", DAY)

    # --- core -------------------------------------------------------------------------------
    for scope, unit in (("own", org.team_a), ("peer", org.team_b), ("other", org.team_c)):
        put("unit", scope, unit)
    for scope in SCOPES:
        put("user", scope, world.owner(scope))
    put("metric", "own", revenue)
    put("period", "own", month)
    put("fiscal_year", "own", month.fiscal_year)
    put(
        "calendar_day",
        "own",
        CalendarDay.objects.create(
            date=datetime.date(2026, 5, 6), kind=CalendarDay.Kind.CLOSED, note="Company day"
        ),
    )

    # --- kpis facts --------------------------------------------------------------------------
    for scope in SCOPES:
        owner = world.owner(scope)
        customer = fact_services.customer_upsert(
            owner=owner, name=f"Customer {scope}", created_date=DAY
        )
        put("customer", scope, customer)
        put(
            "lead",
            scope,
            fact_services.lead_upsert(owner=owner, name=f"Lead {scope}", created_date=DAY),
        )
        put(
            "deal",
            scope,
            fact_services.deal_upsert(
                owner=owner,
                name=f"Deal {scope}",
                amount=Decimal("1000.00"),
                created_date=DAY,
                close_date=DAY + datetime.timedelta(days=30),
                customer=customer,
            ),
        )
        put(
            "order",
            scope,
            fact_services.order_upsert(owner=owner, order_date=DAY, amount=Decimal("500.00")),
        )
        put(
            "payment",
            scope,
            fact_services.payment_upsert(owner=owner, payment_date=DAY, amount=Decimal("300.00")),
        )
        put(
            "activity",
            scope,
            fact_services.activity_upsert(owner=owner, subject=f"Call {scope}", activity_date=DAY),
        )
        put(
            "kpi",
            scope,
            KpiValue.objects.create(
                metric=revenue,
                owner_type=OwnerType.REP,
                owner_id=owner.pk,
                period=month,
                actual=100_00,
                target=200_00,
                attainment_bp=5000,
            ),
        )

    # --- targets -----------------------------------------------------------------------------
    # own: a plan of North (R lies inside it); peer: Team B (M's, not R's); other: South.
    for scope, unit in (("own", org.north), ("peer", org.team_b), ("other", org.south)):
        put("target_plan", scope, _target_plan(org, unit, "revenue", org.executive))
    approved = _target_plan(org, org.north, "orders", org.executive)
    target_services.plan_submit(plan=approved, actor=org.executive)
    target_services.plan_approve(plan=approved, actor=org.admin, today=TODAY)
    revision = target_services.revision_propose(
        plan=approved,
        actor=org.executive,
        effective_date=datetime.date(2026, 4, 1),
        reason="Competitor price cut.",
        mode=TargetRevision.Mode.KEEP_PAST,
        new_value=1_100_000_00,
    )
    world.extra["month"] = month
    world.extra["quarter"] = quarter
    world.extra["approved_plan"] = approved
    world.extra["revision"] = revision
    put(
        "split_profile",
        "own",
        SplitProfile.objects.create(name="Flat", month_shares_bp=[834] * 4 + [833] * 8),
    )

    # --- crm_sync (admin-only configuration) -------------------------------------------------
    connection = crm_services.connection_create(
        provider=Provider.ZOHO,
        name="Zoho",
        region="cn",
        accounts_url="http://127.0.0.1:9/",
        api_url="http://127.0.0.1:9/",
        client_id="cid",
    )
    put("connection", "own", connection)
    put("mapping", "own", connection.mappings.first())
    put(
        "crm_user",
        "own",
        CrmUser.objects.create(
            connection=connection,
            external_id="zu-1",
            name="Zoho rep",
            email="zr@example.com",
            user=org.rep,
        ),
    )
    put(
        "run",
        "own",
        SyncRun.objects.create(
            connection=connection, trigger=SyncRun.Trigger.MANUAL, status=SyncRun.Status.SUCCEEDED
        ),
    )

    # --- plans: feedback, reports, market changes, strategies, action plans, tasks ------------
    for scope in SCOPES:
        owner = world.owner(scope)
        put(
            "feedback",
            scope,
            feedback_services.feedback_create(
                actor=owner,
                category=Feedback.Category.MARKET_CHANGE,
                title=f"Feedback {scope}",
                text="Competitor cut prices.",
                subject_type=Feedback.Subject.GENERAL,
            ),
        )
        put(
            "report",
            scope,
            report_services.report_create(
                actor=owner,
                period=week,
                achievements="Closed two deals.",
                next_steps="Visit three customers.",
            ),
        )
    manager_of = {"own": org.manager, "peer": org.manager, "other": org.manager_south}
    for scope in SCOPES:
        region = org.south if scope == "other" else org.north
        strategy = action_services.strategy_create(
            actor=manager_of[scope],
            name=f"Strategy {scope}",
            kind="customer_satisfaction",
            goal="Call lapsed customers.",
            owner=manager_of[scope],
            org_unit=region,
            start_date=DAY,
            end_date=DAY + datetime.timedelta(days=90),
            budget=5_000_00,
        )
        put("strategy", scope, strategy)
        plan = action_services.action_plan_create(
            actor=manager_of[scope],
            title=f"Action plan {scope}",
            org_unit=world.unit(scope),
            owner=manager_of[scope],
            rep=world.owner(scope),
            strategy=strategy,
            start_date=DAY,
            end_date=DAY + datetime.timedelta(days=60),
        )
        put("action_plan", scope, plan)
        put(
            "task",
            scope,
            action_services.task_create(
                actor=manager_of[scope],
                plan=plan,
                title=f"Task {scope}",
                owner=world.owner(scope),
                start_date=DAY,
                due_date=DAY + datetime.timedelta(days=7),
            ),
        )
        put(
            "market_change",
            scope,
            market_services.market_change_create(
                actor=manager_of[scope],
                date=DAY,
                org_unit=world.unit(scope),
                title=f"Market {scope}",
                description="Subsidy ends.",
                category="policy",
                effective_from=DAY,
                impacts=[market_services.Impact(metric=revenue, impact_bp=-500)],
            ),
        )

    # --- incentives ---------------------------------------------------------------------------
    from tests.incentives.helpers import COMMISSION, TIERED

    iplan = incentive_services.plan_create(
        actor=org.admin,
        name="Rep plan",
        period_kind="quarter",
        role="rep",
        components=[TIERED, COMMISSION],
    )
    put("incentive_plan", "own", iplan)
    for scope in SCOPES:
        owner = world.owner(scope)
        # `other` is approved so that paying it reaches the permission check.
        status = Statement.Status.APPROVED if scope == "other" else Statement.Status.DRAFT
        put(
            "statement",
            scope,
            Statement.objects.create(
                person=owner,
                period=quarter,
                plan=iplan,
                org_unit=owner.org_unit,
                status=status,
                total_minor=1234_00,
            ),
        )
    put(
        "contest",
        "own",
        incentive_services.contest_create(
            actor=org.admin, name="Spring contest", metric=revenue, period=quarter
        ),
    )

    # --- training ----------------------------------------------------------------------------
    from tests.training.conftest import make_quiz_course

    quiz_course = make_quiz_course(org.admin)
    course = quiz_course.course
    put("course", "own", course)
    put("module", "own", quiz_course.reading)
    put("quiz_module", "own", quiz_course.quizzed)
    put("question", "own", quiz_course.quiz.questions.first())
    put(
        "material",
        "own",
        Material.objects.create(
            module=quiz_course.reading, title="Slides", url="https://example.com/slides"
        ),
    )
    rule = RecommendationRule.objects.create(
        name="Low revenue",
        metric=revenue,
        condition="attainment_below",
        months=1,
        threshold=80,
        course=course,
    )
    put("rule", "own", rule)
    for scope in SCOPES:
        owner = world.owner(scope)
        (assignment,) = training_services.assign(actor=org.admin, course=course, users=[owner])
        put("assignment", scope, assignment)
        put(
            "recommendation",
            scope,
            Recommendation.objects.create(
                user=owner, rule=rule, course=course, period=month, reason="Below 80%."
            ),
        )
        put(
            "certification",
            scope,
            Certification.objects.create(
                user=owner, course=course, issued_on=DAY, expires_on=DAY.replace(year=2027)
            ),
        )

    # --- notifications -----------------------------------------------------------------------
    for scope in SCOPES:
        put(
            "notification",
            scope,
            core_services.notification_send(recipient=world.owner(scope), title=f"Hello {scope}"),
        )
    assert Role.REP  # keep the import used by type checkers
    return world
