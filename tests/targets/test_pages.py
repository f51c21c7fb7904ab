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


def test_revision_pages_propose_approve_and_history(client, org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin)
    client.force_login(org.executive)
    form = client.get(reverse("targets:revision-create", args=[plan.pk]))
    assert form.status_code == 200
    bad = client.post(
        reverse("targets:revision-create", args=[plan.pk]),
        {
            "effective_date": "2026-12-01",
            "new_value": "13000000",
            "mode": "keep_past",
            "reason": "",
        },
    )
    assert bad.status_code == 200
    assert plan.revisions.count() == 0
    response = client.post(
        reverse("targets:revision-create", args=[plan.pk]),
        {
            "effective_date": "2026-12-01",
            "new_value": "13000000",
            "mode": "keep_past",
            "reason": "Strong pipeline for December.",
        },
    )
    revision = plan.revisions.get()
    assert response.status_code == 302
    detail = reverse("targets:revision", args=[plan.pk, revision.number])
    page = client.get(detail)
    assert b'data-testid="revision-diff"' in page.content
    assert b'data-testid="approve-revision"' not in page.content  # not by its author
    client.force_login(org.admin)
    assert b'data-testid="approve-revision"' in client.get(detail).content
    client.post(detail, {"decision": "approve"})
    revision.refresh_from_db()
    assert revision.status == "approved"
    history = client.get(reverse("targets:history", args=[plan.pk]) + "?kind=month")
    assert history.status_code == 200
    assert b"<del>" in history.content
    # the rep sees only their own line, and cannot open the revision form
    client.force_login(org.rep)
    assert client.get(reverse("targets:revision-create", args=[plan.pk])).status_code == 403
    mine = client.get(reverse("targets:history", args=[plan.pk])).content.decode()
    assert "Rep A" in mine
    assert "Rep C" not in mine


def test_outsider_gets_403_and_unknown_404(client, org):
    plan = make_plan(
        org, actor=org.manager, org_unit=org.north, value=100_00, description="North revenue plan."
    )
    client.force_login(org.manager_south)
    for name in ("targets:plan", "targets:grid", "targets:export", "targets:owners"):
        assert client.get(reverse(name, args=[plan.pk])).status_code == 403, name
    assert client.get(reverse("targets:plan", args=[99999])).status_code == 404
    assert client.post(reverse("targets:step", args=[plan.pk, "submit"])).status_code == 403


def test_plan_page_audit_trail_is_readable_and_constant_queries(
    client, org, django_assert_max_num_queries
):
    plan = make_plan(org)
    services.plan_decompose(plan=plan, actor=org.executive, period_method="even")
    services.plan_submit(plan=plan, actor=org.executive)
    client.force_login(org.executive)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("targets:plan", args=[plan.pk])).content.decode()
    assert "Period split: By working days → Evenly" in page
    assert "Status: Draft → Submitted" in page
    assert "12,000,000" in page


def test_wizard_offers_only_parent_plans_the_user_may_open(org):
    from targets.forms import PlanForm

    company = make_plan(org)  # its lines reach the South region
    north = make_plan(org, org_unit=org.north, metric=Metric.objects.get(code="orders"))
    offered = set(PlanForm(user=org.manager_south).fields["parent"].queryset)
    assert company in offered
    assert north not in offered
    assert {company, north} <= set(PlanForm(user=org.executive).fields["parent"].queryset)
