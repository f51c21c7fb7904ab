"""An executive sets a company target in the wizard, in Chinese: the SMART check explains the
warning, a written reason overrides it, and the plan opens split down to every rep."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, OrgUnit
from salesgoals.services import fiscal_year_generate
from targets.models import TargetPlan

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture
def calendar(demo_users) -> dict:
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)
    today = timezone.localdate()
    if selectors.fiscal_year_for(today) is None:
        fiscal_year_generate(year=today.year)
    return {**demo_users, "fiscal_year": selectors.fiscal_year_for(today)}


def test_wizard_smart_feedback_and_create_in_chinese(
    page, live_server, calendar, log_in, screenshot
):
    log_in("executive")
    page.goto(f"{live_server.url}/targets/")
    page.get_by_test_id("lang-zh-hans").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("plans-empty")).to_be_visible()
    page.get_by_test_id("new-plan").click()
    page.wait_for_load_state("load")  # htmx is ready once the deferred scripts have run
    company = OrgUnit.objects.get_root_nodes().first()
    page.select_option("#id_metric", str(Metric.objects.get(code="revenue").pk))
    page.select_option("#id_org_unit", str(company.pk))
    page.select_option("#id_fiscal_year", str(calendar["fiscal_year"].pk))
    page.fill("#id_value", "3600000")
    page.fill("#id_description", "全公司年度销售额目标，按工作日拆分到每周，按人数分到每位销售。")
    page.fill("#id_objective", "三年收入翻一番")
    page.locator("#id_value").dispatch_event("change")
    # The SMART panel answers as the form changes: no history yet, so a warning explains it
    expect(page.get_by_test_id("smart-warnings")).to_contain_text(
        "去年没有实际数据", timeout=20_000
    )
    screenshot("wizard-smart-zh")
    page.get_by_test_id("create-plan").click()
    expect(page.get_by_test_id("error-warnings_reason")).to_be_visible()
    page.fill("#id_warnings_reason", "首年使用系统，没有历史数据。")
    page.get_by_test_id("create-plan").click()
    expect(page).to_have_url(re.compile(r"/targets/\d+/grid/"))
    expect(page.locator(".flash-success")).to_contain_text("已分解到每位销售代表")
    plan = TargetPlan.objects.get()
    assert plan.value == 360_000_000
    assert plan.warnings_reason
    expect(page.get_by_test_id(f"row-unit-{company.pk}")).to_contain_text("¥3,600,000")
    screenshot("wizard-created-grid-zh")
