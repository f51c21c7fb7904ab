"""A manager logs a market change for one squad (−10% revenue from the start of this month),
proposes a revision from it, the executive approves it in the targets workflow, and the
manager sees the market change's revision approved and the target grid updated."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from plans.models import MarketChangeRevision
from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, PeriodKind
from salesgoals.services import fiscal_year_generate
from targets import services
from targets.models import TargetLine, TargetRevision
from targets.smart import PlanDraft
from tests.factories import UserFactory, unit

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.fixture
def approved_plan(demo_users) -> dict:
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)
    today = timezone.localdate()
    fiscal_year = selectors.fiscal_year_for(today) or fiscal_year_generate(year=today.year)
    team = demo_users["manager"].org_unit
    north, south = unit("Squad North", team), unit("Squad South", team)
    UserFactory(username="n1", display_name="North One", org_unit=north)
    UserFactory(username="s1", display_name="South One", org_unit=south)
    manager = demo_users["manager"]
    plan = services.plan_create(
        actor=manager,
        draft=PlanDraft(
            metric=Metric.objects.get(code="revenue"),
            fiscal_year=fiscal_year,
            org_unit=team,
            value=2_400_000_00,
            description="Team A revenue for the year, split over both squads.",
            objective="Grow revenue",
            warnings_reason="First year on SalesGoals.",
        ),
    )
    services.plan_submit(plan=plan, actor=manager)
    services.plan_approve(plan=plan, actor=demo_users["executive"])
    month = fiscal_year.periods.get(kind=PeriodKind.MONTH, start__lte=today, end__gte=today)
    return {**demo_users, "plan": plan, "north": north, "south": south, "month": month}


def value(plan, unit_, period) -> int:
    return TargetLine.objects.get(plan=plan, owner_type="unit", owner_id=unit_.pk).value_of(
        period.pk
    )


def shown(minor: int) -> str:
    whole = (Decimal(minor) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"¥{whole:,}"


def test_manager_turns_market_change_into_approved_revision(
    page, live_server, approved_plan, log_in, screenshot
) -> None:
    data = approved_plan
    plan, north, south, month = data["plan"], data["north"], data["south"], data["month"]
    north_before, south_before = value(plan, north, month), value(plan, south, month)

    # The manager logs the change with its expected impact
    log_in("manager")
    page.goto(f"{live_server.url}/plans/market-changes/")
    expect(page.get_by_test_id("market-empty")).to_be_visible()
    page.get_by_test_id("log-market-change").click()
    page.fill("#id_date", timezone.localdate().isoformat())
    page.select_option("#id_org_unit", str(north.pk))
    page.select_option("#id_category", "competitor")
    page.fill("#id_title", "Competitor opens a store in the north")
    page.fill("#id_description", "Walk-in sales in the north will drop while it runs promotions.")
    page.fill("#id_effective_from", month.start.isoformat())
    page.select_option("#id_metric_0", str(Metric.objects.get(code="revenue").pk))
    page.fill("#id_impact_0", "-10")
    page.get_by_test_id("market-submit").click()
    expect(page.get_by_test_id("market-impacts")).to_contain_text("-10.00%")
    screenshot("market-change-logged")

    # …and proposes a revision from it: it lands on the targets revision page
    page.select_option("#id_plan", str(plan.pk))
    page.get_by_test_id("propose-revision").click()
    expect(page).to_have_url(re.compile(rf"/targets/{plan.pk}/revisions/\d+/"))
    expect(page.get_by_test_id("revision-status")).to_have_text("Proposed")
    expect(page.get_by_test_id("revision-diff")).to_contain_text("Squad North")
    screenshot("revision-proposed")
    revision = MarketChangeRevision.objects.get().revision
    revision_url = page.url
    page.context.clear_cookies()

    # The executive approves it in the targets workflow
    log_in("executive")
    page.goto(revision_url)
    page.get_by_test_id("approve-revision").click()
    expect(page.get_by_test_id("revision-status")).to_have_text("Approved")
    revision.refresh_from_db()
    assert revision.status == TargetRevision.Status.APPROVED
    page.context.clear_cookies()

    # The manager sees the approved revision on the market change, and the grid updated
    log_in("manager")
    page.goto(f"{live_server.url}/plans/market-changes/")
    page.get_by_test_id("market-row").get_by_role("link").first.click()
    expect(page.get_by_test_id("market-revision-status")).to_have_text("Approved")
    screenshot("market-change-approved")
    north_after, south_after = value(plan, north, month), value(plan, south, month)
    assert abs(north_after - north_before * 0.9) <= 1
    assert south_after == south_before
    page.goto(f"{live_server.url}/targets/{plan.pk}/grid/?kind=month")
    page.get_by_test_id(f"expand-{plan.org_unit_id}").click()
    expect(page.get_by_test_id(f"cell-unit-{north.pk}-{month.pk}")).to_have_text(shown(north_after))
    expect(page.get_by_test_id(f"cell-unit-{south.pk}-{month.pk}")).to_have_text(
        shown(south_before)
    )
    screenshot("grid-updated")
