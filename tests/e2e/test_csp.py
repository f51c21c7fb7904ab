"""The Content-Security-Policy in a real browser: each role opens its main pages — dashboards
with plotly charts, the target grid, the action-plan board and timeline, the incentive builder,
Swagger UI — and the test fails on any CSP violation, JavaScript error or console error.

Charts are asserted drawn (plotly's `.main-svg`), so a policy that silently blocked plotly.js
or our own scripts would fail here even without a console message.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kpis import services as kpi_services
from kpis.models import OwnerType
from plans.services import actions as action_services
from plans.services import actions_tasks as task_services
from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, OrgUnit
from salesgoals.services import fiscal_year_generate
from targets import services as target_services
from targets.smart import PlanDraft

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# Runs before any page script, outside the page's CSP (Playwright injects it).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


@pytest.fixture
def world(demo_users) -> dict:
    """A year of targets split to the rep, this month's numbers, an action plan with tasks."""
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)
    today = timezone.localdate()
    fiscal_year = selectors.fiscal_year_for(today) or fiscal_year_generate(year=today.year)
    rep, manager = demo_users["rep"], demo_users["manager"]
    revenue = Metric.objects.get(code="revenue")
    plan = target_services.plan_create(
        actor=demo_users["executive"],
        draft=PlanDraft(
            metric=revenue,
            fiscal_year=fiscal_year,
            org_unit=OrgUnit.objects.get_root_nodes().first(),
            value=1_200_000_00,
            description="Company revenue for the year, through Team A.",
            objective="Grow revenue",
            warnings_reason="First year on SalesGoals.",
        ),
    )
    month = selectors.periods_containing(today)["month"]
    kpi_services.targets_store(
        metric=revenue,
        rows=[
            (OwnerType.REP, rep.pk, month.pk, 20_000_000),
            (OwnerType.UNIT, rep.org_unit_id, month.pk, 20_000_000),
        ],
        source_ref="e2e-csp",
    )
    action_plan = action_services.action_plan_create(
        actor=manager,
        title="Spring win-back",
        org_unit=manager.org_unit,
        owner=manager,
        start_date=today,
        end_date=today + datetime.timedelta(days=30),
        target_plan=plan,
    )
    first = task_services.task_create(
        actor=manager,
        plan=action_plan,
        title="Prepare the call list",
        owner=rep,
        start_date=today,
        due_date=today + datetime.timedelta(days=5),
    )
    task_services.task_create(
        actor=manager,
        plan=action_plan,
        title="Call the customers",
        owner=rep,
        start_date=today + datetime.timedelta(days=6),
        due_date=today + datetime.timedelta(days=20),
        depends_on=[first],
    )
    return {**demo_users, "plan": plan, "action_plan": action_plan}


class BrowserErrors:
    """Console errors, uncaught exceptions and CSP violations of the current page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        page.on("response", self._response)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _console(self, message) -> None:
        text = message.text
        if text.startswith("Failed to load resource"):
            # Page requests that fail are reported by `_response` with their URL; this one also
            # covers the browser's own /favicon.ico probe on pages without an icon (admin).
            return
        if message.type == "error" or "Content Security Policy" in text:
            self.problems.append(f"console.{message.type}: {text}")

    def check(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        violations = self.page.evaluate("window.__cspViolations || []")
        problems = self.problems + [f"violation: {v}" for v in violations]
        self.problems = []
        assert not problems, f"{where}: {problems}"


def visit(page: Page, errors: BrowserErrors, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    errors.check(url)


def chart_drawn(page: Page, test_id: str | None = None) -> None:
    scope = page.get_by_test_id(test_id) if test_id else page
    expect(scope.locator(".main-svg").first).to_be_visible()


def test_rep_pages(page, live_server, world, log_in, screenshot) -> None:
    errors = BrowserErrors(page)
    log_in("rep")
    errors.check("log-in")
    base = live_server.url
    visit(page, errors, f"{base}/dashboards/rep/")
    chart_drawn(page)
    errors.check("rep dashboard, charts drawn")
    screenshot("rep-dashboard")
    for path in ("/", "/targets/mine/", "/kpis/", "/plans/my-tasks/", "/incentives/", "/training/"):
        visit(page, errors, base + path)
    visit(page, errors, f"{base}/targets/")
    # The filters apply on change (data-autosubmit in salesgoals.js, no inline handler)
    page.locator("select[name=status]").select_option("draft")
    page.wait_for_url("**/targets/?*status=draft*")
    errors.check("target plan filters")

    # And the detector itself works: an inline script added to the page is reported
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    with pytest.raises(AssertionError, match="script-src"):
        errors.check("injected inline script")


def test_manager_pages(page, live_server, world, log_in, screenshot) -> None:
    errors = BrowserErrors(page)
    log_in("manager")
    base = live_server.url
    visit(page, errors, f"{base}/dashboards/manager/")
    chart_drawn(page)
    errors.check("manager dashboard")
    screenshot("manager-dashboard")

    # The target grid: htmx expands a team, inline editing script loaded
    team = world["rep"].org_unit
    visit(page, errors, f"{base}/targets/{world['plan'].pk}/grid/?kind=month")
    page.get_by_test_id(f"expand-{team.pk}").click()
    expect(page.locator(f"[data-testid^=cell-rep-{world['rep'].pk}-]").first).to_be_visible()
    errors.check("target grid, team expanded")
    screenshot("target-grid")

    # The action plan: board and the plotly timeline
    visit(page, errors, f"{base}/plans/action-plans/{world['action_plan'].pk}/")
    page.get_by_test_id("tab-board").click()
    expect(page.get_by_test_id("column-blocked")).to_contain_text("Call the customers")
    errors.check("plan board")
    page.get_by_test_id("tab-timeline").click()
    chart_drawn(page, "gantt")
    errors.check("plan timeline")
    screenshot("plan-timeline")
    for path in ("/", "/org/", "/training/team/", "/incentives/statements/"):
        visit(page, errors, base + path)


def test_executive_pages(page, live_server, world, log_in, screenshot) -> None:
    errors = BrowserErrors(page)
    log_in("executive")
    base = live_server.url
    visit(page, errors, f"{base}/dashboards/executive/")
    chart_drawn(page)
    errors.check("executive dashboard")
    screenshot("executive-dashboard")
    for path in (f"/targets/{world['plan'].pk}/", "/targets/", "/incentives/leaderboard/"):
        visit(page, errors, base + path)


def test_admin_pages(page, live_server, world, log_in, screenshot) -> None:
    errors = BrowserErrors(page)
    log_in("admin")
    base = live_server.url

    # The incentive builder draws the payout curve through plotly and redraws on edits
    visit(page, errors, f"{base}/incentives/plans/new/")
    curve = page.get_by_test_id("payout-curve")
    chart_drawn(page, "payout-curve")
    page.get_by_test_id("threshold").fill("70")
    page.wait_for_timeout(600)  # the debounced preview
    expect(curve.locator(".main-svg").first).to_be_visible()
    errors.check("incentive builder")
    screenshot("incentive-builder")

    # The target wizard checks SMART live (htmx) and draws the baseline chart
    visit(page, errors, f"{base}/targets/new/")
    errors.check("target wizard")

    # Swagger UI: its start-up script comes from a URL, not inline
    visit(page, errors, f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    errors.check("swagger ui")
    screenshot("swagger-ui")

    for path in ("/org/", "/calendar/", "/crm/", "/training/", "/admin/", "/api/v1/"):
        visit(page, errors, base + path)
