"""Incentives in the browser: an admin builds a tiered plan and watches the payout curve
follow the bands; a rep opens their statement (inputs and formulas) and asks the what-if."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incentives import services
from incentives.models import IncentivePlan
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, Period
from salesgoals.services import fiscal_year_generate
from tests.incentives.helpers import COMMISSION, TIERED, set_cell

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture(autouse=True)
def _metrics(transactional_db) -> None:
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)


def test_admin_builds_a_tiered_plan_and_sees_the_curve(
    page, live_server, demo_users, log_in, screenshot
):
    log_in("admin")
    page.goto(f"{live_server.url}/incentives/plans/")
    page.get_by_test_id("new-plan").click()
    page.fill("#id_name", "Field sales 2026")
    page.select_option("#id_role", "rep")
    curve = page.get_by_test_id("payout-curve")
    expect(curve.locator(".main-svg").first).to_be_visible()
    expect(curve).to_have_attribute("data-points", "203")

    # Edit the bands: threshold 70%, the first band from 70%, a third band above 150%.
    page.get_by_test_id("threshold").fill("70")
    page.get_by_test_id("bands").locator("tbody tr").nth(0).locator("input").nth(0).fill("90")
    expect(page.get_by_test_id("builder-errors")).to_contain_text("must start at the threshold")
    page.get_by_test_id("bands").locator("tbody tr").nth(0).locator("input").nth(0).fill("70")
    expect(page.get_by_test_id("builder-errors")).to_be_empty()
    page.get_by_test_id("bands").locator("tbody tr").nth(1).locator("input").nth(1).fill("150")
    page.get_by_test_id("add-band").click()
    last = page.get_by_test_id("bands").locator("tbody tr").nth(2)
    expect(last.locator("input").nth(0)).to_have_value("150")
    last.locator("input").nth(2).fill("0.5")
    page.get_by_test_id("cap").fill("250")
    expect(page.get_by_test_id("builder-errors")).to_be_empty()
    page.wait_for_timeout(600)  # the debounced preview redraws the curve
    screenshot("builder-curve")

    page.get_by_test_id("save-plan").click()
    expect(page.get_by_test_id("plan-title")).to_contain_text("Field sales 2026")
    expect(page.get_by_test_id("payout-curve").locator(".main-svg").first).to_be_visible()
    plan = IncentivePlan.objects.get()
    tiered = plan.components[0]
    assert tiered["threshold_pct"] == "70"
    assert [b["from_pct"] for b in tiered["bands"]] == ["70", "100", "150"]
    assert tiered["bands"][2]["rate"] == "0.5"
    assert tiered["cap_pct"] == "250"
    screenshot("plan-detail")


def _rep_quarterly_plan(demo_users: dict) -> tuple[Period, Period]:
    """The fiscal years around today and a quarterly rep plan (tiered + commission); returns
    this quarter and the one before."""
    today = timezone.localdate()
    fiscal_year_generate(year=today.year)
    if today.month <= 3:
        fiscal_year_generate(year=today.year - 1)
    current = Period.objects.get(kind="quarter", start__lte=today, end__gte=today)
    previous = Period.objects.filter(kind="quarter", end__lt=current.start).order_by("-start")[0]
    services.plan_create(
        actor=demo_users["admin"],
        name="Rep quarterly",
        role="rep",
        period_kind="quarter",
        components=[TIERED, COMMISSION],
    )
    return current, previous


def test_rep_opens_statement_and_what_if(page, live_server, demo_users, log_in, screenshot):
    current, previous = _rep_quarterly_plan(demo_users)
    rep = demo_users["rep"]
    set_cell(rep, previous, actual=105_000_000, target=100_000_000)  # 1,050,000 of 1,000,000
    set_cell(rep, current, actual=90_000_000, target=100_000_000)
    statement = services.statement_compute(person=rep, period=previous)

    log_in("rep")
    page.goto(f"{live_server.url}/incentives/")
    expect(page.get_by_test_id("latest-statement")).to_contain_text(previous.label)
    page.get_by_test_id("latest-statement").click()
    expect(page).to_have_url(re.compile(rf"/incentives/statements/{statement.pk}/"))
    lines = page.get_by_test_id("statement-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("1050000 ÷ 1000000 = 105%")
    expect(lines.nth(0)).to_contain_text("10000.00 × 125% = 12500.00")
    expect(page.get_by_test_id("statement-total")).to_contain_text("23,500.00")
    expect(page.get_by_test_id("statement-curve").locator(".main-svg").first).to_be_visible()
    screenshot("statement")

    page.get_by_test_id("what-if-amount").fill("150000")
    page.get_by_test_id("what-if-submit").click()
    result = page.get_by_test_id("what-if-result")
    expect(result).to_contain_text(current.label)
    # 900,000 + 150,000 = 105%: the same 23,500 as the statement above; now 16,500.
    expect(result).to_contain_text("23,500.00")
    expect(result).to_contain_text("16,500.00")
    screenshot("what-if")

    page.get_by_test_id("lang-zh-hans").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.goto(f"{live_server.url}/incentives/leaderboard/?period={current.pk}")
    expect(page.get_by_test_id("leaderboard-row")).to_have_count(1)
    screenshot("leaderboard-zh")


def test_manager_approves_and_admin_pays(page, live_server, demo_users, log_in, screenshot):
    _current, previous = _rep_quarterly_plan(demo_users)
    rep = demo_users["rep"]
    set_cell(rep, previous, actual=95_000_000, target=100_000_000)
    statement = services.statement_compute(person=rep, period=previous)

    log_in("manager")
    page.goto(f"{live_server.url}/incentives/")
    page.get_by_test_id("to-approve").click()
    expect(page.get_by_test_id("statement-row")).to_have_count(1)
    page.get_by_test_id(f"approve-{statement.pk}").click()
    expect(page.get_by_test_id("statement-row")).to_have_count(0)  # the draft filter is kept
    screenshot("manager-approved")
    page.context.clear_cookies()

    log_in("admin")
    page.goto(f"{live_server.url}/incentives/statements/{statement.pk}/")
    expect(page.get_by_test_id("statement-status")).to_have_text("Approved")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("Paid")
    screenshot("admin-paid")
    statement.refresh_from_db()
    assert statement.status == "paid"
