"""The target pages render for each role, in scope, with exact numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesgoals.models import FiscalYear, Metric
from targets import services
from tests.targets.plan_fixtures import make_plan, org_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_pages_render_for_the_manager(client, org):
    plan = make_plan(org)
    client.force_login(org.manager)
    for name in ("targets:home", "targets:mine"):
        assert client.get(reverse(name)).status_code == 200
    for name in ("targets:plan", "targets:grid", "targets:history", "targets:import"):
        response = client.get(reverse(name, args=[plan.pk]))
        assert response.status_code == 200, name
    grid = client.get(reverse("targets:grid", args=[plan.pk]) + "?kind=week").content.decode()
    assert "Team A" in grid or "North" in grid
    rows = client.get(
        reverse("targets:grid-rows", args=[plan.pk]) + f"?parent=unit:{org.north.pk}&kind=month"
    )
    assert rows.status_code == 200
    assert b"Team A" in rows.content


def test_manager_of_other_region_sees_only_own_rows(client, org):
    plan = make_plan(org)
    client.force_login(org.manager_south)
    page = client.get(reverse("targets:grid", args=[plan.pk])).content.decode()
    assert "South" in page
    assert "Team A" not in page
    assert "North" not in page


def test_rep_acknowledges_from_my_targets(client, org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin)
    client.force_login(org.rep)
    page = client.get(reverse("targets:mine") + "?kind=quarter")
    assert page.status_code == 200
    assert b'data-testid="acknowledge"' in page.content
    client.post(reverse("targets:step", args=[plan.pk, "acknowledge"]))
    page = client.get(reverse("targets:mine"))
    assert b'data-testid="acknowledged"' in page.content


def test_create_wizard_shows_smart_feedback_and_creates(client, org):
    client.force_login(org.executive)
    assert client.get(reverse("targets:create")).status_code == 200
    body = {
        "metric": Metric.objects.get(code="revenue").pk,
        "fiscal_year": FiscalYear.objects.get(year=2026).pk,
        "org_unit": org.company.pk,
        "value": "1000000",
        "description": "Revenue for the year from all regions.",
        "objective": "Grow",
        "period_method": "working_days",
        "owner_method": "even",
        "over_assignment": "100",
    }
    check = client.post(reverse("targets:validate"), body)
    assert check.status_code == 200
    assert b"smart" in check.content.lower()
    response = client.post(reverse("targets:create"), {**body, "warnings_reason": "Launch year."})
    assert response.status_code in (200, 302)
