"""dashboards/{executive,manager,rep}/: who may see which, what they contain, and a query count
that does not grow with the number of reps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis import rollup
from salesgoals.models import FiscalYear
from tests.core.org_fixtures import Org
from tests.kpis.dashboard_fixtures import TODAY, more_reps, period
from tests.kpis.dashboard_fixtures import no_drain_on_commit as no_drain_on_commit
from tests.kpis.dashboard_fixtures import org_fixture as org_fixture
from tests.kpis.dashboard_fixtures import sales_fixture as sales_fixture

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboards/{}/"


def get(api_client: Any, user: Any, board: str, **params: Any) -> Any:
    api_client.force_authenticate(user)
    params.setdefault("period", period("month").pk)
    return api_client.get(URL.format(board), params)


def by_metric(rows: list[dict]) -> dict[str, dict]:
    return {r["metric"]: r for r in rows}


# --- permission matrix: role by own / subtree / outside ---------------------------------------

# (actor, board, params as attribute names of Org, expected status)
MATRIX = [
    ("rep", "executive", {}, 403),
    ("manager", "executive", {}, 403),
    ("executive", "executive", {}, 200),
    ("admin", "executive", {}, 200),
    ("executive", "executive", {"org_unit": "south"}, 200),
    ("rep", "manager", {}, 403),
    ("rep", "manager", {"org_unit": "team_a"}, 403),
    ("manager", "manager", {}, 200),
    ("manager", "manager", {"org_unit": "team_a"}, 200),
    ("manager", "manager", {"org_unit": "south"}, 403),
    ("manager", "manager", {"org_unit": "company"}, 403),
    ("executive", "manager", {"org_unit": "team_c"}, 200),
    ("admin", "manager", {}, 200),
    ("rep", "rep", {}, 200),
    ("rep", "rep", {"rep": "rep"}, 200),
    ("rep", "rep", {"rep": "rep_b"}, 403),
    ("rep", "rep", {"rep": "manager"}, 403),
    ("manager", "rep", {}, 200),
    ("manager", "rep", {"rep": "rep"}, 200),
    ("manager", "rep", {"rep": "rep_b"}, 200),
    ("manager", "rep", {"rep": "rep_c"}, 403),
    ("manager", "rep", {"rep": "manager_south"}, 403),
    ("executive", "rep", {"rep": "rep_c"}, 200),
    ("admin", "rep", {"rep": "rep_b"}, 200),
]


@pytest.mark.parametrize(("actor", "board", "params", "status"), MATRIX)
def test_permission_matrix(
    api_client, sales: Org, actor: str, board: str, params: dict, status: int
) -> None:
    resolved = {key: getattr(sales, name).pk for key, name in params.items()}
    response = get(api_client, getattr(sales, actor), board, **resolved)
    assert response.status_code == status, response.content


@pytest.mark.parametrize("board", ["executive", "manager", "rep"])
def test_anonymous_is_refused(api_client, org: Org, board: str) -> None:
    assert api_client.get(URL.format(board)).status_code in (401, 403)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"period": 999999}, 404, None),
        ({"org_unit": 999999}, 404, None),
        ({"period": "soon"}, 400, "period"),
        ({"period_kind": "decade"}, 400, "period_kind"),
        ({"metric": "happiness"}, 400, "metric"),
    ],
)
def test_bad_choices_are_400_unknown_ones_404(
    api_client, sales: Org, params: dict, status: int, field: str | None
) -> None:
    api_client.force_authenticate(sales.executive)
    response = api_client.get(URL.format("executive"), params)
    assert response.status_code == status
    if field:
        assert field in response.json()


def test_unknown_rep_is_404(api_client, sales: Org) -> None:
    assert get(api_client, sales.executive, "rep", rep=999999).status_code == 404


# --- content -------------------------------------------------------------------------------


def test_executive_dashboard_figures(api_client, sales: Org) -> None:
    data = get(api_client, sales.executive, "executive").json()

    assert data["org_unit"]["name"] == "Acme"
    assert data["period"]["label"] == "May 2026"
    revenue = by_metric(data["kpis"])["revenue"]
    assert revenue["actual"] == "70000.00"
    assert revenue["target"] == "240000.00"
    assert revenue["attainment"] == "29.17"
    assert revenue["display"]["actual"] == "¥70,000"
    assert revenue["display"]["attainment"] == "29.2%"
    assert revenue["drill_url"].startswith("/dashboards/drill/?metric=revenue&owner_type=unit")
    assert by_metric(data["kpis"])["deals_won"]["actual"] == "2.00"
    # Breakdown by the company's children; reps ranked by attainment
    assert [(r["org_unit"]["name"], r["actual"]) for r in data["breakdown"]] == [
        ("North", "70000.00"),
        ("South", "0.00"),
    ]
    assert [r["rep"]["name"] for r in data["performers"]["top"]] == ["Rep A", "Rep B", "Rep C"]
    assert data["funnel"] == {"leads": 0, "deals": 0, "won": 2}
    assert set(data["figures"]) >= {"attainment", "cumulative", "breakdown", "funnel"}
    cumulative = data["figures"]["cumulative"]
    assert [t["name"] for t in cumulative["data"]] == ["Target", "Actual"]
    assert data["notices"] == []


def test_manager_dashboard_grid(api_client, sales: Org) -> None:
    data = get(api_client, sales.manager, "manager").json()

    assert data["org_unit"]["name"] == "North"
    assert [r["name"] for r in data["reps"]] == ["Rep A", "Rep B"]  # not Rep C (South)
    rep_a = by_metric(data["reps"][0]["cells"])
    assert rep_a["revenue"]["actual"] == "60000.00"
    assert rep_a["revenue"]["status"] == "on_track"
    assert rep_a["revenue"]["status_label"] == "On track"
    assert by_metric(data["reps"][1]["cells"])["revenue"]["status"] == "behind"
    assert by_metric(data["unit_row"])["revenue"]["actual"] == "70000.00"
    assert len(data["reps"][0]["cells"]) == len(data["metrics"])
    assert "pace" in data["figures"]


def test_executives_manager_board_starts_below_the_company(api_client, sales: Org) -> None:
    data = get(api_client, sales.executive, "manager").json()
    assert data["org_unit"]["name"] == "North"  # the first region, not every rep of the company
    assert [r["name"] for r in data["reps"]] == ["Rep A", "Rep B"]
    chosen = get(api_client, sales.executive, "manager", org_unit=sales.company.pk).json()
    assert chosen["org_unit"]["name"] == sales.company.name


def test_rep_dashboard_by_week_month_quarter_year(api_client, sales: Org) -> None:
    data = get(api_client, sales.rep, "rep").json()

    assert data["rep"]["name"] == "Rep A"
    assert [c["kind"] for c in data["columns"]] == ["week", "month", "quarter", "year"]
    revenue = next(r for r in data["rows"] if r["code"] == "revenue")
    month = revenue["cells"][1]
    assert month["actual"] == "60000.00"
    assert month["target"] == "80000.00"
    assert month["attainment"] == "75.00"
    assert month["pace"] is not None
    assert Decimal(month["forecast"]) >= Decimal("60000.00")
    assert revenue["cells"][2]["actual"] == "60000.00"  # the quarter
    assert data["focus"]["metric"] == "revenue"
    assert data["focus"]["period"] == data["period"]["id"]
    assert "attainment" in data["figures"]


def test_empty_states(api_client, org: Org) -> None:
    # Facts nowhere, no targets
    data = get(api_client, org.executive, "executive").json()
    assert {n["code"] for n in data["notices"]} == {"no_targets", "no_facts"}

    # No fiscal year at all
    FiscalYear.objects.all().delete()
    api_client.force_authenticate(org.executive)
    for board in ("executive", "manager", "rep"):
        data = api_client.get(URL.format(board)).json()
        assert [n["code"] for n in data["notices"]] == ["no_fiscal_year"]
        assert data["period"] is None


def test_default_period_is_the_month_of_today(api_client, sales: Org) -> None:
    api_client.force_authenticate(sales.rep)
    data = api_client.get(URL.format("rep"), {"period_kind": "quarter"}).json()
    assert data["period"]["kind"] == "quarter"


# --- query count ---------------------------------------------------------------------------


def _count(api_client: Any, user: Any, board: str) -> int:
    api_client.force_authenticate(user)
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(URL.format(board), {"period": period("month").pk}).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("board", "actor"),
    [("executive", "executive"), ("manager", "manager"), ("rep", "rep"), ("rep", "manager")],
)
def test_query_count_does_not_grow_with_reps(
    api_client, sales: Org, django_assert_max_num_queries, board: str, actor: str
) -> None:
    # Given a few reps, the count of queries of one dashboard
    more_reps(sales, 2)
    rollup.full_recompute(today=TODAY)
    user = getattr(sales, actor)
    small = _count(api_client, user, board)
    assert small <= 20

    # When there are ten times as many reps with facts
    more_reps(sales, 24)
    rollup.full_recompute(today=TODAY)

    # Then the same dashboard needs no more queries
    api_client.force_authenticate(user)
    with django_assert_max_num_queries(small):
        response = api_client.get(URL.format(board), {"period": period("month").pk})
    assert response.status_code == 200


# --- drill-down ----------------------------------------------------------------------------

DRILL = "/api/v1/dashboards/drill/"


def drill(api_client: Any, user: Any, owner_type: str, owner_id: int, **extra: Any) -> Any:
    api_client.force_authenticate(user)
    params = {
        "metric": "revenue",
        "owner_type": owner_type,
        "owner": owner_id,
        "period": period("month").pk,
        **extra,
    }
    return api_client.get(DRILL, params)


@pytest.mark.parametrize(
    ("actor", "owner_type", "owner", "status"),
    [
        ("rep", "rep", "rep", 200),
        ("rep", "rep", "rep_b", 403),
        ("rep", "unit", "north", 403),
        ("manager", "rep", "rep_b", 200),
        ("manager", "unit", "north", 200),
        ("manager", "rep", "rep_c", 403),
        ("manager", "unit", "company", 403),
        ("executive", "unit", "south", 200),
        ("admin", "rep", "rep_c", 200),
    ],
)
def test_drill_permission_matrix(
    api_client, sales: Org, actor: str, owner_type: str, owner: str, status: int
) -> None:
    response = drill(api_client, getattr(sales, actor), owner_type, getattr(sales, owner).pk)
    assert response.status_code == status


def test_drill_lists_the_deals_with_their_credit_shares(api_client, sales: Org) -> None:
    data = drill(api_client, sales.manager, "unit", sales.north.pk).json()

    assert data["count"] == 2
    assert data["via_shares"] is True
    assert data["cell"]["actual"] == "70000.00"
    first = data["rows"][0]
    assert first["kind"] == "deal"
    assert first["share"] == "100.00"
    assert first["status"] == "won"
    assert {r["credited"] for r in data["rows"]} == {"60000.00", "10000.00"}
    assert {r["person"]["name"] for r in data["rows"]} == {"Rep A", "Rep B"}
    assert data["rows"][0]["display"]["credited"].startswith("¥")


def test_drill_other_metrics_list_the_facts(api_client, sales: Org) -> None:
    data = drill(api_client, sales.rep, "rep", sales.rep.pk, metric="activities").json()
    assert data["via_shares"] is False
    assert [(r["kind"], r["name"], r["date"]) for r in data["rows"]] == [
        ("activity", "Visit", "2026-05-12")
    ]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"owner_type": "team"}, 400),
        ({"owner": "x"}, 400),
        ({"metric": "happiness"}, 404),
        ({"period": 999999}, 404),
        ({"owner": 999999}, 404),
    ],
)
def test_drill_bad_and_unknown_choices(api_client, sales: Org, params: dict, status: int) -> None:
    api_client.force_authenticate(sales.executive)
    query = {"metric": "revenue", "owner_type": "rep", "owner": sales.rep.pk}
    query["period"] = period("month").pk
    assert api_client.get(DRILL, {**query, **params}).status_code == status


def test_drill_query_count_does_not_grow_with_facts(
    api_client, sales: Org, django_assert_max_num_queries
) -> None:
    more_reps(sales, 2)
    api_client.force_authenticate(sales.executive)
    params = {"metric": "revenue", "owner_type": "unit", "owner": sales.company.pk}
    params["period"] = period("month").pk
    with CaptureQueriesContext(connection) as small:
        assert api_client.get(DRILL, params).json()["count"] == 4
    more_reps(sales, 24)
    with django_assert_max_num_queries(len(small)):
        assert api_client.get(DRILL, params).json()["count"] == 28


def test_reps_without_a_target_are_not_ranked_as_performers(api_client, sales: Org) -> None:
    # Extra reps have revenue but no target: neither top nor bottom performers.
    more_reps(sales, 12)
    rollup.full_recompute(today=TODAY)
    data = get(api_client, sales.executive, "executive").json()
    ranked = data["performers"]["top"] + data["performers"]["bottom"]
    assert ranked
    assert all(row["attainment"] is not None for row in ranked)
