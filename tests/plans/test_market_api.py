"""market-changes/: who logs and sees what, structured 400s, exports, propose-revision and the
linked revision's status after approval in the targets workflow."""

from __future__ import annotations

import pytest

from plans.models import MarketChange
from plans.services import market as services_market
from targets import services as target_services
from tests.plans.test_market_revision import EFFECTIVE, approved_plan, log_change
from tests.targets.plan_fixtures import org_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/market-changes/"


def body(org, unit=None, **changes):
    data = {
        "date": "2026-04-20",
        "org_unit": (unit or org.north).pk,
        "title": "Competitor cuts prices",
        "description": "A competitor cut list prices by 15%.",
        "category": "competitor",
        "effective_from": EFFECTIVE.isoformat(),
        "impact": [{"metric": "revenue", "impact": "-8.5"}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("who", "unit", "code"),
    [
        ("rep", "north", 403),
        ("manager", "north", 201),
        ("manager", "team_a", 201),
        ("manager", "south", 400),
        ("executive", "south", 201),
        ("admin", "company", 201),
    ],
)
def test_who_logs_where(org, api_client, who, unit, code):
    api_client.force_authenticate(getattr(org, who))
    response = api_client.post(URL, body(org, getattr(org, unit)), format="json")
    assert response.status_code == code, response.data
    if code == 201:
        assert response.data["impact"] == [{"metric": "revenue", "impact": "-8.50"}]
        assert MarketChange.objects.get().impacts.get().impact_bp == -850
    if code == 400:
        assert "org_unit" in response.data


def test_bad_input_is_a_structured_400(org, api_client):
    api_client.force_authenticate(org.executive)
    response = api_client.post(
        URL, body(org, impact=[{"metric": "revenue", "impact": "-100"}]), format="json"
    )
    assert response.status_code == 400
    assert "impacts" in response.data
    response = api_client.post(URL, body(org, impact=[]), format="json")
    assert "impacts" in response.data
    response = api_client.post(URL, body(org, title=""), format="json")
    assert "title" in response.data


@pytest.mark.parametrize(
    ("who", "sees_south", "sees_company"),
    [
        ("rep", False, True),  # Team A: its own units and those above
        ("rep_c", True, True),
        ("manager", False, True),
        ("manager_south", True, True),
        ("executive", True, True),
    ],
)
def test_visibility(org, api_client, who, sees_south, sees_company):
    south = log_change(org, unit=org.south)
    company = log_change(org, unit=org.company)
    api_client.force_authenticate(getattr(org, who))
    ids = {row["id"] for row in api_client.get(URL).data["results"]}
    assert (south.pk in ids, company.pk in ids) == (sees_south, sees_company)
    detail = api_client.get(f"{URL}{south.pk}/")
    assert detail.status_code == (200 if sees_south else 403)
    assert api_client.get(f"{URL}99999/").status_code == 404


def test_filters_and_export(org, api_client):
    log_change(org, unit=org.south)
    api_client.force_authenticate(org.executive)
    assert api_client.get(URL, {"category": "policy"}).data["count"] == 1
    assert api_client.get(URL, {"category": "competitor"}).data["count"] == 0
    assert api_client.get(URL, {"metric": "payments"}).data["count"] == 0
    assert api_client.get(URL, {"org_unit": org.north.pk}).data["count"] == 0
    assert api_client.get(URL, {"date_from": "2026-05-01"}).data["count"] == 0
    csv = api_client.get(URL, {"format": "csv"}).content.decode("utf-8-sig")
    assert "Subsidy ends in the South" in csv
    assert api_client.get(URL, {"format": "xlsx"}).content[:2] == b"PK"


def test_propose_revision_and_its_status_after_approval(org, api_client):
    plan = approved_plan(org)
    change = log_change(org, unit=org.south)
    api_client.force_authenticate(org.executive)
    response = api_client.post(f"{URL}{change.pk}/propose-revision/", {"plan": plan.pk})
    assert response.status_code == 201, response.data
    assert response.data["status"] == "proposed"
    revision_number = response.data["number"]
    assert api_client.post(f"{URL}{change.pk}/propose-revision/", {"plan": 0}).status_code == 400
    revision = plan.revisions.get(number=revision_number)
    target_services.revision_approve(revision=revision, actor=org.admin)
    listed = api_client.get(f"{URL}{change.pk}/").data["revisions"]
    assert [(r["number"], r["status"]) for r in listed] == [(revision_number, "approved")]
    api_client.force_authenticate(org.rep_c)  # sees the change, may not revise the plan
    response = api_client.post(f"{URL}{change.pk}/propose-revision/", {"plan": plan.pk})
    assert response.status_code == 403


def test_list_query_count_does_not_grow(org, api_client, django_assert_max_num_queries):
    plan = approved_plan(org)
    for unit in (org.south, org.north, org.team_a):
        change = log_change(org, unit=unit)
        services_market.market_change_propose_revision(
            actor=org.executive, market_change=change, plan=plan
        )
    api_client.force_authenticate(org.executive)
    # count, page, impacts (+ metric), revision links (+ revision, plan, metric, unit)
    with django_assert_max_num_queries(5):
        response = api_client.get(URL)
    assert response.data["count"] == 3
    assert all(len(row["revisions"]) == 1 for row in response.data["results"])
