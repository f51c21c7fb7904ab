"""A rep logs a won deal in the browser; after the rollup their dashboard and their manager's
grid show the new actual, and the drill-down lists the deal — in English and in Chinese."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpis import rollup, services
from kpis.models import OwnerType
from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric
from salesgoals.services import fiscal_year_generate

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

DEAL = "Great Wall Trading renewal"


@pytest.fixture
def month_with_targets(demo_users) -> dict:
    """This fiscal year, and revenue targets of ¥200,000 for the rep and Team A this month."""
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)
    today = timezone.localdate()
    if selectors.fiscal_year_for(today) is None:
        fiscal_year_generate(year=today.year)  # the company's year starts in January
    month = selectors.periods_containing(today)["month"]
    rep = demo_users["rep"]
    services.targets_store(
        metric=Metric.objects.get(code="revenue"),
        rows=[
            (OwnerType.REP, rep.pk, month.pk, 20_000_000),
            (OwnerType.UNIT, rep.org_unit_id, month.pk, 20_000_000),
        ],
        source_ref="e2e",
    )
    return {**demo_users, "month": month}


def test_won_deal_reaches_the_dashboards_and_the_drill_down(
    page, live_server, month_with_targets, log_in, screenshot
) -> None:
    users = month_with_targets
    today = timezone.localdate()

    # Given the rep's empty dashboard
    log_in("rep")
    page.goto(f"{live_server.url}/dashboards/")
    expect(page).to_have_url(re.compile(r"/dashboards/rep/"))
    expect(page.get_by_test_id("focus-actual")).to_have_text("¥0")
    screenshot("rep-before")

    # When the rep adds a deal on the deal page and marks it won
    page.goto(f"{live_server.url}/kpis/deals/new/")
    page.fill("#id_name", DEAL)
    page.fill("#id_amount", "88000")
    page.fill("#id_created_date", today.replace(day=1).isoformat())
    page.fill("#id_close_date", today.isoformat())
    page.get_by_test_id("fact-save").click()
    expect(page.get_by_test_id("deal-name")).to_have_text(DEAL)
    page.get_by_test_id("mark-won").click()
    expect(page.get_by_test_id("deal-status")).to_have_text("Won")

    # And the rollup runs (the embedded mode drains after each commit; drain again to be sure)
    rollup.drain_outbox()

    # Then the rep's dashboard shows the new actual against the target
    page.goto(f"{live_server.url}/dashboards/")
    expect(page.get_by_test_id("focus-actual")).to_have_text("¥88,000")
    expect(page.get_by_test_id("row-revenue")).to_contain_text("¥88,000")
    expect(page.get_by_test_id("row-revenue")).to_contain_text("¥200,000")
    expect(page.get_by_test_id("chart-attainment").locator(".main-svg").first).to_be_visible()
    screenshot("rep-after-en")

    # And the drill-down behind the number lists the deal and the rep's credit share
    page.get_by_test_id("focus-actual").click()
    expect(page.get_by_test_id("drill-title")).to_contain_text("Revenue")
    rows = page.get_by_test_id("drill-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(DEAL)
    expect(rows.first).to_contain_text("100.0%")
    expect(rows.first).to_contain_text("¥88,000.00")
    screenshot("drill-en")

    # When the manager opens their dashboard
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    log_in("manager")
    page.goto(f"{live_server.url}/dashboards/")

    # Then the team grid shows the rep's new actual, coloured by pace and said in words
    expect(page).to_have_url(re.compile(r"/dashboards/manager/"))
    rep_row = page.get_by_test_id(f"rep-row-{users['rep'].pk}")
    expect(rep_row.get_by_test_id("cell-revenue")).to_contain_text("¥88,000")
    expect(rep_row.get_by_test_id("cell-revenue")).to_contain_text("44.0%")
    expect(page.get_by_test_id("unit-row").get_by_test_id("cell-revenue")).to_contain_text(
        "¥88,000"
    )
    screenshot("manager-en")

    # And the number opens the same facts
    rep_row.get_by_test_id("cell-revenue").get_by_test_id("actual").click()
    expect(page.get_by_test_id("drill-row")).to_have_count(1)
    expect(page.get_by_test_id("drill-row").first).to_contain_text(DEAL)

    # And in Chinese the grid reads in the glossary's words with the same numbers
    page.go_back()
    page.get_by_test_id("lang-zh-hans").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(rep_row.get_by_test_id("cell-revenue")).to_contain_text("¥88,000")
    screenshot("manager-zh-hans")
    page.get_by_test_id("rep-link").first.click()
    expect(page.get_by_test_id("focus-actual")).to_have_text("¥88,000")
    screenshot("rep-zh-hans")


def test_executive_dashboard_in_both_languages(
    page, live_server, month_with_targets, log_in, screenshot
) -> None:
    rep = month_with_targets["rep"]
    today = timezone.localdate()
    deal = services.deal_upsert(
        owner=rep,
        name=DEAL,
        amount=Decimal("50000"),
        created_date=today.replace(day=1),
        close_date=today,
        status="won",
    )
    assert deal.pk
    rollup.full_recompute()

    log_in("executive")
    page.goto(f"{live_server.url}/dashboards/")
    expect(page).to_have_url(re.compile(r"/dashboards/executive/"))
    expect(page.get_by_test_id("kpi-revenue")).to_contain_text("¥50,000")
    expect(page.get_by_test_id("chart-cumulative").locator(".main-svg").first).to_be_visible()
    screenshot("executive-en")

    page.get_by_test_id("kind-quarter").click()
    expect(page.get_by_test_id("dashboard-period")).to_contain_text("Q")
    page.get_by_test_id("lang-zh-hans").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("kpi-revenue")).to_contain_text("¥50,000")
    screenshot("executive-zh-hans")
