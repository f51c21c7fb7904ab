"""target-plans/ through the API: create, validate, cells (scoped, paginated), PATCH with
rebalancing, decompose, workflow, revisions, exports; 400/403/404 as the contract says."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesgoals.models import PeriodKind
from targets import services
from tests.targets.plan_fixtures import TODAY, make_plan, org_fixture, period  # noqa: F401

pytestmark = pytest.mark.django_db

LIST = "/api/v1/target-plans/"


def body(org, **changes):
    data = {
        "metric": "revenue",
        "fiscal_year": 2026,
        "org_unit": org.company.pk,
        "value": "1200000.00",
        "description": "Company revenue for the year, all regions.",
        "objective": "Grow revenue",
        "period_method": "working_days",
        "owner_method": "even",
        "warnings_reason": "Launch year.",
    }
    data.update(changes)
    return data


def test_validate_returns_errors_and_warnings_without_saving(api_client, org):
    api_client.force_authenticate(org.executive)
    response = api_client.post(LIST + "validate/", body(org, description=""), format="json")
    assert response.status_code == 200
    data = response.json()
    assert any(e["field"] == "description" for e in data["errors"])
    assert "baseline" in data
    assert api_client.get(LIST).json()["count"] == 0


def test_create_and_read_cells(api_client, org):
    api_client.force_authenticate(org.executive)
    response = api_client.post(LIST, body(org), format="json")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["value"] == "1200000.00"
    assert plan["status"] == "draft"
    cells = api_client.get(f"{LIST}{plan['id']}/cells/?period_kind=year&page_size=500").json()
    rows = {(r["owner_type"], r["owner_id"]): r["value"] for r in cells["results"]}
    assert rows[("unit", org.company.pk)] == "1200000.00"
    reps = [v for (t, _o), v in rows.items() if t == "rep"]
    assert sum(float(v) * 100 for v in reps) == pytest.approx(120000000)


def test_bad_create_is_a_structured_400(api_client, org):
    api_client.force_authenticate(org.executive)
    response = api_client.post(LIST, body(org, value="-5", metric="nope"), format="json")
    assert response.status_code == 400
    assert {"metric", "value"} <= set(response.json())
    response = api_client.post(LIST, body(org, warnings_reason=""), format="json")
    assert response.status_code == 400
    assert "warnings_reason" in response.json()


def test_cells_are_scoped_and_paginated(api_client, org):
    plan = make_plan(org)
    api_client.force_authenticate(org.manager_south)
    data = api_client.get(f"{LIST}{plan.pk}/cells/?period_kind=month&page_size=5").json()
    assert data["count"] == 12 * 3  # South, Team C, Rep C
    assert len(data["results"]) == 5
    owners = {(r["owner_type"], r["owner_id"]) for r in data["results"]}
    assert owners <= {("unit", org.south.pk), ("unit", org.team_c.pk), ("rep", org.rep_c.pk)}
    api_client.force_authenticate(org.rep)
    mine = api_client.get(f"{LIST}{plan.pk}/cells/?period_kind=quarter").json()
    assert {(r["owner_type"], r["owner_id"]) for r in mine["results"]} == {("rep", org.rep.pk)}


def test_cells_read_has_constant_queries(api_client, org, django_assert_max_num_queries):
    plan = make_plan(org)
    api_client.force_authenticate(org.executive)
    with django_assert_max_num_queries(8):
        response = api_client.get(f"{LIST}{plan.pk}/cells/?page_size=500")
    assert response.status_code == 200


def test_patch_rebalances_and_403_outside_subtree(api_client, org):
    plan = make_plan(org)
    march = period(PeriodKind.MONTH, 3)
    api_client.force_authenticate(org.manager)
    url = f"{LIST}{plan.pk}/cells/"
    edit = {
        "cells": [
            {"owner_type": "rep", "owner_id": org.rep.pk, "period": march.pk, "value": "1000.00"}
        ]
    }
    response = api_client.patch(url, edit, format="json")
    assert response.status_code == 200, response.json()
    changed = {(c["owner_type"], c["owner_id"], c["period"]): c for c in response.json()["cells"]}
    assert changed[("rep", org.rep.pk, march.pk)]["value"] == "1000.00"
    assert changed[("rep", org.rep.pk, march.pk)]["locked"] is True
    assert any(k[:2] == ("rep", org.rep_a2.pk) for k in changed)  # the sibling rebalanced
    assert services.verify_plan(plan) == []
    outside = {
        "cells": [
            {"owner_type": "rep", "owner_id": org.rep_c.pk, "period": march.pk, "value": "1.00"}
        ]
    }
    assert api_client.patch(url, outside, format="json").status_code == 403
    impossible = {
        "cells": [
            {
                "owner_type": "rep",
                "owner_id": org.rep.pk,
                "period": march.pk,
                "value": "99999999999.00",
            }
        ]
    }
    response = api_client.patch(url, impossible, format="json")
    assert response.status_code == 400
    assert "cells" in response.json()
    unlock = {
        "cells": [
            {"owner_type": "rep", "owner_id": org.rep.pk, "period": march.pk, "locked": False}
        ]
    }
    assert api_client.patch(url, unlock, format="json").json()["cells"][0]["locked"] is False


def test_decompose_and_workflow_and_revisions(api_client, org):
    plan = make_plan(org)
    api_client.force_authenticate(org.executive)
    response = api_client.post(
        f"{LIST}{plan.pk}/decompose/", {"period_method": "even"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["period_method"] == "even"
    assert api_client.post(f"{LIST}{plan.pk}/submit/").json()["status"] == "submitted"
    assert api_client.post(f"{LIST}{plan.pk}/approve/").status_code == 403
    api_client.force_authenticate(org.admin)
    assert api_client.post(f"{LIST}{plan.pk}/approve/").json()["status"] in ("approved", "active")
    api_client.force_authenticate(org.rep)
    assert api_client.post(f"{LIST}{plan.pk}/acknowledge/").status_code == 200
    api_client.force_authenticate(org.executive)
    revision = api_client.post(
        f"{LIST}{plan.pk}/revisions/",
        {
            "effective_date": "2026-12-01",
            "reason": "Strong Q4 pipeline",
            "new_value": "13000000.00",
        },
        format="json",
    )
    assert revision.status_code == 201, revision.json()
    assert revision.json()["changed_cells"] > 0
    listed = api_client.get(f"{LIST}{plan.pk}/revisions/").json()
    assert listed["count"] == 1
    api_client.force_authenticate(org.admin)
    number = revision.json()["number"]
    done = api_client.post(f"{LIST}{plan.pk}/revisions/{number}/approve/")
    assert done.json()["status"] == "approved"
    assert api_client.get(f"{LIST}{plan.pk}/").json()["version"] == 2


def test_scope_403_and_404(api_client, org):
    plan = make_plan(
        org, actor=org.manager, org_unit=org.north, value=100_00, description="North revenue plan."
    )
    api_client.force_authenticate(org.manager_south)
    assert api_client.get(f"{LIST}{plan.pk}/").status_code == 403
    assert api_client.get(f"{LIST}999999/").status_code == 404
    assert api_client.get(LIST).json()["count"] == 0
    api_client.force_authenticate(org.rep)
    assert api_client.get(f"{LIST}{plan.pk}/").status_code == 200  # rep A has a line in it
    assert api_client.post(f"{LIST}{plan.pk}/submit/").status_code == 403


def test_exports_and_xlsx_grid(api_client, org):
    plan = make_plan(org)
    api_client.force_authenticate(org.executive)
    csv = api_client.get(LIST + "?format=csv")
    assert csv.status_code == 200
    assert b"revenue" in csv.content
    grid = api_client.get(f"{LIST}{plan.pk}/workbook/")
    assert grid.status_code == 200
    assert grid["Content-Type"].startswith("application/vnd.openxmlformats")
    imported = api_client.post(
        f"{LIST}{plan.pk}/import/", {"file": _file(grid.content)}, format="multipart"
    )
    assert imported.status_code == 200
    assert imported.json()["changed"] == []
    broken = api_client.post(
        f"{LIST}{plan.pk}/import/", {"file": _file(b"nope")}, format="multipart"
    )
    assert broken.status_code == 400
    assert "file" in broken.json()


def test_split_profiles_must_total_100(api_client, org):
    api_client.force_authenticate(org.executive)
    bad = api_client.post(
        "/api/v1/split-profiles/", {"name": "Bad", "month_shares_bp": [800] * 12}, format="json"
    )
    assert bad.status_code == 400
    good = api_client.post(
        "/api/v1/split-profiles/",
        {"name": "Retail", "month_shares_bp": [700] * 8 + [1100, 1000, 900, 1400]},
        format="json",
    )
    assert good.status_code == 201, good.json()
    api_client.force_authenticate(org.rep)
    assert (
        api_client.post("/api/v1/split-profiles/", {"name": "X"}, format="json").status_code == 403
    )


def _file(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("grid.xlsx", content)


def test_page_urls_exist():
    assert reverse("targets:home") == "/targets/"
