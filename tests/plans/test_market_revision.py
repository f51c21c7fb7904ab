"""A market change proposes a target revision whose cells match the stated impact; once
approved it changes only the future periods of the affected branch."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from plans.models import MarketChange, MarketChangeRevision
from plans.services import market as services
from salesgoals.models import Metric, Period, PeriodKind
from targets import services as target_services
from targets.models import TargetPlan, TargetRevision
from tests.targets.plan_fixtures import TODAY, make_plan, org_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime.date(2026, 5, 1)


def approved_plan(org) -> TargetPlan:
    plan = make_plan(org)
    target_services.plan_submit(plan=plan, actor=org.executive)
    target_services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    plan.refresh_from_db()
    return plan


def snapshot(plan: TargetPlan) -> dict[tuple[str, int, int], int]:
    return {
        (line.owner_type, line.owner_id, int(p)): int(v)
        for line in plan.lines.all()
        for p, v in line.values.items()
    }


def log_change(org, impact_bp: int = -1000, unit=None) -> MarketChange:
    return services.market_change_create(
        actor=org.executive,
        date=datetime.date(2026, 4, 20),
        org_unit=unit or org.south,
        title="Subsidy ends in the South",
        description="The provincial purchase subsidy ends next month.",
        category=MarketChange.Category.POLICY,
        effective_from=EFFECTIVE,
        impacts=[services.Impact(Metric.objects.get(code="revenue"), impact_bp)],
    )


@pytest.mark.parametrize("impact_bp", [-1000, 500, -333])
def test_revision_scales_future_cells_of_the_branch_only(org, impact_bp):
    plan = approved_plan(org)
    before = snapshot(plan)
    change = log_change(org, impact_bp)
    revision = services.market_change_propose_revision(
        actor=org.executive, market_change=change, plan=plan
    )
    assert revision.status == TargetRevision.Status.PROPOSED
    assert revision.source_ref == change.source_ref
    assert MarketChangeRevision.objects.filter(market_change=change, revision=revision).exists()
    assert snapshot(plan) == before  # a proposal changes nothing

    periods = {p.pk: p for p in Period.objects.filter(fiscal_year=plan.fiscal_year)}
    future = {pid for pid, p in periods.items() if p.end >= EFFECTIVE}
    weeks = [pid for pid, p in periods.items() if p.kind == PeriodKind.WEEK and pid in future]
    south = ("unit", org.south.pk)
    # The proposal: South's future part scaled by (1 + impact), rounded once, exact sums.
    proposed = {(t, o, p): a for t, o, p, _b, a in revision.diff}
    future_before = sum(before[(*south, w)] for w in weeks)
    future_after = sum(proposed.get((*south, w), before[(*south, w)]) for w in weeks)
    exact = future_before * (10000 + impact_bp) / 10000
    assert abs(future_after - exact) <= 0.5

    target_services.revision_approve(revision=revision, actor=org.admin)
    plan.refresh_from_db()
    after = snapshot(plan)
    assert target_services.verify_plan(plan) == []
    year = next(pid for pid, p in periods.items() if p.kind == PeriodKind.YEAR)
    delta = after[(*south, year)] - before[(*south, year)]
    assert plan.value == 12_000_000_00 + delta
    assert after[("unit", org.company.pk, year)] == plan.value
    in_branch = {
        ("unit", org.south.pk),
        ("unit", org.team_c.pk),
        ("rep", org.rep_c.pk),
        ("unit", org.company.pk),
    }
    for (owner_type, owner_id, pid), value in before.items():
        changed = after[(owner_type, owner_id, pid)] != value
        if changed:  # only future periods of South's branch move
            assert (owner_type, owner_id) in in_branch, (owner_type, owner_id, pid)
            assert pid in future
    # Every week of South's subtree from the effective date follows the impact.
    for owner in (("unit", org.team_c.pk), ("rep", org.rep_c.pk), south):
        for w in weeks:
            assert abs(after[(*owner, w)] - before[(*owner, w)] * (10000 + impact_bp) / 10000) <= 2


def test_propose_needs_an_impact_on_the_metric_and_a_published_plan(org):
    plan = make_plan(org)
    change = log_change(org)
    with pytest.raises(ValidationError) as error:
        services.market_change_propose_revision(
            actor=org.executive, market_change=change, plan=plan
        )
    assert "plan" in error.value.message_dict
    other = make_plan(org, metric=Metric.objects.get(code="payments"))
    target_services.plan_submit(plan=other, actor=org.executive)
    target_services.plan_approve(plan=other, actor=org.admin, today=TODAY)
    with pytest.raises(ValidationError):
        services.market_change_propose_revision(
            actor=org.executive, market_change=change, plan=other
        )


def test_only_plan_managers_propose(org):
    plan = approved_plan(org)
    change = log_change(org)
    with pytest.raises(PermissionDenied):
        services.market_change_propose_revision(actor=org.rep, market_change=change, plan=plan)
    assert not TargetRevision.objects.exists()


def _rate_revision(org, effective: datetime.date):
    rate = Metric.objects.get(code="conversion_rate")
    plan = make_plan(org, metric=rate, value=2500)
    target_services.plan_submit(plan=plan, actor=org.executive)
    target_services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    before = snapshot(plan)
    change = services.market_change_create(
        actor=org.executive,
        date=effective,
        org_unit=org.south,
        title="Longer buying cycles",
        description="Customers compare more offers.",
        category=MarketChange.Category.DEMAND,
        effective_from=effective,
        impacts=[services.Impact(rate, -1000)],
    )
    revision = services.market_change_propose_revision(
        actor=org.executive, market_change=change, plan=plan
    )
    return plan, before, revision


def test_a_rate_is_scaled_in_the_unit_and_inherited_below(org):
    effective = datetime.date(2026, 1, 20)
    plan, before, revision = _rate_revision(org, effective)
    assert revision.new_value is None
    target_services.revision_approve(revision=revision, actor=org.admin)
    plan.refresh_from_db()
    after = snapshot(plan)
    assert plan.value == 2500
    future = set(
        Period.objects.filter(fiscal_year=plan.fiscal_year, end__gte=effective).values_list(
            "pk", flat=True
        )
    )
    branch = {("unit", org.south.pk), ("unit", org.team_c.pk), ("rep", org.rep_c.pk)}
    for (owner_type, owner_id, pid), value in before.items():
        now = after[(owner_type, owner_id, pid)]
        if (owner_type, owner_id) in branch and pid in future:
            assert now == 2250, (owner_type, owner_id, pid)  # 25% less 10% of it, inherited
        else:
            assert now == value


def test_a_rate_is_revised_later_in_the_year(org):
    _rate_revision(org, EFFECTIVE)
