"""Plans: validation with clear messages, versioning once in use, builder preview, API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from incentives import services
from incentives.models import IncentivePlan, Statement
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.incentives.helpers import COMMISSION, TIERED, make_plan, quarters, set_cell

pytestmark = pytest.mark.django_db


def test_validation_messages_name_the_place(org: Org) -> None:
    gap = {
        **TIERED,
        "bands": [
            {"from_pct": "80", "to_pct": "100", "rate": "1"},
            {"from_pct": "110", "rate": "1"},
        ],
    }
    with pytest.raises(ValidationError) as error:
        make_plan(org.admin, gap)
    (message,) = error.value.message_dict["components"]
    assert message.startswith("Component 1 · band 2 · from:")
    assert "starts at 110 but the previous one ends at 100" in message
    assert not IncentivePlan.objects.exists()

    with pytest.raises(ValidationError) as error:
        make_plan(org.admin, {**TIERED, "cap_pct": "10"})
    assert "below the payout at the threshold (50%)" in error.value.message_dict["components"][0]


def test_unknown_metric_and_commission_on_a_count(org: Org) -> None:
    with pytest.raises(ValidationError) as error:
        make_plan(org.admin, {**TIERED, "metric": "nope"}, {**COMMISSION, "metric": "deals_won"})
    assert error.value.message_dict["components"] == [
        "Component 1: unknown metric “nope”.",
        "Component 2: a commission needs a currency metric.",
    ]


def test_only_admins_configure(org: Org) -> None:
    for user in (org.rep, org.manager, org.executive):
        with pytest.raises(PermissionDenied):
            make_plan(user)


def test_edit_in_place_until_in_use_then_new_version(org: Org) -> None:
    q1, *_ = quarters()
    plan = make_plan(org.admin)
    same = services.plan_update(actor=org.admin, plan=plan, name="Renamed")
    assert same.pk == plan.pk
    assert same.version == 1

    set_cell(org.rep, q1, actual=1_000_000 * 100, target=1_000_000 * 100)
    statement = services.statement_compute(person=org.rep, period=q1)
    services.statement_approve(actor=org.manager, statement=statement)
    newer = services.plan_update(
        actor=org.admin, plan=plan, components=[{**TIERED, "target_amount": "20000"}]
    )

    plan.refresh_from_db()
    assert newer.pk != plan.pk
    assert (newer.version, newer.family, newer.is_current) == (2, plan.family, True)
    assert plan.is_current is False
    assert plan.components[0]["target_amount"] == "10000.00"  # the old version is untouched
    statement.refresh_from_db()
    assert statement.plan == plan
    with pytest.raises(ValidationError):
        services.plan_update(actor=org.admin, plan=plan, name="Old")  # old versions are frozen

    # A draft recomputed later moves to the current version.
    q2 = quarters()[1]
    set_cell(org.rep, q2, actual=1_000_000 * 100, target=1_000_000 * 100)
    later = services.statement_compute(person=org.rep, period=q2)
    assert later.plan == newer
    assert later.lines.get(component_key="bonus").amount_minor == 20_000 * 100


def test_most_specific_plan_applies(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, COMMISSION, name="Company")
    north = make_plan(org.admin, COMMISSION, name="North", org_unit=org.north)
    set_cell(org.rep, q1, actual=100, target=None)
    set_cell(org.rep_c, q1, actual=100, target=None)
    assert services.statement_compute(person=org.rep, period=q1).plan == north
    assert services.statement_compute(person=org.rep_c, period=q1).plan.name == "Company"


def test_builder_preview_returns_the_curve_and_messages(org: Org, client) -> None:
    client.force_login(org.admin)
    url = reverse("incentives:plan-preview")
    ok = client.post(url, {"components": [TIERED]}, content_type="application/json").json()
    assert ok["errors"] == []
    curve = ok["figure"]["data"][0]
    assert len(curve["x"]) == 203
    assert dict(zip(curve["x"], curve["y"], strict=True))["80"] == "5000.00"
    assert curve["y"][-1] == "15000.00"
    bad = {**TIERED, "cap_pct": "10"}
    answer = client.post(url, {"components": [bad]}, content_type="application/json").json()
    assert answer["figure"] is None
    assert "cap" in answer["errors"][0]
    client.force_login(org.rep)
    assert client.post(url, {}, content_type="application/json").status_code == 403


def test_builder_page_creates_a_plan(org: Org, client) -> None:
    import json

    client.force_login(org.admin)
    assert client.get(reverse("incentives:plan-create")).status_code == 200
    response = client.post(
        reverse("incentives:plan-create"),
        {
            "name": "Field sales",
            "role": "rep",
            "period_kind": "quarter",
            "is_active": "on",
            "components": json.dumps([TIERED]),
        },
    )
    plan = IncentivePlan.objects.get()
    assert response.status_code == 302
    assert response.url == f"/incentives/plans/{plan.pk}/"
    page = client.get(response.url)
    assert b"payout-curve-data" in page.content
    bad = client.post(
        reverse("incentives:plan-create"),
        {
            "name": "X",
            "period_kind": "quarter",
            "components": json.dumps([{**TIERED, "cap_pct": "1"}]),
        },
    )
    assert bad.status_code == 400
    assert "below the payout at the threshold" in bad.content.decode()
    client.force_login(org.manager)
    assert client.get(reverse("incentives:plan-create")).status_code == 403


def test_api_create_patch_and_versions(org: Org, api_client) -> None:
    api_client.force_authenticate(org.admin)
    created = api_client.post(
        "/api/v1/incentive-plans/",
        {"name": "API plan", "role": "rep", "period_kind": "quarter", "components": [COMMISSION]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    floats = api_client.patch(
        f"/api/v1/incentive-plans/{pk}/",
        {"components": [{**COMMISSION, "tiers": [{"from_amount": 0, "rate_pct": 1.5}]}]},
        format="json",
    )
    assert floats.status_code == 400
    assert "Enter a number (as text" in floats.json()["components"][0]
    q1, *_ = quarters()
    set_cell(org.rep, q1, actual=100, target=None)
    services.statement_compute(person=org.rep, period=q1)
    patched = api_client.patch(f"/api/v1/incentive-plans/{pk}/", {"name": "V2"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    assert patched.json()["id"] != pk
    listed = api_client.get("/api/v1/incentive-plans/").json()["results"]
    assert [p["name"] for p in listed] == ["V2"]
    everything = api_client.get("/api/v1/incentive-plans/?all_versions=1").json()["results"]
    assert sorted(p["version"] for p in everything) == [1, 2]
    check = api_client.post(
        "/api/v1/incentive-plans/validate/",
        {"name": "", "period_kind": "week", "components": []},
        format="json",
    )
    assert set(check.json()["errors"]) == {"name", "period_kind", "components"}
    api_client.force_authenticate(org.manager)
    assert api_client.post("/api/v1/incentive-plans/", {}, format="json").status_code == 400
    denied = api_client.post(
        "/api/v1/incentive-plans/",
        {"name": "M", "period_kind": "quarter", "components": [COMMISSION]},
        format="json",
    )
    assert denied.status_code == 403
    assert Statement.objects.count() == 1


def test_plan_visibility_per_role(org: Org, client) -> None:
    from incentives import selectors

    company_reps = make_plan(org.admin, COMMISSION, name="Reps")
    south = make_plan(org.admin, COMMISSION, name="South reps", org_unit=org.south)
    managers = make_plan(org.admin, TIERED, name="Managers", role="manager")

    def names(user) -> set[str]:
        return set(selectors.plans_visible(user).values_list("name", flat=True))

    assert names(org.rep) == {"Reps"}
    assert names(org.rep_c) == {"Reps", "South reps"}
    assert names(org.manager) == {"Reps", "Managers"}
    assert names(org.manager_south) == {"Reps", "South reps", "Managers"}
    assert names(org.executive) == names(org.admin) == {"Reps", "South reps", "Managers"}
    client.force_login(org.rep)
    assert client.get(reverse("incentives:plan-detail", args=[south.pk])).status_code == 403
    assert client.get(reverse("incentives:plan-detail", args=[company_reps.pk])).status_code == 200
    assert client.get(reverse("incentives:plan-edit", args=[company_reps.pk])).status_code == 403
    assert client.get(reverse("incentives:plan-detail", args=[managers.pk])).status_code == 403


def test_editing_a_plan_in_use_in_the_builder_makes_a_version(org: Org, client) -> None:
    import json

    q1, *_ = quarters()
    plan = make_plan(org.admin, COMMISSION)
    set_cell(org.rep, q1, actual=100, target=None)
    services.statement_compute(person=org.rep, period=q1)
    client.force_login(org.admin)
    page = client.get(reverse("incentives:plan-edit", args=[plan.pk])).content.decode()
    assert 'data-testid="in-use"' in page
    response = client.post(
        reverse("incentives:plan-edit", args=[plan.pk]),
        {
            "name": "Rep plan",
            "role": "rep",
            "period_kind": "quarter",
            "is_active": "on",
            "components": json.dumps([{**COMMISSION, "label": "Provision"}]),
        },
        follow=True,
    )
    newer = IncentivePlan.objects.get(is_current=True)
    assert newer.version == 2
    assert response.redirect_chain[-1][0] == f"/incentives/plans/{newer.pk}/"
    assert "version 2 was created" in response.content.decode()
    old = client.get(reverse("incentives:plan-edit", args=[plan.pk]), follow=True)
    assert "This is an old version" in old.content.decode()
