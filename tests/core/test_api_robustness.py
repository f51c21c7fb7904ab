"""Odd input the API fuzzing (tests/fuzz) found answering 500, pinned as plain API tests."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from salesgoals import services
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin(api_client: APIClient, org: Org) -> APIClient:
    api_client.force_authenticate(org.admin)
    return api_client


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/org-units/true/",
        "/api/v1/strategies/%C2%B2/",  # "²": str.isdigit() says yes, int() says no
        "/api/v1/target-plans/-1/approve/",
        "/api/v1/no-such-thing/",
    ],
)
def test_an_unknown_api_url_is_a_json_404(as_admin: APIClient, path: str) -> None:
    response = as_admin.post(path) if path.endswith("approve/") else as_admin.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_pages_keep_the_html_404(client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_xlsx_export_drops_control_characters(as_admin: APIClient, org: Org) -> None:
    services.org_unit_update(unit=org.team_a, name="Team\x0bA\x1f")
    response = as_admin.get("/api/v1/org-units/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "TeamA" in [row[1] for row in sheet.iter_rows(values_only=True)]


def test_id_filters_out_of_range_are_a_400_or_match_nothing(as_admin: APIClient) -> None:
    assert as_admin.get("/api/v1/periods/?parent=-1.5e%2B220").status_code == 400
    assert as_admin.get("/api/v1/kpis/?period=1.5").status_code == 400
    huge = "3745691851098155909120"
    response = as_admin.get(f"/api/v1/certifications/?user={huge}&expiring_within={huge}")
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert as_admin.get("/api/v1/target-plans/?org_unit=false").status_code == 400


def test_incentive_plan_validate_takes_a_form_and_refuses_a_list(as_admin: APIClient) -> None:
    form = as_admin.post(
        "/api/v1/incentive-plans/validate/",
        "name=x&period_kind=month&components=Due",
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 200
    assert "components" in form.json()["errors"]
    listed = as_admin.post("/api/v1/incentive-plans/validate/", [1], format="json")
    assert listed.status_code == 400
    odd = as_admin.post(
        "/api/v1/incentive-plans/validate/",
        {"name": "x", "period_kind": ["month"], "components": []},
        format="json",
    )
    assert set(odd.json()["errors"]) == {"period_kind", "components"}


def test_nul_characters_are_a_400_not_a_database_error(as_admin: APIClient) -> None:
    query = as_admin.get("/api/v1/leaderboards/?metric=%00")
    assert query.status_code == 400
    assert query.json() == {"detail": "Null characters are not allowed."}
    body = as_admin.post(
        "/api/v1/target-plans/validate/",
        '{"metric": "rev\\u0000enue"}',
        content_type="application/json",
    )
    assert body.status_code == 400
    form = as_admin.post(
        "/api/v1/target-plans/validate/",
        {"metric": "rev\x00enue", "fiscal_year": 2026},
        format="multipart",
    )
    assert form.status_code == 400
    assert "metric" in form.json()


ODD_IDS = ["²", "9" * 30]


@pytest.mark.parametrize("odd", ODD_IDS)
@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/plans/feedback/new/", ["plan", "action_plan", "task"]),
        ("/plans/market-changes/new/", ["feedback"]),
        ("/plans/reports/new/", ["period"]),
        ("/plans/strategies/new/", ["target_plan"]),
        ("/plans/action-plans/new/", ["target_plan", "strategy"]),
        ("/training/assign/", ["person"]),
        ("/training/skills/", ["org_unit", "unit"]),
        ("/incentives/leaderboard/", ["period", "org_unit"]),
    ],
)
def test_pages_read_odd_ids_in_the_query_as_no_choice(
    client, org: Org, path: str, names: list[str], odd: str
) -> None:
    # "²" passes str.isdigit() but not int(); 30 digits pass int() but not the database.
    client.force_login(org.admin)
    response = client.get(path, dict.fromkeys(names, odd))
    assert response.status_code in (200, 302, 403, 404), response.status_code
