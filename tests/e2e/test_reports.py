"""A rep writes a weekly report from their KPI snapshot; the manager comments and signs it off;
the rep sees the sign-off — periodic reports (定期汇报) in the browser."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpis.models import KpiValue
from plans.models import PeriodicReport
from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, Period, PeriodKind
from salesgoals.services import fiscal_year_generate

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture
def last_week(demo_users) -> Period:
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)
    today = timezone.localdate()
    if selectors.fiscal_year_for(today) is None:
        fiscal_year_generate(year=today.year)
    week = Period.objects.filter(kind=PeriodKind.WEEK, end__lt=today).order_by("-end").first()
    if week is None:  # the first week of a new year: the previous year's last week
        fiscal_year_generate(year=today.year - 1)
        week = Period.objects.filter(kind=PeriodKind.WEEK, end__lt=today).order_by("-end")[0]
    KpiValue.objects.create(
        metric=Metric.objects.get(code="revenue"),
        owner_type="rep",
        owner_id=demo_users["rep"].pk,
        period=week,
        actual=86_500_00,
        target=100_000_00,
        attainment_bp=8650,
        pace_bp=8650,
        status="at_risk",
    )
    return week


def test_rep_writes_weekly_report_and_manager_signs_off(
    page, live_server, demo_users, last_week, log_in, screenshot
) -> None:
    # The rep starts a report for last week: the KPI snapshot is filled in
    log_in("rep")
    page.goto(f"{live_server.url}/plans/reports/")
    expect(page.get_by_test_id("missing-reports")).to_be_visible()  # last week is missing
    screenshot("rep-list-missing")
    page.get_by_test_id("write-report").click()
    page.select_option("#id_period", str(last_week.pk))
    expect(page.get_by_test_id("snapshot-preview")).to_contain_text("¥86,500")  # htmx preview
    page.get_by_test_id("report-start").click()
    row = page.locator("[data-testid=snapshot-row][data-metric=revenue]")
    expect(row.get_by_test_id("snapshot-actual")).to_have_text("¥86,500")
    expect(row).to_contain_text("-13.50%")
    page.fill("#id_achievements", "Closed two renewals; one new logo in the pipeline.")
    page.fill("#id_problems", "A competitor undercuts us by 8% on renewals.")
    page.fill("#id_help_needed", "Approval for a 5% renewal discount.")
    page.fill("#id_next_steps", "Visit the three accounts at risk.")
    screenshot("rep-writes")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report-status")).to_have_text("Submitted")
    report = PeriodicReport.objects.get()
    assert report.kpi_snapshot[0]["actual"] == 86_500_00
    page.context.clear_cookies()

    # The manager finds it under "my team", comments and signs it off
    log_in("manager")
    page.goto(f"{live_server.url}/plans/reports/")
    expect(page.get_by_test_id("report-row")).to_contain_text("Rep")
    page.get_by_test_id("report-row").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/plans/reports/{report.pk}/"))
    page.get_by_test_id("comment-form").locator("textarea").fill(
        "Discount approved for the three renewals — keep me posted."
    )
    page.get_by_test_id("comment-submit").click()
    expect(page.get_by_test_id("report-comment")).to_contain_text("Discount approved")
    page.get_by_test_id("review-form").locator("textarea").fill("Good week, signed off.")
    page.get_by_test_id("sign-off").click()
    expect(page.get_by_test_id("report-status")).to_have_text("Signed off")
    expect(page.get_by_test_id("sign-off")).to_have_count(0)
    screenshot("manager-signed-off")
    report.refresh_from_db()
    assert report.status == PeriodicReport.Status.SIGNED_OFF
    assert report.signed_off_by == demo_users["manager"]

    # The week's review meeting: the variance chart and the problem raised in the report
    page.get_by_test_id("nav-review").click()
    page.select_option("#id_org_unit", str(demo_users["rep"].org_unit_id))
    page.select_option("#id_period", str(last_week.pk))
    page.get_by_test_id("build-agenda").click()
    expect(page.get_by_test_id("agenda-report")).to_contain_text("undercuts us by 8%")
    expect(page.get_by_test_id("variance-chart").locator(".main-svg").first).to_be_visible()
    screenshot("review-meeting")
    page.context.clear_cookies()

    # The rep sees the comment and the sign-off, in Chinese too
    log_in("rep")
    page.goto(f"{live_server.url}/plans/reports/{report.pk}/")
    expect(page.get_by_test_id("report-comment")).to_have_count(2)
    page.get_by_test_id("lang-zh-hans").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("report-comment").first).to_contain_text("Discount approved")
    screenshot("rep-sees-sign-off-zh")
    assert demo_users["rep"].notifications.filter(link__contains=f"/reports/{report.pk}/").exists()
