"""kpis/: who sees which KPI cells (role by own / subtree / outside), shape, filters, exports and
a query count that does not grow with the rows."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from kpis import rollup, services
from kpis.models import KpiValue
from salesgoals.models import Metric, Role, User
from tests.core.org_fixtures import Org
from tests.kpis.rollup_fixtures import (
    TODAY,
    _no_drain_on_commit,  # noqa: F401 (autouse fixture)
    org_fixture,  # noqa: F401 (fixture)
    period,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
URL = "/api/v1/kpis/"


def won(owner: User, amount: str = "1234.50", day: datetime.date = DAY) -> None:
    services.deal_upsert(
        owner=owner,
        name="Deal",
        amount=Decimal(amount),
        created_date=day,
        close_date=day,
        status="won",
    )


@pytest.fixture(name="rolled")
def rolled_fixture(org: Org) -> Org:
    for rep in (org.rep, org.rep_b, org.rep_c):
        won(rep)
    rollup.drain_outbox(today=TODAY)
    return org


def cell_id(owner_type: str, owner_id: int) -> int:
    return KpiValue.objects.get(
        metric__code="revenue",
        owner_type=owner_type,
        owner_id=owner_id,
        period=period("month", DAY),
    ).pk


def get(client: APIClient, user: User, url: str, **params):
    client.force_authenticate(user)
    return client.get(url, params)


# (role, owner kind, owner) → allowed
MATRIX = [
    (Role.REP, "rep", "rep", True),  # own
    (Role.REP, "unit", "team_a", False),  # a rep sees only their own rep cells
    (Role.REP, "rep", "rep_b", False),
    (Role.REP, "rep", "rep_c", False),
    (Role.MANAGER, "rep", "rep", True),  # subtree
    (Role.MANAGER, "rep", "rep_b", True),
    (Role.MANAGER, "unit", "north", True),
    (Role.MANAGER, "unit", "team_b", True),
    (Role.MANAGER, "rep", "rep_c", False),  # outside
    (Role.MANAGER, "unit", "south", False),
    (Role.MANAGER, "unit", "company", False),
    (Role.EXECUTIVE, "rep", "rep_c", True),
    (Role.EXECUTIVE, "unit", "company", True),
    (Role.ADMIN, "rep", "rep_b", True),
    (Role.ADMIN, "unit", "south", True),
]


@pytest.mark.parametrize(("role", "owner_type", "owner", "allowed"), MATRIX)
def test_permission_matrix(
    api_client: APIClient, rolled: Org, role: str, owner_type: str, owner: str, allowed: bool
):
    user = rolled.actor(role)
    pk = cell_id(owner_type, getattr(rolled, owner).pk)
    # read
    response = get(api_client, user, f"{URL}{pk}/")
    assert response.status_code == (200 if allowed else 403)
    # list
    listed = {r["id"] for r in get(api_client, user, URL, page_size=500).json()["results"]}
    assert (pk in listed) is allowed
    # export
    export = get(api_client, user, URL, format="csv")
    assert export.status_code == 200
    ids = {
        int(row["id"]) for row in csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")))
    }
    assert (pk in ids) is allowed


def test_unknown_cell_is_404_and_anonymous_is_refused(api_client: APIClient, rolled: Org):
    assert get(api_client, rolled.admin, f"{URL}999999/").status_code == 404
    api_client.force_authenticate(None)
    assert api_client.get(URL).status_code in (401, 403)


def test_shape_and_units(api_client: APIClient, rolled: Org):
    month = period("month", DAY)
    revenue = Metric.objects.get(code="revenue")
    services.targets_store(
        metric=revenue, rows=[("rep", rolled.rep.pk, month.pk, 500_000)], today=TODAY
    )
    body = get(api_client, rolled.rep, f"{URL}{cell_id('rep', rolled.rep.pk)}/").json()
    assert body["metric"] == "revenue"
    assert body["owner_type"] == "rep"
    assert body["owner_name"] == "Rep A"
    assert body["period"]["id"] == month.pk
    assert body["period"]["kind"] == "month"
    assert body["period"]["label"]
    assert body["actual"] == "1234.50"
    assert body["numerator"] == "1234.50"
    assert body["denominator"] is None
    assert body["target"] == "5000.00"
    assert body["attainment"] == "24.69"
    assert body["expected_to_date"] == "5000.00"  # March is over on TODAY
    assert body["pace"] == "24.69"
    assert body["status"] == "behind"
    assert body["required_rate"] is None
    assert body["forecast"] == "1234.50"


def test_counts_and_rates_as_decimals(api_client: APIClient, rolled: Org):
    month = period("month", DAY)
    rows = get(
        api_client, rolled.admin, URL, period=month.pk, owner_type="unit", owner=rolled.north.pk
    ).json()["results"]
    by_metric = {r["metric"]: r for r in rows}
    assert by_metric["deals_won"]["actual"] == "2.00"
    assert by_metric["conversion_rate"]["actual"] == "100.00"
    assert by_metric["conversion_rate"]["numerator"] == "2.00"
    assert by_metric["conversion_rate"]["denominator"] == "2.00"
    assert by_metric["avg_deal_size"]["actual"] == "1234.50"


def test_filters(api_client: APIClient, rolled: Org):
    rows = get(
        api_client,
        rolled.executive,
        URL,
        metric="revenue",
        period_kind="quarter",
        org_unit=rolled.north.pk,
        page_size=500,
    ).json()["results"]
    owners = {(r["owner_type"], r["owner_id"]) for r in rows}
    assert owners == {
        ("rep", rolled.rep.pk),
        ("rep", rolled.rep_b.pk),
        ("unit", rolled.north.pk),
        ("unit", rolled.team_a.pk),
        ("unit", rolled.team_b.pk),
    }
    assert {r["period"]["kind"] for r in rows} == {"quarter"}


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_query_count_does_not_grow_with_rows(
    api_client: APIClient, org: Org, role: str, django_assert_max_num_queries
):
    user = org.actor(role)
    for size in (1, 12):
        for i in range(size):
            for rep in (org.rep, org.rep_b):
                won(rep, day=datetime.date(2026, 1, 5) + datetime.timedelta(days=9 * i))
        rollup.drain_outbox(today=TODAY)
        # session/user, scope paths (managers: 2), count, page
        with django_assert_max_num_queries(6):
            response = get(api_client, user, URL, page_size=500)
        assert response.status_code == 200
        with django_assert_max_num_queries(6):
            assert get(api_client, user, URL, format="csv").status_code == 200
    assert response.json()["count"] > 50


def test_cells_of_owners_for_company_computations(rolled: Org) -> None:
    from kpis.selectors import kpi_cells_of

    cells = kpi_cells_of([("rep", rolled.rep.pk), ("unit", rolled.team_a.pk)])
    owners = set(cells.values_list("owner_type", "owner_id"))
    assert owners == {("rep", rolled.rep.pk), ("unit", rolled.team_a.pk)}
    month = cells.get(metric__code="revenue", owner_type="rep", period=period("month", DAY))
    assert month.actual == 123450
    assert not kpi_cells_of([]).exists()
