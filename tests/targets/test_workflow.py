"""Status workflow and who may do each step: draft → submitted → approved/active → closed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpis.models import KpiTarget, KpiValue
from salesgoals.models import Metric, PeriodKind
from targets import services
from targets.models import PlanEvent, TargetPlan
from tests.targets.plan_fixtures import (  # noqa: F401
    TODAY,
    draft,
    make_plan,
    org_fixture,
    period,
    year_period,
)

pytestmark = pytest.mark.django_db


def test_full_workflow_with_audit(org, django_capture_on_commit_callbacks):
    plan = make_plan(org)
    assert plan.status == TargetPlan.Status.DRAFT
    services.plan_submit(plan=plan, actor=org.executive)
    with pytest.raises(PermissionDenied):  # the submitter does not approve their own plan
        services.plan_approve(plan=plan, actor=org.executive)
    with pytest.raises(PermissionDenied):  # a manager below the plan's unit cannot approve it
        services.plan_approve(plan=plan, actor=org.manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    plan.refresh_from_db()
    assert plan.status == TargetPlan.Status.ACTIVE  # its year has begun
    assert plan.published_version == plan.version
    actions = list(plan.events.values_list("action", flat=True))
    for action in ("created", "decomposed", "submitted", "approved", "published"):
        assert action in actions
    approved = plan.events.get(action=PlanEvent.Action.APPROVED)
    assert approved.actor == org.admin
    assert approved.before == {"status": "submitted"}
    assert approved.after == {"status": "active"}
    services.plan_close(plan=plan, actor=org.executive)
    plan.refresh_from_db()
    assert plan.status == TargetPlan.Status.CLOSED


def test_approval_publishes_targets_to_kpis(org, django_capture_on_commit_callbacks):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    revenue = Metric.objects.get(code="revenue")
    march = period(PeriodKind.MONTH, 3)
    line = plan.lines.get(owner_type="rep", owner_id=org.rep.pk)
    target = KpiTarget.objects.get(
        metric=revenue, owner_type="rep", owner_id=org.rep.pk, period=march
    )
    assert target.value == line.value_of(march.pk)
    assert target.source_ref == plan.source_ref
    cell = KpiValue.objects.get(metric=revenue, owner_type="rep", owner_id=org.rep.pk, period=march)
    assert cell.target == line.value_of(march.pk)
    company = KpiValue.objects.get(
        metric=revenue, owner_type="unit", owner_id=org.company.pk, period=year_period()
    )
    assert company.target == 12_000_000_00


def test_return_to_draft_needs_reason_and_approver(org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    with pytest.raises(ValidationError):
        services.plan_return(plan=plan, actor=org.admin, reason=" ")
    with pytest.raises(PermissionDenied):
        services.plan_return(plan=plan, actor=org.rep, reason="no")
    services.plan_return(plan=plan, actor=org.admin, reason="Too high for South.")
    plan.refresh_from_db()
    assert plan.status == TargetPlan.Status.DRAFT
    assert plan.events.filter(action="returned", note="Too high for South.").exists()


def test_team_plan_by_manager_is_approved_by_executive(org):
    plan = make_plan(
        org,
        actor=org.manager,
        org_unit=org.north,
        value=3_000_000_00,
        description="North revenue, split over both teams.",
    )
    services.plan_submit(plan=plan, actor=org.manager)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, actor=org.manager_south)
    services.plan_approve(plan=plan, actor=org.executive, today=TODAY)
    plan.refresh_from_db()
    assert plan.is_published


def test_roles_that_may_not_create(org):
    with pytest.raises(PermissionDenied):
        make_plan(org, actor=org.rep, org_unit=org.team_a)
    with pytest.raises(PermissionDenied):
        make_plan(org, actor=org.manager, org_unit=org.south)


def test_edits_only_in_draft(org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    march = period(PeriodKind.MONTH, 3)
    with pytest.raises(ValidationError):
        services.plan_cells_update(
            plan=plan,
            actor=org.executive,
            changes=[services.CellChange(owner=("rep", org.rep.pk), period_id=march.pk, value=5)],
        )


def test_acknowledge_only_own_published_targets(org):
    plan = make_plan(org)
    with pytest.raises(ValidationError):
        services.plan_acknowledge(plan=plan, actor=org.rep)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    with pytest.raises(PermissionDenied):
        services.plan_acknowledge(plan=plan, actor=org.manager)
    line = services.plan_acknowledge(plan=plan, actor=org.rep)
    assert line.acknowledged_version == plan.version


def test_approved_before_its_year_waits_then_activates(org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin, today=datetime.date(2025, 12, 1))
    plan.refresh_from_db()
    assert plan.status == TargetPlan.Status.APPROVED
    assert services.plans_activate_due(today=TODAY) == 1
    plan.refresh_from_db()
    assert plan.status == TargetPlan.Status.ACTIVE


def test_smart_errors_and_warnings(org):
    report = services.smart_check(draft(org, description="", objective="", value=0), today=TODAY)
    fields = {e["field"] for e in report.errors}
    assert {"description", "objective", "value"} <= fields
    report = services.smart_check(draft(org), today=TODAY)
    assert report.errors == []
    # No history for 2025 in this org: the baseline warning explains that.
    assert any(w["criterion"] == "A" for w in report.warnings)
    with pytest.raises(ValidationError) as error:
        make_plan(org, warnings_reason="")
    assert "warnings_reason" in error.value.message_dict
    make_plan(org)
    with pytest.raises(ValidationError) as error:  # one open plan per metric, unit and year
        make_plan(org)
    assert "org_unit" in error.value.message_dict


def test_publishing_twice_changes_nothing(org, django_capture_on_commit_callbacks):
    from targets.services.publishing import plan_publish

    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    plan.refresh_from_db()
    assert plan_publish(plan_id=plan.pk, version=plan.version) == {"stored": 0, "skipped": 1}
    assert plan.events.filter(action="published").count() == 1
    notified = org.rep.notifications.filter(title__startswith="New targets").count()
    assert notified == 1
