"""Strategy, action-plan and task pages: scope per role, forms through the services, the board
and "my tasks" moves (plain and htmx), highlights, the timeline figure, feedback links."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from plans.models import ActionPlan, Feedback, Strategy, Task
from plans.services import actions as services
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.plans.actions_fixtures import make_action_plan, make_strategy, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org: Org) -> ActionPlan:
    return make_action_plan(org)


def url(name: str, *args) -> str:
    return reverse(f"plans:{name}", args=args)


def test_pages_follow_scope(org: Org, client, plan) -> None:
    task = make_task(plan, org.manager, org.rep)
    south = make_action_plan(
        org,
        actor=org.manager_south,
        org_unit=org.team_c,
        owner=org.manager_south,
        strategy=make_strategy(
            org, actor=org.manager_south, owner=org.manager_south, org_unit=org.south
        ),
        title="South",
    )
    pages = [
        url("action-plan-detail", plan.pk),
        url("action-plan-board", plan.pk),
        url("action-plan-timeline", plan.pk),
        url("task-detail", task.pk),
        url("strategy-detail", plan.strategy.pk),
    ]
    for user, code in [(org.rep, 200), (org.executive, 200), (org.rep_c, 403)]:
        client.force_login(user)
        for page in pages:
            assert client.get(page).status_code == code, (user, page)
    client.force_login(org.rep)
    for page in (url("action-plan-list"), url("strategy-list"), url("my-tasks")):
        assert client.get(page).status_code == 200
    assert b"South" not in client.get(url("action-plan-list")).content
    for user in (org.rep, org.executive):  # executives read, they do not plan
        client.force_login(user)
        assert 'data-testid="new-plan"' not in client.get(url("action-plan-list")).content.decode()
        assert 'data-testid="add-task"' not in client.get(pages[0]).content.decode()
        for page in (
            url("action-plan-create"),
            url("strategy-create"),
            url("task-create", plan.pk),
            url("task-edit", task.pk),
            url("action-plan-edit", plan.pk),
            url("strategy-edit", plan.strategy.pk),
        ):
            assert client.get(page).status_code == 403, (user, page)
    client.force_login(org.manager)
    assert client.get(url("action-plan-detail", south.pk)).status_code == 403
    assert client.get(url("action-plan-detail", 999999)).status_code == 404
    assert client.get(url("task-create", plan.pk)).status_code == 200


def test_home_opens_my_tasks_for_reps(org: Org, client) -> None:
    client.force_login(org.rep)
    assert client.get(url("home"))["Location"] == url("my-tasks")
    client.force_login(org.manager)
    assert client.get(url("home"))["Location"] == url("action-plan-list")
    page = client.get(url("action-plan-list")).content.decode()
    assert 'data-testid="nav-raise-feedback"' in page  # feedback stays one click away


def test_manager_builds_a_plan_through_the_forms(org: Org, client) -> None:
    client.force_login(org.manager)
    response = client.post(
        url("strategy-create"),
        {
            "name": "Distributor push",
            "kind": "channel_optimisation",
            "goal": "Two new distributors.",
            "org_unit": org.north.pk,
            "owner": org.manager.pk,
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
            "budget": "12000.50",
            "expected_contribution": "300000",
        },
    )
    strategy = Strategy.objects.get()
    assert response["Location"] == url("strategy-detail", strategy.pk)
    assert (strategy.budget, strategy.expected_contribution) == (1_200_050, 300000)
    response = client.get(f"{url('action-plan-create')}?strategy={strategy.pk}")
    assert f'<option value="{strategy.pk}" selected>' in response.content.decode()
    response = client.post(
        url("action-plan-create"),
        {
            "title": "Team A distributor visits",
            "org_unit": org.team_a.pk,
            "owner": org.manager.pk,
            "strategy": strategy.pk,
            "start_date": "2026-04-01",
            "end_date": "2026-05-31",
        },
    )
    plan = ActionPlan.objects.get()
    assert response["Location"] == url("action-plan-detail", plan.pk)
    task_form = {
        "title": "Shortlist distributors",
        "owner": org.rep.pk,
        "start_date": "2026-04-01",
        "due_date": "2026-04-10",
        "budget": "0",
        "hours": "6",
    }
    client.post(url("task-create", plan.pk), task_form)
    first = Task.objects.get()
    client.post(
        url("task-create", plan.pk),
        {**task_form, "title": "Visit them", "due_date": "2026-04-30", "depends_on": [first.pk]},
    )
    second = Task.objects.get(title="Visit them")
    assert second.status == Task.Status.BLOCKED
    # A cycle is shown next to the field, nothing is saved.
    response = client.post(url("task-edit", first.pk), {**task_form, "depends_on": [second.pk]})
    assert response.status_code == 200
    assert 'data-testid="error-depends_on"' in response.content.decode()
    assert list(first.depends_on.all()) == []
    page = client.get(url("action-plan-detail", plan.pk)).content.decode()
    assert page.count('data-testid="task-row"') == 2
    assert "Waiting for" in page


def test_board_moves_a_card_with_and_without_htmx(org: Org, client, plan) -> None:
    task = make_task(plan, org.manager, org.rep, title="Call back")
    blocked = make_task(plan, org.manager, org.rep, title="Quote", depends_on=[task])
    client.force_login(org.rep)
    board = url("action-plan-board", plan.pk)
    page = client.get(board).content.decode()
    todo = page.split('data-testid="column-todo"')[1].split("</section>")[0]
    assert "Call back" in todo
    assert f'data-testid="move-select-{task.pk}"' in page
    # The blocked card offers no way to start before its dependency is done.
    select = re.search(rf'data-testid="move-select-{blocked.pk}">(.*?)</select>', page, re.S)
    assert 'value="in_progress"' not in select.group(1)
    assert 'value="cancelled"' not in select.group(1)  # reps do not cancel

    response = client.post(
        url("task-move", task.pk),
        {"status": "in_progress", "next": board},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 302
    assert response["Location"] == board
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS
    response = client.post(
        url("task-move", blocked.pk), {"status": "done", "next": board}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"
    blocked.refresh_from_db()
    assert blocked.status == Task.Status.BLOCKED
    response = client.post(
        url("task-move", task.pk), {"status": "done", "next": "https://evil.example/"}
    )
    assert response["Location"] == url("task-detail", task.pk)
    client.force_login(org.rep_b)
    assert client.post(url("task-move", task.pk), {"status": "todo"}).status_code == 403


def test_my_tasks_groups_and_highlights(org: Org, client, plan) -> None:
    late = make_task(plan, org.manager, org.rep, start=-30, due=-20, title="Late one")
    Task.objects.filter(pk=late.pk).update(start_date="2020-01-01", due_date="2020-01-10")
    soon = make_task(plan, org.manager, org.rep, title="Upcoming")
    Task.objects.filter(pk=soon.pk).update(start_date="2099-01-01", due_date="2099-01-10")
    make_task(plan, org.manager, org.rep_b, title="Not mine")
    client.force_login(org.rep)
    page = client.get(url("my-tasks")).content.decode()
    assert "Not mine" not in page
    overdue = page.split('data-testid="group-overdue"')[1].split("</section>")[0]
    assert "Late one" in overdue
    assert 'class="row-overdue"' in overdue
    response = client.post(url("task-move", soon.pk), {"status": "done", "next": url("my-tasks")})
    assert response["Location"] == url("my-tasks")
    page = client.get(url("my-tasks")).content.decode()
    assert "Upcoming" in page.split('data-testid="group-done"')[1]
    client.post(url("task-move", late.pk), {"progress": "40", "next": url("my-tasks")})
    late.refresh_from_db()
    assert (late.progress, late.status) == (40, Task.Status.TODO)
    client.force_login(org.rep_c)
    assert 'data-testid="my-tasks-empty"' in client.get(url("my-tasks")).content.decode()


def test_timeline_figure(org: Org, client, plan) -> None:
    first = make_task(plan, org.manager, org.rep, start=0, due=5, title="Prepare")
    make_task(plan, org.manager, org.rep, start=6, due=9, title="Launch", depends_on=[first])
    make_task(plan, org.manager, org.rep, due=20, title="Review", is_milestone=True)
    client.force_login(org.manager)
    response = client.get(url("action-plan-timeline", plan.pk))
    page = response.content.decode()
    assert "vendor/plotly/plotly.min.js" in page
    assert "js/salesgoals.js" in page
    figure = json.loads(
        re.search(r'id="gantt-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    )
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["To do", "Blocked", "Overdue", "Milestone"]  # the fixture lies in the past
    assert figure["data"][0]["base"] == [str(first.start_date)]
    assert figure["data"][0]["x"] == [6 * 24 * 3600 * 1000]  # 6 days, due day included
    assert len(figure["layout"]["annotations"]) == 1  # one dependency arrow
    assert "<script>" not in page.split("gantt-data")[0].split("<main")[1]  # no inline script


def test_raise_feedback_from_a_task(org: Org, client, plan) -> None:
    task = make_task(plan, org.manager, org.rep, title="Demo for Acme")
    client.force_login(org.rep)
    detail = client.get(url("task-detail", task.pk)).content.decode()
    link = f"{url('feedback-create')}?task={task.pk}"
    assert link in detail
    form = client.get(link).content.decode()
    assert 'data-testid="feedback-subject"' in form
    assert '<input type="hidden" name="plan"' in form  # no target plan to choose as well
    assert "Demo for Acme" in form
    response = client.post(
        link,
        {
            "category": "resources",
            "title": "No demo unit",
            "text": "Both are booked.",
            "task": task.pk,
        },
    )
    item = Feedback.objects.get()
    assert response["Location"] == url("feedback-detail", item.pk)
    assert (item.subject_type, item.task, item.action_plan) == ("task", task, plan)
    page = client.get(url("feedback-detail", item.pk)).content.decode()
    assert 'data-testid="feedback-task"' in page
    client.force_login(org.rep_c)  # outside the plan: no subject shown, the service refuses
    assert 'data-testid="feedback-subject"' not in client.get(link).content.decode()
    response = client.post(link, {"category": "other", "title": "x", "text": "y", "task": task.pk})
    assert response.status_code == 200
    assert Feedback.objects.count() == 1


def test_plan_status_buttons_per_role(org: Org, client, plan) -> None:
    make_task(plan, org.manager, org.rep)
    detail = url("action-plan-detail", plan.pk)
    client.force_login(org.rep)
    assert 'data-testid="plan-status-form"' not in client.get(detail).content.decode()
    assert client.post(url("action-plan-status", plan.pk), {"status": "active"}).status_code == 403
    client.force_login(org.manager)
    assert 'data-testid="plan-status-active"' in client.get(detail).content.decode()
    client.post(url("action-plan-status", plan.pk), {"status": "active"})
    plan.refresh_from_db()
    assert plan.status == "active"
    response = client.post(url("action-plan-status", plan.pk), {"status": "done"}, follow=True)
    assert "still open" in response.content.decode()
    services.action_plan_set_status(actor=org.manager, plan=plan, status="cancelled")
    page = client.get(detail).content.decode()
    assert 'data-testid="add-task"' not in page


def test_plan_pages_cost_no_query_per_task(
    org: Org, client, plan, django_assert_max_num_queries
) -> None:
    previous = None
    for i in range(12):
        depends = [previous] if previous else []
        previous = make_task(plan, org.manager, org.rep, title=f"Step {i}", depends_on=depends)
    client.force_login(org.manager)
    for name in ("action-plan-detail", "action-plan-board", "action-plan-timeline"):
        with django_assert_max_num_queries(14):
            assert client.get(url(name, plan.pk)).status_code == 200
    client.force_login(org.rep)
    with django_assert_max_num_queries(8):
        assert client.get(url("my-tasks")).status_code == 200


def test_strategy_detail_shows_period_contribution_and_plans(org: Org, client) -> None:
    from salesgoals.models import Period, PeriodKind
    from salesgoals.services import fiscal_year_generate
    from tests.targets.plan_fixtures import make_plan

    fiscal_year_generate(year=2025)
    fiscal_year_generate(year=2026)
    target = make_plan(org)
    quarter = Period.objects.get(fiscal_year__year=2026, kind=PeriodKind.QUARTER, number=2)
    strategy = make_strategy(
        org,
        actor=org.admin,
        owner=org.manager,
        target_plan=target,
        period=quarter,
        start_date=None,
        end_date=None,
        expected_contribution=1_500_000_00,
    )
    plan = make_action_plan(org, strategy=strategy)
    done = make_task(plan, org.manager, org.rep, title="A")
    make_task(plan, org.manager, org.rep, title="B")
    services.task_set_status(actor=org.rep, task=done, status="done")
    client.force_login(org.rep)
    page = client.get(url("strategy-detail", strategy.pk)).content.decode()
    assert "Q2" in page
    assert "¥1,500,000" in page  # the revenue metric's unit
    assert "50 %" in page  # the plan's progress
    listing = client.get(url("strategy-list")).content.decode()
    assert "Q2" in listing
    client.force_login(org.manager)
    form = client.get(url("strategy-edit", strategy.pk)).content.decode()
    assert f'<option value="{quarter.pk}" selected>' in form
    assert "1500000.00" in form  # typed in the metric's unit, not minor units
