"""A manager builds an action plan with two dependent tasks and looks at its board and timeline
(in English); the rep finishes their task on "my tasks" (in Chinese), which frees the task that
waited for it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from plans.models import ActionPlan, Task
from plans.services import actions as services

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_manager_plans_and_rep_finishes_a_task(page, live_server, demo_users, log_in, screenshot):
    manager, rep = demo_users["manager"], demo_users["rep"]
    today = timezone.localdate()
    strategy = services.strategy_create(
        actor=manager,
        name="Win back lapsed customers",
        kind="customer_satisfaction",
        goal="Call every customer who has not ordered for 90 days.",
        owner=manager,
        org_unit=manager.org_unit,
        start_date=today,
        end_date=today + datetime.timedelta(days=60),
    )

    # The manager creates the plan
    log_in("manager")
    page.goto(f"{live_server.url}/plans/")
    expect(page).to_have_url(re.compile(r"/plans/action-plans/$"))
    expect(page.get_by_test_id("plans-empty")).to_be_visible()
    page.get_by_test_id("new-plan").click()
    page.fill("#id_title", "Spring win-back")
    page.select_option("#id_strategy", str(strategy.pk))
    page.fill("#id_start_date", today.isoformat())
    page.fill("#id_end_date", (today + datetime.timedelta(days=30)).isoformat())
    page.get_by_test_id("plan-submit").click()
    expect(page.get_by_test_id("plan-title")).to_have_text("Spring win-back")
    plan = ActionPlan.objects.get()

    # …and two tasks, the second waiting for the first
    for title, start, due, depends in (
        ("Prepare the call list", 0, 5, None),
        ("Call the customers", 6, 20, "Prepare the call list"),
    ):
        page.get_by_test_id("add-task").click()
        page.fill("#id_title", title)
        page.select_option("#id_owner", str(rep.pk))
        page.fill("#id_start_date", (today + datetime.timedelta(days=start)).isoformat())
        page.fill("#id_due_date", (today + datetime.timedelta(days=due)).isoformat())
        page.fill("#id_hours", "4")
        if depends:
            page.get_by_test_id("depends-on").get_by_label(depends).check()
        page.get_by_test_id("task-submit").click()
        expect(page.get_by_test_id("plan-title")).to_be_visible()
    expect(page.get_by_test_id("task-row")).to_have_count(2)
    first = Task.objects.get(title="Prepare the call list")
    second = Task.objects.get(title="Call the customers")
    expect(page.get_by_test_id(f"task-status-{second.pk}")).to_have_text("Blocked")
    screenshot("manager-plan-tasks")

    # The board: the blocked task sits in its column
    page.get_by_test_id("tab-board").click()
    expect(page.get_by_test_id("column-blocked")).to_contain_text("Call the customers")
    expect(page.get_by_test_id("column-todo")).to_contain_text("Prepare the call list")
    screenshot("manager-board")

    # The timeline: plotly draws both bars and the dependency arrow
    page.get_by_test_id("tab-timeline").click()
    gantt = page.get_by_test_id("gantt")
    expect(gantt.locator(".main-svg").first).to_be_visible()
    expect(gantt.locator("g.bars path")).to_have_count(2)
    expect(gantt.locator(".annotation-arrow-g")).to_have_count(1)
    screenshot("manager-timeline")
    page.context.clear_cookies()

    # The rep marks their first task done on "my tasks" (htmx swaps the list), in Chinese
    log_in("rep")
    page.goto(f"{live_server.url}/plans/")
    expect(page).to_have_url(re.compile(r"/plans/my-tasks/$"))
    page.get_by_test_id("lang-zh-hans").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("group-blocked")).to_contain_text("Call the customers")
    screenshot("rep-my-tasks-before")
    page.get_by_test_id(f"done-{first.pk}").click()
    expect(page.get_by_test_id("group-done")).to_contain_text("Prepare the call list")
    expect(page.get_by_test_id("group-open")).to_contain_text("Call the customers")
    screenshot("rep-my-tasks-after")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.progress) == (Task.Status.DONE, 100)
    assert second.status == Task.Status.TODO
    assert rep.notifications.filter(title="New task: Call the customers").exists()
    plan.refresh_from_db()
