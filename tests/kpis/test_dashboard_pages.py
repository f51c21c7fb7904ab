"""Dashboard pages and the drill-down: role landing, pickers, charts from the local plotly.js,
status colours with text, links to the facts, scope, empty states and query counts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import rollup
from salesgoals.models import FiscalYear
from tests.core.org_fixtures import Org
from tests.kpis.dashboard_fixtures import TODAY, more_reps, period
from tests.kpis.dashboard_fixtures import no_drain_on_commit as no_drain_on_commit
from tests.kpis.dashboard_fixtures import org_fixture as org_fixture
from tests.kpis.dashboard_fixtures import sales_fixture as sales_fixture

pytestmark = pytest.mark.django_db


def page(client: Any, user: Any, name: str, **params: Any) -> Any:
    client.force_login(user)
    params.setdefault("period", period("month").pk)
    return client.get(reverse(f"dashboards:{name}"), params)


def drill(client: Any, user: Any, owner_type: str, owner_id: int, metric: str = "revenue") -> Any:
    client.force_login(user)
    return client.get(
        reverse("dashboards:drill"),
        {
            "metric": metric,
            "owner_type": owner_type,
            "owner": owner_id,
            "period": period("month").pk,
        },
    )


@pytest.mark.parametrize(
    ("actor", "board"),
    [("rep", "rep"), ("manager", "manager"), ("executive", "executive"), ("admin", "executive")],
)
def test_dashboards_land_on_the_roles_own_board(client, org: Org, actor: str, board: str) -> None:
    client.force_login(getattr(org, actor))
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(f"dashboards:{board}")


def test_navigation_links_everyone_to_the_dashboards(client, org: Org) -> None:
    client.force_login(org.rep)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("dashboards:home")}"' in html


def test_anonymous_goes_to_login(client, org: Org) -> None:
    response = client.get(reverse("dashboards:executive"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_executive_page(client, sales: Org) -> None:
    response = page(client, sales.executive, "executive")
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-testid="kpi-table"' in html
    # Amounts in the base currency with thousands separators, linked to their facts
    assert "¥70,000" in html
    assert "/dashboards/drill/?metric=revenue&amp;owner_type=unit" in html
    # Status colour and its words
    assert 'class="status status-behind"' in html
    assert ">Behind<" in html
    # Charts: plotly.js from this server and figure JSON next to each chart
    assert "/static/vendor/plotly/plotly.min.js" in html
    assert "/static/js/salesgoals.js" in html
    figure = json.loads(re.search(r'id="fig-cumulative"[^>]*>(.*?)</script>', html, re.S)[1])
    assert figure["data"][1]["type"] == "scatter"
    # Pickers: period kinds, the months of the year, the units in scope, the chart metric
    assert 'data-testid="kind-quarter"' in html
    assert ">May 2026</option>" in html
    assert 'data-testid="period-prev"' in html
    assert re.search(r'<option value="\d+" selected>Acme</option>', html)
    assert 'data-testid="top-performers"' in html


def test_manager_grid_links_reps_and_facts(client, sales: Org) -> None:
    html = page(client, sales.manager, "manager").content.decode()

    assert f'data-testid="rep-row-{sales.rep.pk}"' in html
    assert f'data-testid="rep-row-{sales.rep_c.pk}"' not in html  # another region
    assert f"/dashboards/rep/?period={period('month').pk}&amp;rep={sales.rep.pk}" in html
    assert "cell cell-on_track" in html
    assert "cell cell-behind" in html
    assert "¥60,000" in html
    # Only the manager's subtree in the unit picker
    assert ">North</option>" in html
    assert "South</option>" not in html


def test_rep_page_shows_pace_required_rate_and_forecast(client, sales: Org) -> None:
    html = page(client, sales.rep, "rep").content.decode()

    assert 'data-testid="focus-actual"' in html
    assert "¥60,000" in html
    assert "Required per working day" in html
    assert "Forecast" in html
    assert 'data-testid="rep-select"' not in html  # a rep sees only themself


def test_manager_sees_a_rep_of_their_team_but_not_outside(client, sales: Org) -> None:
    assert page(client, sales.manager, "rep", rep=sales.rep.pk).status_code == 200
    assert page(client, sales.manager, "rep", rep=sales.rep_c.pk).status_code == 403
    assert page(client, sales.rep, "rep", rep=sales.rep_b.pk).status_code == 403
    assert page(client, sales.rep, "executive").status_code == 403
    assert page(client, sales.manager, "executive").status_code == 403
    assert page(client, sales.rep, "manager").status_code == 403


def test_bad_choice_comes_back_with_a_message(client, sales: Org) -> None:
    response = page(client, sales.rep, "rep", metric="happiness")
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert "Unknown metric." in follow.content.decode()


def test_empty_state_without_a_fiscal_year(client, org: Org) -> None:
    FiscalYear.objects.all().delete()
    client.force_login(org.admin)
    html = client.get(reverse("dashboards:executive")).content.decode()
    assert 'data-testid="notice-no_fiscal_year"' in html
    assert reverse("calendar") in html
    assert 'data-testid="kpi-table"' not in html


def test_notice_without_targets_or_facts(client, org: Org) -> None:
    html = page(client, org.rep, "rep").content.decode()
    assert 'data-testid="notice-no_targets"' in html
    assert 'data-testid="notice-no_facts"' in html


def test_pages_in_chinese(client, sales: Org) -> None:
    client.force_login(sales.executive)
    for name in ("executive", "manager", "rep"):
        response = client.get(
            reverse(f"dashboards:{name}"),
            {"period": period("month").pk},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        assert response.status_code == 200
        assert '<html lang="zh-hans"' in response.content.decode()


# --- drill-down ----------------------------------------------------------------------------


def test_drill_down_lists_the_deal_and_its_credit_share(client, sales: Org) -> None:
    response = drill(client, sales.rep, "rep", sales.rep.pk)
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count('data-testid="drill-row"') == 1
    assert "Deal of r 60000.00" in html
    assert "100.0%" in html
    assert "¥60,000.00" in html


def test_drill_down_of_a_unit_lists_every_team(client, sales: Org) -> None:
    html = drill(client, sales.manager, "unit", sales.north.pk).content.decode()
    assert html.count('data-testid="drill-row"') == 2


def test_drill_down_other_fact_kinds(client, sales: Org) -> None:
    html = drill(client, sales.rep, "rep", sales.rep.pk, metric="activities").content.decode()
    assert html.count('data-testid="drill-row"') == 1
    assert "Visit" in html
    html = drill(client, sales.rep, "rep", sales.rep.pk, metric="orders").content.decode()
    assert 'data-testid="drill-empty"' in html


@pytest.mark.parametrize(
    ("actor", "owner_type", "owner", "status"),
    [
        ("rep", "rep", "rep", 200),
        ("rep", "rep", "rep_b", 403),
        ("rep", "unit", "south", 403),
        ("manager", "rep", "rep_b", 200),
        ("manager", "unit", "team_a", 200),
        ("manager", "rep", "rep_c", 403),
        ("manager", "unit", "south", 403),
        ("executive", "unit", "company", 200),
        ("admin", "rep", "rep_c", 200),
    ],
)
def test_drill_down_scope(
    client, sales: Org, actor: str, owner_type: str, owner: str, status: int
) -> None:
    response = drill(client, getattr(sales, actor), owner_type, getattr(sales, owner).pk)
    assert response.status_code == status


def test_drill_down_needs_a_cell(client, sales: Org) -> None:
    client.force_login(sales.rep)
    assert client.get(reverse("dashboards:drill")).status_code == 404
    assert drill(client, sales.rep, "rep", sales.rep.pk, metric="happiness").status_code == 404


# --- query count ---------------------------------------------------------------------------


@pytest.mark.parametrize(("board", "actor"), [("manager", "manager"), ("executive", "executive")])
def test_page_query_count_does_not_grow_with_reps(
    client, sales: Org, django_assert_max_num_queries, board: str, actor: str
) -> None:
    more_reps(sales, 2)
    rollup.full_recompute(today=TODAY)
    user = getattr(sales, actor)
    client.force_login(user)
    url = reverse(f"dashboards:{board}")
    params = {"period": period("month").pk}
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, params).status_code == 200

    more_reps(sales, 24)
    rollup.full_recompute(today=TODAY)
    with django_assert_max_num_queries(len(small)):
        assert client.get(url, params).status_code == 200


def test_manager_without_a_unit_sees_an_empty_state(client, org: Org) -> None:
    from salesgoals.models import Role
    from tests.factories import UserFactory

    lonely = UserFactory(role=Role.MANAGER, org_unit=None)
    client.force_login(lonely)
    html = client.get(reverse("dashboards:manager")).content.decode()
    assert 'data-testid="notice-no_unit"' in html
    assert 'data-testid="rep-grid"' not in html
