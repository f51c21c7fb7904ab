"""A day in the life of SalesGoals, in Chromium, once in English and once in Chinese.

The admin connects the fake Zoho CRM and syncs a won deal of last month; the executive sets
the company's revenue target in the wizard; the manager splits it (a re-split of the team,
one rep's month edited) and plans actions with a task for the rep; the plan is submitted and
approved; the rep acknowledges the targets, logs two won deals, writes last week's report and
raises market feedback; the manager logs that feedback as a market change and proposes a
revision, the executive approves it; the three dashboards, the rep's incentive statement
(computed on demand) and the training recommendation then show the numbers the rep synced and
logged. Only the world (users, org tree, fiscal year, catalog, an incentive plan, a training
rule) is built through services; every step after that goes through pages, forms and buttons.
Screenshots: test-artifacts/screenshots/journey-<lang>-NN-<step>.png.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kpis.models import KpiValue
from plans.models import ActionPlan, Feedback, PeriodicReport
from salesgoals.models import Metric
from targets.models import TargetLine, TargetPlan, TargetRevision
from tests.e2e.journey.support import (
    LANGUAGES,
    Browser,
    Deal,
    World,
    build_world,
    plain,
    shown,
)
from tests.fakes.zoho import FakeZoho

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TEXT = {
    "en": {
        "crm_deal": "Pearl River Foods",
        "deal_1": "Great Wall Trading renewal",
        "deal_2": "Yangtze Logistics expansion",
        "description": "Company revenue for the year, split by working days and headcount.",
        "objective": "Grow revenue",
        "reason": "First year on SalesGoals: no history yet.",
        "action_plan": "Win back lapsed customers",
        "task": "Call the lapsed customers",
        "task_2": "Send the renewal offers",
        "achievements": "Closed the Great Wall renewal.",
        "problems": "A competitor undercuts us by 10% in the east.",
        "help": "Price support for renewals.",
        "next": "Visit the three accounts at risk.",
        "feedback_title": "Competitor cuts prices by 10%",
        "feedback_text": "Three customers quoted a competitor 10% below us this week.",
    },
    "zh-hans": {
        "crm_deal": "珠江食品",
        "deal_1": "长城贸易续约",
        "deal_2": "长江物流扩容",
        "description": "全公司年度销售额目标，按工作日拆分到每周，按人数分到每位销售。",
        "objective": "收入稳步增长",
        "reason": "首年使用系统，没有历史数据。",
        "action_plan": "挽回流失客户",
        "task": "回访流失客户",
        "task_2": "发送续约报价",
        "achievements": "签下长城贸易续约。",
        "problems": "竞争对手在华东报价低 10%。",
        "help": "续约需要价格支持。",
        "next": "拜访三个有风险的客户。",
        "feedback_title": "竞争对手降价 10%",
        "feedback_text": "本周三个客户提到竞争对手报价比我们低 10%。",
    },
}
COMPANY_TARGET = 3_600_000  # yuan
USER_NAMES = ("Admin", "Executive", "Manager", "Rep Two", "Rep Three", "Rep", "Team A", "Team B")


@pytest.fixture
def zoho():
    with FakeZoho() as fake:
        yield fake


def cell_of(plan: TargetPlan, owner_type: str, owner_id: int, period) -> int:
    return TargetLine.objects.get(plan=plan, owner_type=owner_type, owner_id=owner_id).value_of(
        period.pk
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_day_in_the_life(page, live_server, demo_users, zoho, lang) -> None:
    page.set_default_timeout(15_000)
    b = Browser(page, live_server.url, lang)
    try:
        walk(b, build_world(demo_users), zoho)
    except Exception:
        b.shot("failed", check=False)  # where it stopped, for the artifacts
        raise


def walk(b: Browser, world: World, zoho: FakeZoho) -> None:
    page, lang = b.page, b.lang
    text = TEXT[lang]
    users, today, month = world.users, world.today, world.month
    rep, manager = users["rep"], users["manager"]
    b.data = (*USER_NAMES, *text.values(), world.company.name)

    # The deals of the day: one won in the CRM last month, two the rep logs by hand.
    crm_deal = Deal(text["crm_deal"], 30_000, world.last_month.start + datetime.timedelta(9))
    deal_1 = Deal(text["deal_1"], 20_000, world.last_week.start)
    deal_2 = Deal(text["deal_2"], 25_000, today)
    world.deals = [crm_deal, deal_1, deal_2]
    crm_rep = zoho.add_user("Rep", rep.email)
    zoho.add_deal(crm_rep, Decimal(crm_deal.amount), stage="Closed Won",
                  Closing_Date=crm_deal.day.isoformat(),
                  Created_Time=f"{world.last_month.start.isoformat()}T09:00:00+08:00",
                  Deal_Name=crm_deal.name)  # fmt: skip
    zoho.add_deal(crm_rep, Decimal("12000.00"), Closing_Date=today.isoformat(),
                  Created_Time=f"{month.start.isoformat()}T09:00:00+08:00")  # fmt: skip

    # 1. The admin connects the CRM and syncs -------------------------------------------
    b.start()
    b.login("admin")
    b.go("/crm/")
    b.heading("CRM sync")
    expect(page.get_by_test_id("connections-empty")).to_be_visible()
    page.get_by_test_id("new-zoho").click()
    page.fill("#id_name", "Zoho CN")
    page.select_option("#id_region", "cn")
    page.fill("#id_client_id", zoho.client_id)
    page.fill("#id_accounts_url", zoho.url)
    page.fill("#id_secret_client_secret", zoho.client_secret)
    page.fill("#id_secret_refresh_token", zoho.refresh_token)
    page.check("#id_enabled")
    b.shot("crm-connect", "Zoho CN")
    page.get_by_test_id("connection-save").click()
    expect(page).to_have_url(re.compile(r"/crm/\d+/$"))
    page.get_by_test_id("test-connection").click()
    expect(page.get_by_test_id("test-result")).to_contain_text("Zoho CRM")
    page.get_by_test_id("sync-now").click()
    progress = page.get_by_test_id("sync-progress")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.get_by_test_id("progress-bar")).to_have_attribute("value", "100")
    b.shot("crm-synced", "Zoho CN")

    # 2. The executive sets the company target in the wizard ----------------------------
    b.login("executive")
    b.go("/targets/")
    expect(page.get_by_test_id("plans-empty")).to_be_visible()
    page.get_by_test_id("new-plan").click()
    page.wait_for_load_state("load")  # htmx is ready once the deferred scripts have run
    revenue = Metric.objects.get(code="revenue")
    page.select_option("#id_metric", str(revenue.pk))
    page.select_option("#id_org_unit", str(world.company.pk))
    page.select_option("#id_fiscal_year", str(world.fiscal_year.pk))
    page.fill("#id_value", str(COMPANY_TARGET))
    page.fill("#id_description", text["description"])
    page.fill("#id_objective", text["objective"])
    page.locator("#id_value").dispatch_event("change")
    expect(page.get_by_test_id("smart-warnings")).to_be_visible(timeout=20_000)
    b.shot("wizard-smart")
    page.get_by_test_id("create-plan").click()
    expect(page.get_by_test_id("error-warnings_reason")).to_be_visible()
    page.fill("#id_warnings_reason", text["reason"])
    page.get_by_test_id("create-plan").click()
    expect(page).to_have_url(re.compile(r"/targets/\d+/grid/"))
    plan = TargetPlan.objects.get()
    company_row = page.get_by_test_id(f"row-unit-{world.company.pk}")
    expect(company_row).to_contain_text(f"¥{COMPANY_TARGET:,}")
    page.get_by_test_id(f"expand-{world.company.pk}").click()
    expect(page.get_by_test_id(f"row-unit-{world.team_a.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"row-unit-{world.team_b.pk}")).to_be_visible()
    b.shot("plan-created-grid")

    # 3. The manager splits the team among its reps and plans actions -------------------
    b.login("manager")
    b.go(f"/targets/{plan.pk}/grid/?kind=month")
    team_row = page.get_by_test_id(f"row-unit-{world.team_a.pk}")
    expect(team_row).to_be_visible()
    page.get_by_test_id("resplit-toggle").click()
    page.select_option("select[name=owner_method]", "even")
    page.select_option("select[name=owner]", f"unit:{world.team_a.pk}")
    page.get_by_test_id("resplit").click()
    expect(page.locator(".flash-success")).to_be_visible()
    team_month = cell_of(plan, "unit", world.team_a.pk, month)
    mine_value = team_month * 6 // 10 // 100_000 * 1000  # 60% of the team's month, in ¥1,000s
    page.get_by_test_id(f"expand-{world.team_a.pk}").click()
    mine = page.get_by_test_id(f"cell-rep-{rep.pk}-{month.pk}")
    other = page.get_by_test_id(f"cell-rep-{users['rep2'].pk}-{month.pk}")
    expect(mine).to_be_visible()
    mine.fill(str(mine_value))
    mine.press("Enter")
    expect(other).to_have_value(f"{(team_month - mine_value * 100) / 100:.2f}")
    expect(page.get_by_test_id(f"lock-rep-{rep.pk}-{month.pk}")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert cell_of(plan, "rep", rep.pk, month) == mine_value * 100
    b.shot("manager-split")

    b.go("/plans/action-plans/new/")
    page.fill("#id_title", text["action_plan"])
    page.select_option("#id_org_unit", str(world.team_a.pk))
    page.select_option("#id_owner", str(manager.pk))
    page.select_option("#id_target_plan", str(plan.pk))
    page.fill("#id_start_date", today.isoformat())
    page.fill("#id_end_date", (today + datetime.timedelta(days=30)).isoformat())
    page.get_by_test_id("plan-submit").click()
    expect(page.get_by_test_id("plan-title")).to_have_text(text["action_plan"])
    for title, owner, due in ((text["task"], rep, 7), (text["task_2"], users["rep2"], 14)):
        page.get_by_test_id("add-task").click()
        page.fill("#id_title", title)
        page.select_option("#id_owner", str(owner.pk))
        page.fill("#id_start_date", today.isoformat())
        page.fill("#id_due_date", (today + datetime.timedelta(days=due)).isoformat())
        page.fill("#id_hours", "4")
        page.get_by_test_id("task-submit").click()
        expect(page.get_by_test_id("task-row").filter(has_text=title)).to_have_count(1)
    expect(page.get_by_test_id("task-row")).to_have_count(2)
    assert ActionPlan.objects.get().target_plan_id == plan.pk
    b.shot("action-plan")

    # 4. The executive submits the plan, the admin approves and publishes it ------------
    b.login("executive")
    b.go(f"/targets/{plan.pk}/")
    page.get_by_test_id("submit-plan").click()
    expect(page.get_by_test_id("plan-status")).to_have_text(b.tr(TargetPlan.Status.SUBMITTED.label))
    b.login("admin")
    b.go(f"/targets/{plan.pk}/")
    page.get_by_test_id("approve-plan").click()
    published = (TargetPlan.Status.APPROVED.label, TargetPlan.Status.ACTIVE.label)
    # Approved, and active at once: the fiscal year has begun.
    expect(page.get_by_test_id("plan-status")).to_have_text(
        re.compile("|".join(re.escape(b.tr(label)) for label in published))
    )
    b.shot("plan-approved", text["description"])

    # 5. The rep acknowledges, logs two won deals, reports on last week, raises feedback -
    b.login("rep")
    b.go("/targets/mine/?kind=month")
    b.heading("My targets")
    expect(page.get_by_test_id(f"my-plan-{plan.pk}")).to_contain_text(shown(mine_value * 100))
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("acknowledged")).to_be_visible()
    b.shot("rep-acknowledged")

    for deal in (deal_1, deal_2):
        b.go("/kpis/deals/new/")
        page.fill("#id_name", deal.name)
        page.fill("#id_amount", str(deal.amount))
        page.fill("#id_created_date", world.last_month.start.isoformat())
        page.fill("#id_close_date", deal.day.isoformat())
        page.get_by_test_id("fact-save").click()
        expect(page.get_by_test_id("deal-name")).to_have_text(deal.name)
        page.get_by_test_id("close-deal").locator("input[type=date]").fill(deal.day.isoformat())
        page.get_by_test_id("mark-won").click()
        expect(page.get_by_test_id("deal-status")).to_have_text(b.tr("Won"))
    b.shot("rep-deal-won")

    b.go("/plans/reports/")
    expect(page.get_by_test_id("missing-reports")).to_be_visible()
    page.get_by_test_id("write-report").click()
    page.wait_for_load_state("load")
    page.select_option("#id_period", str(world.last_week.pk))
    expect(page.get_by_test_id("snapshot-preview")).to_contain_text(
        shown(world.total(world.last_week))
    )
    page.get_by_test_id("report-start").click()
    row = page.locator("[data-testid=snapshot-row][data-metric=revenue]")
    expect(row.get_by_test_id("snapshot-actual")).to_have_text(shown(world.total(world.last_week)))
    page.fill("#id_achievements", text["achievements"])
    page.fill("#id_problems", text["problems"])
    page.fill("#id_help_needed", text["help"])
    page.fill("#id_next_steps", text["next"])
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report-status")).to_have_text(
        b.tr(PeriodicReport.Status.SUBMITTED.label)
    )
    b.shot("rep-report")

    b.go("/plans/feedback/")
    page.get_by_test_id("raise-feedback").click()
    page.select_option("#id_category", "market_change")
    page.fill("#id_title", text["feedback_title"])
    page.fill("#id_text", text["feedback_text"])
    page.get_by_test_id("feedback-submit").click()
    expect(page.get_by_test_id("feedback-title")).to_have_text(text["feedback_title"])
    feedback = Feedback.objects.get()
    b.shot("rep-feedback")

    # 6. The manager logs the feedback as a market change and proposes a revision -------
    b.login("manager")
    b.go("/plans/feedback/")
    page.get_by_test_id("feedback-row").filter(has_text=text["feedback_title"]).get_by_role(
        "link"
    ).first.click()
    expect(page).to_have_url(re.compile(rf"/plans/feedback/{feedback.pk}/"))
    page.get_by_test_id("log-as-market-change").click()
    expect(page.get_by_test_id("from-feedback")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value(text["feedback_title"])
    page.select_option("#id_org_unit", str(world.team_a.pk))
    page.select_option("#id_category", "competitor")
    page.fill("#id_effective_from", month.start.isoformat())
    page.select_option("#id_metric_0", str(revenue.pk))
    page.fill("#id_impact_0", "-10")
    page.get_by_test_id("market-submit").click()
    expect(page.get_by_test_id("market-impacts")).to_contain_text("-10.00%")
    page.select_option("#id_plan", str(plan.pk))
    b.shot("market-change")
    page.get_by_test_id("propose-revision").click()
    expect(page).to_have_url(re.compile(rf"/targets/{plan.pk}/revisions/\d+/"))
    expect(page.get_by_test_id("revision-status")).to_have_text(
        b.tr(TargetRevision.Status.PROPOSED.label)
    )
    expect(page.get_by_test_id("revision-diff")).to_contain_text("Team A")
    revision_url = page.url
    b.shot("revision-proposed")

    # 7. The executive approves the revision ---------------------------------------------
    b.login("executive")
    page.goto(revision_url)
    page.get_by_test_id("approve-revision").click()
    expect(page.get_by_test_id("revision-status")).to_have_text(
        b.tr(TargetRevision.Status.APPROVED.label)
    )
    b.shot("revision-approved")
    plan.refresh_from_db()
    assert plan.version == 2
    team_after = cell_of(plan, "unit", world.team_a.pk, month)
    assert abs(team_after - team_month * 0.9) <= 1
    rep_target = cell_of(plan, "rep", rep.pk, month)

    # 8. The dashboards show what the rep synced and logged -----------------------------
    month_actual = world.total(month)
    b.go("/dashboards/")
    expect(page).to_have_url(re.compile(r"/dashboards/executive/"))
    b.heading("Executive dashboard")
    expect(page.get_by_test_id("kpi-revenue").get_by_test_id("actual")).to_have_text(
        shown(month_actual)
    )
    b.shot("executive-dashboard")

    # 9. The admin computes this quarter's statements on demand -------------------------
    b.login("admin")
    b.go("/incentives/statements/")
    compute = page.locator("details.compute-box")
    compute.locator("summary").click()
    compute.locator("select[name=period]").select_option(str(world.quarter.pk))
    page.get_by_test_id("compute-statements").click()
    expect(page.get_by_test_id("statement-row")).to_have_count(3)  # rep, rep2, rep3
    b.shot("statements-computed")

    # 10. The manager's dashboard and the training recommendation -----------------------
    b.login("manager")
    b.go("/dashboards/")
    expect(page).to_have_url(re.compile(r"/dashboards/manager/"))
    b.heading("Team dashboard")
    rep_row = page.get_by_test_id(f"rep-row-{rep.pk}")
    expect(rep_row.get_by_test_id("cell-revenue").get_by_test_id("actual")).to_have_text(
        shown(month_actual)
    )
    expect(page.get_by_test_id("unit-row").get_by_test_id("cell-revenue")).to_contain_text(
        shown(month_actual)
    )
    b.shot("manager-dashboard")

    b.go("/training/recommendations/")
    b.heading("Recommended courses")
    page.get_by_test_id("recompute").click()
    recommendation = page.get_by_test_id("recommendation-row").filter(
        has=page.locator("td:first-child", has_text=re.compile(r"^Rep\s*Team A$"))
    )
    expect(recommendation).to_have_count(1)
    expect(recommendation).to_contain_text("Consultative selling")
    last_month_cell = KpiValue.objects.get(
        metric=revenue, owner_type="rep", owner_id=rep.pk, period=world.last_month
    )
    assert last_month_cell.actual == world.total(world.last_month)
    last_target = cell_of(plan, "rep", rep.pk, world.last_month)
    assert last_month_cell.target == last_target
    # The reason quotes last month's attainment: what the CRM synced (and the rep logged) then.
    attainment_bp = last_month_cell.attainment_bp
    assert abs(attainment_bp - world.total(world.last_month) * 10_000 / last_target) <= 1
    pct = f"{attainment_bp / 100:.0f}%"
    expect(recommendation).to_contain_text(re.compile(rf"[(（]{pct}[)）]"))
    b.shot("training-recommendation")

    # 11. The rep's own dashboard and incentive statement -------------------------------
    b.login("rep")
    b.go("/dashboards/")
    expect(page).to_have_url(re.compile(r"/dashboards/rep/"))
    b.heading("My numbers")
    expect(page.get_by_test_id("focus-actual")).to_have_text(shown(month_actual))
    expect(page.get_by_test_id("focus").locator(".stat").nth(1)).to_have_text(shown(rep_target))
    expect(page.get_by_test_id("row-revenue")).to_contain_text(shown(month_actual))
    b.shot("rep-dashboard")

    b.go("/incentives/")
    page.get_by_test_id("latest-statement").click()
    expect(page).to_have_url(re.compile(r"/incentives/statements/\d+/"))
    quarter_actual = world.total(world.quarter)
    lines = page.get_by_test_id("statement-line")
    expect(lines.nth(0)).to_contain_text(f"{plain(Decimal(quarter_actual) / 100)} ÷ ")
    commission = Decimal(quarter_actual) / 100 / 100  # 1% below ¥1,000,000
    expect(page.get_by_test_id("statement-total")).to_contain_text(f"{commission:,.2f}")
    b.shot("rep-statement")
