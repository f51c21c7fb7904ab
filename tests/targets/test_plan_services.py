"""Creating, splitting and editing a plan through the services: the invariants hold."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesgoals.models import PeriodKind
from targets import services
from targets.models import PlanEvent, TargetLine
from tests.targets.plan_fixtures import TODAY, make_plan, org_fixture, period, year_period  # noqa: F401

pytestmark = pytest.mark.django_db


def cell(plan, owner, period_id) -> int:
    return TargetLine.objects.get(plan=plan, owner_type=owner[0], owner_id=owner[1]).value_of(
        period_id
    )


def test_create_splits_to_every_unit_rep_and_week(org):
    plan = make_plan(org)
    lines = {line.key: line for line in plan.lines.all()}
    assert ("unit", org.company.pk) in lines
    assert {
        ("rep", org.rep.pk),
        ("rep", org.rep_a2.pk),
        ("rep", org.rep_b.pk),
        ("rep", org.rep_c.pk),
    } <= set(lines)
    assert ("rep", org.manager.pk) not in lines  # managers own their units' cells, not rep lines
    year = year_period()
    assert cell(plan, ("unit", org.company.pk), year.pk) == 12_000_000_00
    reps = [k for k in lines if k[0] == "rep"]
    assert sum(cell(plan, k, year.pk) for k in reps) == 12_000_000_00
    assert services.verify_plan(plan) == []
    assert PlanEvent.objects.filter(plan=plan, action="created").exists()


def test_edit_locks_and_rebalances_siblings(org):
    plan = make_plan(org)
    march = period(PeriodKind.MONTH, 3)
    rep_a, rep_a2 = ("rep", org.rep.pk), ("rep", org.rep_a2.pk)
    team_before = cell(plan, ("unit", org.team_a.pk), march.pk)
    result = services.plan_cells_update(
        plan=plan,
        actor=org.manager,
        changes=[services.CellChange(owner=rep_a, period_id=march.pk, value=100_000_00)],
    )
    assert result["changed_cells"] > 0
    assert cell(plan, rep_a, march.pk) == 100_000_00
    assert cell(plan, rep_a2, march.pk) == team_before - 100_000_00
    assert TargetLine.objects.get(plan=plan, owner_type="rep", owner_id=org.rep.pk).is_locked(
        march.pk
    )
    assert services.verify_plan(plan) == []
    # A re-split keeps the locked cell.
    services.plan_decompose(plan=plan, actor=org.executive, period_method="even")
    assert cell(plan, rep_a, march.pk) == 100_000_00
    assert services.verify_plan(plan) == []


def test_impossible_lock_changes_nothing(org):
    plan = make_plan(org)
    march = period(PeriodKind.MONTH, 3)
    before = {line.key: dict(line.values) for line in plan.lines.all()}
    with pytest.raises(ValidationError) as error:
        services.plan_cells_update(
            plan=plan,
            actor=org.manager,
            changes=[
                services.CellChange(owner=("rep", org.rep.pk), period_id=march.pk, value=10**13)
            ],
        )
    assert "cells" in error.value.message_dict
    assert {line.key: dict(line.values) for line in plan.lines.all()} == before


def test_manager_cannot_edit_outside_subtree(org):
    plan = make_plan(org)
    march = period(PeriodKind.MONTH, 3)
    with pytest.raises(PermissionDenied):
        services.plan_cells_update(
            plan=plan,
            actor=org.manager,
            changes=[services.CellChange(owner=("rep", org.rep_c.pk), period_id=march.pk, value=1)],
        )
    with pytest.raises(PermissionDenied):  # the region's own cells belong to the company level
        services.plan_cells_update(
            plan=plan,
            actor=org.manager,
            changes=[
                services.CellChange(owner=("unit", org.north.pk), period_id=march.pk, value=1)
            ],
        )


def test_weights_and_over_assignment_per_node(org, client):
    plan = make_plan(org, owner_method="weights")
    year = year_period()
    team_a = ("unit", org.team_a.pk)
    services.plan_owners_update(
        plan=plan,
        actor=org.manager,
        changes=[
            services.OwnerChange(owner=("rep", org.rep.pk), weight=300),
            services.OwnerChange(owner=team_a, over_assignment_bp=11000),
        ],
    )
    team_year = cell(plan, team_a, year.pk)
    a, a2 = cell(plan, ("rep", org.rep.pk), year.pk), cell(plan, ("rep", org.rep_a2.pk), year.pk)
    assert a + a2 == round(team_year * 1.1)  # the team's reps add up to 110% of it
    assert abs(a - 3 * a2) <= 3  # weights 300 : 100
    assert services.verify_plan(plan) == []
    with pytest.raises(PermissionDenied):  # South is not the North manager's
        services.plan_owners_update(
            plan=plan,
            actor=org.manager,
            changes=[services.OwnerChange(owner=("unit", org.team_c.pk), over_assignment_bp=12000)],
        )
    with pytest.raises(ValidationError):
        services.plan_owners_update(
            plan=plan,
            actor=org.manager,
            changes=[services.OwnerChange(owner=team_a, over_assignment_bp=50000)],
        )
    client.force_login(org.manager)
    from django.urls import reverse

    page = client.get(reverse("targets:owners", args=[plan.pk]))
    assert page.status_code == 200
    assert f'data-testid="weight-rep-{org.rep.pk}"'.encode() in page.content
    assert f'data-testid="over-{org.team_c.pk}"'.encode() not in page.content
    response = client.post(
        reverse("targets:owners", args=[plan.pk]), {f"weight-rep-{org.rep_a2.pk}": "300"}
    )
    assert response.status_code == 302
    a, a2 = cell(plan, ("rep", org.rep.pk), year.pk), cell(plan, ("rep", org.rep_a2.pk), year.pk)
    assert abs(a - a2) <= 1


def test_nightly_verification_finds_broken_cells(org):
    plan = make_plan(org)
    assert services.plans_verify() == {"checked": 1, "broken": 0}
    line = TargetLine.objects.get(plan=plan, owner_type="rep", owner_id=org.rep.pk)
    line.values[str(year_period().pk)] += 1
    line.save()
    assert services.plans_verify() == {"checked": 1, "broken": 1}
    assert org.admin.notifications.filter(title__contains="do not add up").exists()


def snapshot(plan):
    return {line.key: (dict(line.values), sorted(line.locked)) for line in plan.lines.all()}


@pytest.mark.parametrize("period_method", ["working_days", "seasonal", "manual"])
def test_local_rebalance_equals_a_full_resplit(org, period_method):
    plan = make_plan(org, period_method=period_method)
    # A manual split takes its shape from the cells themselves: settle it once first.
    services.plan_decompose(plan=plan, actor=org.executive)
    march = period(PeriodKind.MONTH, 3)
    services.plan_cells_update(
        plan=plan,
        actor=org.manager,
        changes=[
            services.CellChange(owner=("rep", org.rep.pk), period_id=march.pk, value=70_000_00)
        ],
    )
    local = snapshot(plan)
    services.plan_decompose(plan=plan, actor=org.executive)
    assert snapshot(plan) == local
    assert services.verify_plan(plan) == []


def test_resplit_follows_a_rep_who_changed_teams(org):
    plan = make_plan(org)
    org.rep_b.org_unit = org.team_a
    org.rep_b.save()
    services.plan_decompose(plan=plan, actor=org.executive)
    line = TargetLine.objects.get(plan=plan, owner_type="rep", owner_id=org.rep_b.pk)
    assert line.parent_key == ("unit", org.team_a.pk)
    assert not TargetLine.objects.filter(
        plan=plan, parent_type="unit", parent_id=org.team_b.pk
    ).exists()
    assert services.verify_plan(plan) == []
