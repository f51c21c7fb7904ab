"""Mass assignment: server-owned fields sent to the API are ignored or refused, and nobody
writes an object into a scope outside their own.

Every write endpoint reads an explicit input serializer, so unknown or read-only keys (``id``,
``owner``/``author``/``created_by`` set by the server, workflow ``status``, ``version``,
``approved_by``, computed totals, ``kpi_snapshot``…) never reach a model. Each case posts a
valid payload plus such keys and checks the stored row; the scope cases post an object into
a unit or onto a person outside the actor's scope and expect a 403 or a structured 400 that
names the field (and no new row).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from incentives.models import IncentivePlan, Statement
from kpis.models import Customer
from plans.models import Feedback, MarketChange, PeriodicReport, Strategy, Task
from salesgoals.models import OrgUnit, User
from targets.models import TargetPlan
from tests.security.world import DAY, World, build_world
from training.models import Assignment

SERVER_OWNED = {
    "id": 999_999,
    "status": "approved",
    "version": 42,
    "created_by": None,  # filled per test with someone else's id
    "approved_by": None,
    "author": None,
    "approved_at": "2020-01-01T00:00:00Z",
    "paid_by": None,
    "total_minor": 1,
    "attainment_bp": 99_999,
    "kpi_snapshot": {"revenue": {"actual": 1}},
    "is_current": False,
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def as_(world: World, db: None):
    def client(role: str) -> APIClient:
        api = APIClient()
        api.force_login(world.users[role])
        return api

    return client


def extras(world: World) -> dict[str, Any]:
    someone = world.org.rep_c.pk
    return {
        **SERVER_OWNED,
        "created_by": someone,
        "approved_by": someone,
        "author": someone,
        "paid_by": someone,
    }


def refused(response, field: str | None = None) -> bool:
    """403, or a structured 400 (a dict of messages; naming `field` when given)."""
    if response.status_code == 403:
        return True
    if response.status_code != 400:
        return False
    body = response.json()
    return isinstance(body, dict) and (field is None or field in body or "detail" in body)


# --- facts (kpis) ----------------------------------------------------------------------------
def test_fact_create_ignores_server_fields_and_keeps_own_scope(world, as_) -> None:
    rep = world.org.rep
    payload = {"name": "New customer", "created_date": DAY.isoformat(), **extras(world)}
    payload["org_unit"] = world.org.team_c.pk
    response = as_("rep").post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.pk != SERVER_OWNED["id"]
    assert customer.owner_id == rep.pk
    assert customer.org_unit_id == rep.org_unit_id  # the owner's unit, not the posted one


def test_rep_cannot_log_a_fact_for_someone_else(world, as_) -> None:
    before = Customer.objects.count()
    for other in (world.rep2, world.org.rep_c):
        payload = {"name": "Theirs", "created_date": DAY.isoformat(), "owner": other.pk}
        response = as_("rep").post("/api/v1/customers/", payload, format="json")
        assert refused(response, "owner"), (response.status_code, response.content)
    assert Customer.objects.count() == before


def test_upsert_by_external_id_cannot_take_over_a_colleagues_fact(world, as_) -> None:
    theirs = world.objects["customer"]["peer"]
    payload = {
        "name": "Mine now",
        "created_date": DAY.isoformat(),
        "source": theirs.source,
        "external_id": theirs.external_id,
    }
    response = as_("rep").post("/api/v1/customers/", payload, format="json")
    assert refused(response), (response.status_code, response.content)
    theirs.refresh_from_db()
    assert (theirs.owner_id, theirs.name) == (world.rep2.pk, "Customer peer")


def test_manager_cannot_move_a_fact_outside_the_subtree(world, as_) -> None:
    deal = world.objects["deal"]["own"]
    response = as_("manager").patch(
        f"/api/v1/deals/{deal.pk}/", {"owner": world.org.rep_c.pk}, format="json"
    )
    assert refused(response, "owner"), (response.status_code, response.content)
    deal.refresh_from_db()
    assert deal.owner_id == world.org.rep.pk


# --- targets ---------------------------------------------------------------------------------
def _plan_payload(world: World, unit: OrgUnit) -> dict[str, Any]:
    return {
        "metric": "payments",
        "fiscal_year": 2026,
        "org_unit": unit.pk,
        "value": "1000000.00",
        "description": "Payments for 2026, through faster collection.",
        "objective": "Collect",
        "warnings_reason": "New product line launches in March.",
    }


def test_target_plan_create_ignores_workflow_fields(world, as_) -> None:
    payload = {**_plan_payload(world, world.org.north), **extras(world)}
    response = as_("manager").post("/api/v1/target-plans/", payload, format="json")
    assert response.status_code == 201, response.content
    plan = TargetPlan.objects.get(pk=response.json()["id"])
    assert plan.pk != SERVER_OWNED["id"]
    assert plan.status == TargetPlan.Status.DRAFT
    assert plan.version == 1
    assert plan.created_by_id == world.org.manager.pk
    assert plan.approved_by_id is None


def test_manager_cannot_create_a_target_plan_outside_the_subtree(world, as_) -> None:
    before = TargetPlan.objects.count()
    response = as_("manager").post(
        "/api/v1/target-plans/", _plan_payload(world, world.org.south), format="json"
    )
    assert refused(response, "org_unit"), (response.status_code, response.content)
    assert TargetPlan.objects.count() == before


def test_target_plan_update_cannot_move_it_or_approve_it(world, as_) -> None:
    plan = world.objects["target_plan"]["own"]  # North, draft
    payload = {**_plan_payload(world, world.org.south), "metric": "revenue", **extras(world)}
    response = as_("manager").put(f"/api/v1/target-plans/{plan.pk}/", payload, format="json")
    # "Metric, year and unit are fixed" (keyed by the first of them) or a scope refusal.
    assert refused(response), (response.status_code, response.content)
    plan.refresh_from_db()
    assert (plan.org_unit_id, plan.status) == (world.org.north.pk, TargetPlan.Status.DRAFT)


# --- plans: strategies, tasks, feedback, reports, market changes -------------------------------
def _strategy(world: World, unit: OrgUnit, owner: User) -> dict[str, Any]:
    return {
        "name": "Win back",
        "kind": "customer_satisfaction",
        "goal": "Call lapsed customers.",
        "owner": owner.pk,
        "org_unit": unit.pk,
        "start_date": DAY.isoformat(),
        "end_date": (DAY + datetime.timedelta(days=30)).isoformat(),
    }


def test_strategy_create_ignores_status_and_refuses_other_units(world, as_) -> None:
    manager = world.org.manager
    ok = as_("manager").post(
        "/api/v1/strategies/",
        {**_strategy(world, world.org.north, manager), **extras(world), "status": "done"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    strategy = Strategy.objects.get(pk=ok.json()["id"])
    assert strategy.pk != SERVER_OWNED["id"]
    assert strategy.status == Strategy.Status.DRAFT
    before = Strategy.objects.count()
    outside = as_("manager").post(
        "/api/v1/strategies/", _strategy(world, world.org.south, manager), format="json"
    )
    assert refused(outside, "org_unit"), (outside.status_code, outside.content)
    assert Strategy.objects.count() == before


def test_task_owner_may_move_but_not_rewrite_a_task(world, as_) -> None:
    task = world.objects["task"]["own"]  # owned by the rep, in a plan led by the manager
    response = as_("rep").patch(
        f"/api/v1/tasks/{task.pk}/", {"title": "Renamed", "owner": world.rep2.pk}, format="json"
    )
    assert response.status_code == 403, response.content
    task.refresh_from_db()
    assert (task.title, task.owner_id) == ("Task own", world.org.rep.pk)


def test_task_cannot_be_created_in_a_plan_outside_scope(world, as_) -> None:
    plan = world.objects["action_plan"]["other"]  # South's
    before = Task.objects.count()
    response = as_("manager").post(
        "/api/v1/tasks/",
        {
            "plan": plan.pk,
            "title": "Sneak in",
            "owner": world.org.rep.pk,
            "due_date": (DAY + datetime.timedelta(days=3)).isoformat(),
        },
        format="json",
    )
    assert refused(response) or response.status_code == 404, response.content
    assert Task.objects.count() == before


def test_feedback_create_ignores_author_status_and_unit(world, as_) -> None:
    payload = {
        "category": "competitor",
        "title": "Price war",
        "text": "They cut prices.",
        **extras(world),
        "status": "closed",
        "org_unit": world.org.team_c.pk,
    }
    response = as_("rep").post("/api/v1/feedback/", payload, format="json")
    assert response.status_code == 201, response.content
    item = Feedback.objects.get(pk=response.json()["id"])
    assert item.pk != SERVER_OWNED["id"]
    assert (item.author_id, item.status) == (world.org.rep.pk, Feedback.Status.OPEN)
    assert item.org_unit_id == world.org.team_a.pk


def test_report_create_ignores_status_snapshot_and_author(world, as_) -> None:
    month = world.extra["month"]
    payload = {"period": month.pk, "achievements": "Two deals.", **extras(world)}
    payload["status"] = "signed_off"
    response = as_("rep").post("/api/v1/reports/", payload, format="json")
    assert response.status_code == 201, response.content
    report = PeriodicReport.objects.get(pk=response.json()["id"])
    assert report.pk != SERVER_OWNED["id"]
    assert (report.author_id, report.status) == (world.org.rep.pk, PeriodicReport.Status.DRAFT)
    assert report.kpi_snapshot in (None, {}, [])


def test_report_sections_patch_cannot_sign_off(world, as_) -> None:
    report = world.objects["report"]["own"]
    response = as_("rep").patch(
        f"/api/v1/reports/{report.pk}/",
        {"achievements": "Edited.", "status": "signed_off", "author": world.rep2.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert (report.achievements, report.status, report.author_id) == (
        "Edited.",
        PeriodicReport.Status.DRAFT,
        world.org.rep.pk,
    )


def test_market_change_outside_scope_is_refused(world, as_) -> None:
    before = MarketChange.objects.count()
    payload = {
        "date": DAY.isoformat(),
        "org_unit": world.org.team_c.pk,
        "title": "Not mine",
        "description": "South's market.",
        "category": "price",
        "effective_from": DAY.isoformat(),
        "impact": [{"metric": "revenue", "impact": "-5.00"}],
    }
    response = as_("manager").post("/api/v1/market-changes/", payload, format="json")
    assert refused(response, "org_unit"), (response.status_code, response.content)
    assert MarketChange.objects.count() == before


# --- incentives ------------------------------------------------------------------------------
def test_statements_are_read_only_and_approval_ignores_amounts(world, as_) -> None:
    statement = world.objects["statement"]["own"]  # the rep's draft, in the manager's subtree
    write = as_("admin").patch(
        f"/api/v1/statements/{statement.pk}/",
        {"total_minor": 1, "status": "paid"},
        format="json",
    )
    assert write.status_code == 405
    response = as_("manager").post(
        f"/api/v1/statements/{statement.pk}/approve/",
        {"status": "paid", "total_minor": 1, "approved_by": world.org.admin.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    statement.refresh_from_db()
    assert statement.status == Statement.Status.APPROVED
    assert statement.approved_by_id == world.org.manager.pk
    assert statement.total_minor == 1234_00
    assert statement.paid_by_id is None


def test_incentive_plan_patch_ignores_version_and_creator(world, as_) -> None:
    plan = world.objects["incentive_plan"]["own"]
    response = as_("admin").patch(
        f"/api/v1/incentive-plans/{plan.pk}/",
        {
            "description": "Clearer words.",
            "version": 42,
            "created_by": world.org.rep.pk,
            "is_current": False,
            "family": 999,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    current = IncentivePlan.objects.get(pk=response.json()["id"])
    assert current.is_current
    assert current.version in (plan.version, plan.version + 1)  # +1 only when in use
    assert current.created_by_id == world.org.admin.pk
    assert current.description == "Clearer words."


# --- training --------------------------------------------------------------------------------
def test_assignment_ignores_status_and_score_and_stays_in_scope(world, as_) -> None:
    course = world.objects["course"]["own"]
    Assignment.objects.filter(user=world.rep2).delete()
    response = as_("manager").post(
        "/api/v1/assignments/",
        {
            "course": course.pk,
            "users": [world.rep2.pk],
            "status": "completed",
            "score": 100,
            "assigned_by": world.org.admin.pk,
        },
        format="json",
    )
    assert response.status_code in (200, 201), response.content
    made = Assignment.objects.get(user=world.rep2, course=course)
    assert made.status == Assignment.Status.ASSIGNED
    assert made.score is None
    assert made.assigned_by_id == world.org.manager.pk
    before = Assignment.objects.count()
    Assignment.objects.filter(user=world.org.rep_c).delete()
    outside = as_("manager").post(
        "/api/v1/assignments/",
        {"course": course.pk, "users": [world.org.rep_c.pk]},
        format="json",
    )
    assert refused(outside, "users"), (outside.status_code, outside.content)
    assert not Assignment.objects.filter(user=world.org.rep_c).exists()
    assert Assignment.objects.count() == before - 1


# --- core ------------------------------------------------------------------------------------
def test_org_unit_create_ignores_tree_internals(world, as_) -> None:
    response = as_("admin").post(
        "/api/v1/org-units/",
        {
            "name": "Team D",
            "kind": "team",
            "parent": world.org.south.pk,
            "id": 999_999,
            "path": "0001",
            "depth": 1,
            "numchild": 7,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    made = OrgUnit.objects.get(pk=response.json()["id"])
    assert made.pk != 999_999
    assert made.depth == world.org.south.depth + 1
    assert made.path.startswith(world.org.south.path)
    assert made.numchild == 0


def test_people_cannot_promote_themselves(world, as_) -> None:
    rep = world.org.rep
    response = as_("rep").patch(
        f"/api/v1/users/{rep.pk}/", {"role": "admin", "is_superuser": True}, format="json"
    )
    assert response.status_code == 403
    rep.refresh_from_db()
    assert (rep.role, rep.is_superuser, rep.is_staff) == ("rep", False, False)
