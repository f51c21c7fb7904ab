"""A manager opens the target grid, edits and locks cells, re-splits and sees exact totals;
after approval the rep acknowledges their targets — in English and in Chinese."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, OrgUnit, PeriodKind
from salesgoals.services import fiscal_year_generate
from targets import services
from targets.models import TargetLine
from targets.smart import PlanDraft
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture
def draft_plan(demo_users) -> dict:
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)
    today = timezone.localdate()
    fiscal_year = selectors.fiscal_year_for(today)
    if fiscal_year is None:
        fiscal_year = fiscal_year_generate(year=today.year)
    team = demo_users["rep"].org_unit
    rep2 = UserFactory(username="rep2", display_name="Rep Two", org_unit=team)
    plan = services.plan_create(
        actor=demo_users["executive"],
        draft=PlanDraft(
            metric=Metric.objects.get(code="revenue"),
            fiscal_year=fiscal_year,
            org_unit=OrgUnit.objects.get_root_nodes().first(),
            value=1_200_000_00,
            description="Company revenue for the year, through Team A.",
            objective="Grow revenue",
            warnings_reason="First year on SalesGoals.",
        ),
    )
    months = {p.number: p for p in fiscal_year.periods.filter(kind=PeriodKind.MONTH)}
    return {**demo_users, "plan": plan, "rep2": rep2, "team": team, "months": months}


def cell(plan, user, period) -> int:
    return TargetLine.objects.get(plan=plan, owner_type="rep", owner_id=user.pk).value_of(period.pk)


def test_manager_edits_locks_resplits_and_rep_acknowledges(
    page, live_server, draft_plan, log_in, screenshot
) -> None:
    data = draft_plan
    plan, rep, rep2, team = data["plan"], data["rep"], data["rep2"], data["team"]
    march, april = data["months"][3], data["months"][4]
    team_march = TargetLine.objects.get(plan=plan, owner_type="unit", owner_id=team.pk).value_of(
        march.pk
    )

    # The manager opens the grid by month: their team, expanded to its reps
    log_in("manager")
    page.goto(f"{live_server.url}/targets/{plan.pk}/grid/?kind=month")
    expect(page.get_by_test_id(f"row-unit-{team.pk}")).to_be_visible()
    page.get_by_test_id(f"expand-{team.pk}").click()
    mine = page.get_by_test_id(f"cell-rep-{rep.pk}-{march.pk}")
    other = page.get_by_test_id(f"cell-rep-{rep2.pk}-{march.pk}")
    expect(mine).to_be_visible()
    screenshot("grid-before")

    # Editing a cell locks it and rebalances the unlocked sibling at once, exactly
    mine.fill("1000")
    mine.press("Enter")
    expected = f"{(team_march - 100_000) / 100:.2f}"
    expect(other).to_have_value(expected)
    expect(page.get_by_test_id(f"lock-rep-{rep.pk}-{march.pk}")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert cell(plan, rep, march) + cell(plan, rep2, march) == team_march

    # Lock the other rep's April as it is
    page.get_by_test_id(f"lock-rep-{rep2.pk}-{april.pk}").click()
    expect(page.get_by_test_id(f"lock-rep-{rep2.pk}-{april.pk}")).to_have_attribute(
        "aria-pressed", "true"
    )
    april_before = cell(plan, rep2, april)

    # An impossible value is refused with a clear message and changes nothing
    mine.fill("99999999")
    mine.press("Enter")
    expect(page.get_by_test_id("grid-message")).to_contain_text("locked cells do not fit")
    assert cell(plan, rep, march) == 100_000

    # Re-split the team by even shares: locked cells stay, totals stay exact
    page.get_by_test_id("resplit-toggle").click()
    page.select_option("select[name=owner_method]", "even")
    page.select_option("select[name=owner]", f"unit:{team.pk}")
    page.get_by_test_id("resplit").click()
    expect(page.locator(".flash-success")).to_contain_text("Re-split")
    assert cell(plan, rep, march) == 100_000
    assert cell(plan, rep2, april) == april_before
    assert services.verify_plan(plan) == []
    page.get_by_test_id(f"expand-{team.pk}").click()
    expect(page.get_by_test_id(f"cell-rep-{rep.pk}-{march.pk}")).to_have_value("1000.00")
    screenshot("grid-after-en")

    page.get_by_test_id("lang-zh-hans").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_test_id(f"expand-{team.pk}").click()
    expect(page.get_by_test_id(f"cell-rep-{rep.pk}-{march.pk}")).to_have_value("1000.00")
    screenshot("grid-after-zh")

    # After approval, the rep acknowledges their targets on "my targets"
    services.plan_submit(plan=plan, actor=data["executive"])
    services.plan_approve(plan=plan, actor=data["admin"])
    page.get_by_test_id("logout").click(force=True) if page.get_by_test_id(
        "logout"
    ).is_visible() else None
    page.context.clear_cookies()
    log_in("rep")
    page.goto(f"{live_server.url}/targets/mine/?kind=quarter")
    expect(page.get_by_test_id(f"my-plan-{plan.pk}")).to_be_visible()
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("acknowledged")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/targets/mine/"))
    screenshot("rep-acknowledged")
    line = TargetLine.objects.get(plan=plan, owner_type="rep", owner_id=rep.pk)
    plan.refresh_from_db()
    assert line.acknowledged_version == plan.version
