"""The demo's target plans: approved company plans down to every rep and week, published to
kpis (dashboards show attainment against them), one approved revision, a draft for next year."""

import datetime

import pytest

from kpis.models import KpiTarget, KpiValue
from salesgoals.demo import seed_all
from salesgoals.models import FiscalYear, Period, PeriodKind, Role, User
from targets import services
from targets.models import PlanEvent, SplitProfile, TargetLine, TargetPlan, TargetRevision

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)
CODES = {"revenue", "new_customers", "conversion_rate", "payments"}


def test_demo_target_plans() -> None:
    ctx = seed_all(today=TODAY)
    executive, admin = ctx.logins["executive"], ctx.logins["admin"]

    current = TargetPlan.objects.filter(fiscal_year__year=2026, org_unit=ctx.company)
    plans = {plan.metric.code: plan for plan in current.select_related("metric")}
    assert set(plans) == CODES
    for code, plan in plans.items():
        assert plan.status == TargetPlan.Status.ACTIVE, code  # approved; the year has begun
        assert plan.created_by == executive
        assert plan.approved_by == admin
        assert plan.objective
        assert len(plan.description) > 40
        assert plan.published_version == plan.version
        assert services.verify_plan(plan) == [], code

    # Last year's actual plus 10-20% (the revision lowers revenue a little).
    year_2025 = Period.objects.get(fiscal_year__year=2025, kind=PeriodKind.YEAR)
    for code in ("new_customers", "conversion_rate", "payments"):
        actual = KpiValue.objects.get(
            metric__code=code, owner_type="unit", owner_id=ctx.company.pk, period=year_2025
        ).actual
        assert actual * 1.09 <= plans[code].value <= actual * 1.21, code
    assert plans["revenue"].period_method == "seasonal"
    assert plans["conversion_rate"].metric.is_additive is False

    # Every active rep has a line in every plan, and a value for every period of the year.
    periods = set(Period.objects.filter(fiscal_year__year=2026).values_list("pk", flat=True))
    reps = set(User.objects.filter(role=Role.REP, is_active=True).values_list("pk", flat=True))
    for code, plan in plans.items():
        lines = TargetLine.objects.filter(plan=plan)
        assert set(lines.filter(owner_type="rep").values_list("owner_id", flat=True)) == reps
        assert all({int(p) for p in line.values} == periods for line in lines), code

    # The revenue revision: approved, with a reason, effective next month, past kept.
    revision = TargetRevision.objects.get(plan=plans["revenue"])
    assert revision.status == TargetRevision.Status.APPROVED
    assert revision.mode == TargetRevision.Mode.KEEP_PAST
    assert revision.effective_date == datetime.date(2026, 12, 1)
    assert "华南" in revision.reason
    assert revision.decided_by == admin
    assert revision.diff
    assert plans["revenue"].version == 2
    november = Period.objects.get(
        fiscal_year__year=2026, kind=PeriodKind.MONTH, start=datetime.date(2026, 11, 1)
    )
    december = Period.objects.get(
        fiscal_year__year=2026, kind=PeriodKind.MONTH, start=datetime.date(2026, 12, 1)
    )
    changed_periods = {row[2] for row in revision.diff}
    assert november.pk not in changed_periods
    assert december.pk in changed_periods

    # Acknowledgements: a few reps, of the current version.
    acknowledged = TargetLine.objects.filter(
        plan=plans["revenue"], owner_type="rep", acknowledged_version=2
    )
    assert 3 <= acknowledged.count() < len(reps)
    assert PlanEvent.objects.filter(action="acknowledged").exists()
    demo_rep = ctx.logins["rep"]
    assert not acknowledged.filter(owner_id=demo_rep.pk).exists()  # left for the demo login

    # A draft for next year with the split profile.
    profile = SplitProfile.objects.get(name="Retail seasonality")
    assert len(profile.month_shares_bp) == 12
    assert sum(profile.month_shares_bp) == 10000
    draft = TargetPlan.objects.get(fiscal_year__year=2027)
    assert draft.status == TargetPlan.Status.DRAFT
    assert draft.org_unit.code == "south"
    assert draft.profile == profile
    assert services.verify_plan(draft) == []

    # Dashboards: the rep's revenue target this month is their plan cell.
    line = TargetLine.objects.get(plan=plans["revenue"], owner_type="rep", owner_id=demo_rep.pk)
    cell = KpiValue.objects.get(
        metric__code="revenue", owner_type="rep", owner_id=demo_rep.pk, period=november
    )
    assert cell.target == line.value_of(november.pk) > 0
    assert cell.attainment_bp is not None
    assert cell.status != "no_target"
    for code, plan in plans.items():
        rep_lines = TargetLine.objects.filter(plan=plan, owner_type="rep")
        published = dict(
            KpiValue.objects.filter(
                metric__code=code, owner_type="rep", period=november
            ).values_list("owner_id", "target")
        )
        for rep_line in rep_lines:
            assert published[rep_line.owner_id] == rep_line.value_of(november.pk), code
    # Nothing of kpis' simple demo numbers is left for the planned metrics.
    assert not KpiTarget.objects.filter(metric__code__in=CODES, source_ref="demo").exists()
    assert KpiTarget.objects.filter(metric__code="orders", source_ref="demo").exists()
    assert FiscalYear.objects.filter(year=2027).exists()
