"""Strategies, action plans and tasks: scope and workflow per role, dependencies (no cycles,
blocking), overdue detection, progress rollup, reminders sent once, feedback on a task."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from plans import services as feedback_services
from plans.models import ActionPlan, Feedback, PlanStatus, Strategy, Task
from plans.selectors import actions as sel
from plans.selectors import actions_pages as pages
from plans.services import actions as services
from plans.tasks import task_reminders_task
from salesgoals.models import Notification, Period, PeriodKind
from salesgoals.services import fiscal_year_generate
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.plans.actions_fixtures import DAY, days, make_action_plan, make_strategy, make_task

pytestmark = pytest.mark.django_db


# --- Who may create and see --------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "unit", "outcome"),
    [
        ("manager", "north", "ok"),
        ("manager", "team_a", "ok"),
        ("manager", "south", "org_unit"),
        ("manager_south", "team_c", "ok"),
        ("admin", "south", "ok"),
        ("executive", "north", "denied"),
        ("rep", "team_a", "denied"),
    ],
)
def test_who_creates_strategies_and_plans(org: Org, who: str, unit: str, outcome: str) -> None:
    actor = getattr(org, who)
    company_strategy = make_strategy(org, actor=org.admin, owner=org.admin, org_unit=org.company)
    fields = {"owner": actor, "org_unit": getattr(org, unit)}
    for create, extra in ((make_strategy, {}), (make_action_plan, {"strategy": company_strategy})):
        if outcome == "ok":
            assert create(org, actor=actor, **fields, **extra).org_unit == getattr(org, unit)
        elif outcome == "denied":
            with pytest.raises(PermissionDenied):
                create(org, actor=actor, **fields, **extra)
        else:
            with pytest.raises(ValidationError) as error:
                create(org, actor=actor, **fields, **extra)
            assert outcome in error.value.message_dict


def test_visibility_per_role(org: Org) -> None:
    north = make_strategy(org, name="North")
    south = make_strategy(
        org, actor=org.manager_south, owner=org.manager_south, org_unit=org.south, name="South"
    )
    company = make_strategy(org, actor=org.admin, owner=org.executive, org_unit=org.company)
    team_a = make_action_plan(org, title="Team A", strategy=north)
    rep_b_plan = make_action_plan(
        org, title="Rep B", org_unit=org.team_b, rep=org.rep_b, strategy=north
    )
    helped = make_action_plan(org, title="Team B", org_unit=org.team_b, strategy=north)
    make_task(helped, org.manager, org.rep, title="Lend a hand to Team B")
    make_action_plan(
        org,
        actor=org.manager_south,
        title="South",
        org_unit=org.team_c,
        owner=org.manager_south,
        strategy=south,
    )

    def plans(user):
        return set(sel.action_plans_visible(user).values_list("title", flat=True))

    def strategies(user):
        return set(sel.strategies_visible(user).values_list("name", flat=True))

    assert plans(org.rep) == {"Team A", "Team B"}  # own team + holds a task in Team B's
    assert plans(org.rep_b) == {"Rep B", "Team B"}
    assert plans(org.rep_c) == {"South"}
    assert plans(org.manager) == {"Team A", "Rep B", "Team B"}
    assert plans(org.executive) == plans(org.admin) == {"Team A", "Rep B", "Team B", "South"}
    # A strategy applies to its unit's subtree: reps see their unit's and the ones above.
    assert strategies(org.rep) == {"North", company.name}
    assert strategies(org.manager_south) == {"South", company.name}
    assert strategies(org.executive) == {"North", "South", company.name}
    assert not sel.plan_can_view(org.rep_c, team_a)
    assert not sel.plan_can_view(org.rep, rep_b_plan)


def test_strategy_period_sets_dates_and_links_target_plan(org: Org) -> None:
    fiscal_year_generate(year=2026)
    quarter = Period.objects.get(fiscal_year__year=2026, kind=PeriodKind.QUARTER, number=2)
    item = make_strategy(org, period=quarter, start_date=None, end_date=None)
    assert (item.start_date, item.end_date) == (quarter.start, quarter.end)
    with pytest.raises(ValidationError) as error:
        make_strategy(org, start_date=days(10), end_date=days(1), name="Backwards")
    assert "end_date" in error.value.message_dict
    plan = make_action_plan(org, strategy=item)
    assert plan.strategy == item
    assert plan.target_plan is None
    with pytest.raises(ValidationError) as error:
        make_action_plan(org, strategy=None, target_plan=None)
    assert "strategy" in error.value.message_dict


def test_plan_for_a_rep_must_be_of_the_team(org: Org) -> None:
    with pytest.raises(ValidationError) as error:
        make_action_plan(org, rep=org.rep_b)  # Team B's rep in Team A's plan
    assert "rep" in error.value.message_dict
    assert make_action_plan(org, org_unit=org.north, rep=org.rep_b).rep == org.rep_b


# --- Dependencies ----------------------------------------------------------------------------


def test_dependency_cycles_are_rejected(org: Org) -> None:
    plan = make_action_plan(org)
    a = make_task(plan, org.manager, org.rep, title="A")
    b = make_task(plan, org.manager, org.rep, title="B", depends_on=[a])
    c = make_task(plan, org.manager, org.rep, title="C", depends_on=[b])
    fields = {"title": "A", "owner": org.rep, "start_date": days(0), "due_date": days(7)}

    for deps, message in [
        ([c], "cycle"),  # A → C → B → A
        ([b], "cycle"),
        ([a], "itself"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.task_save(actor=org.manager, plan=plan, task=a, depends_on=deps, **fields)
        assert message in " ".join(error.value.message_dict["depends_on"])
    other = make_task(make_action_plan(org, title="Other"), org.manager, org.rep, title="X")
    with pytest.raises(ValidationError) as error:
        services.task_save(actor=org.manager, plan=plan, task=a, depends_on=[other], **fields)
    assert "same plan" in error.value.message_dict["depends_on"][0]
    assert list(a.depends_on.all()) == []  # nothing half-written
    # A diamond is not a cycle.
    d = make_task(plan, org.manager, org.rep, title="D", depends_on=[a, b, c])
    assert set(d.depends_on.all()) == {a, b, c}


def test_blocked_until_dependencies_are_done(org: Org) -> None:
    plan = make_action_plan(org)
    first = make_task(plan, org.manager, org.rep, title="Prepare offer")
    second = make_task(plan, org.manager, org.rep, title="Send offer", depends_on=[first])
    assert second.status == Task.Status.BLOCKED
    assert sel.unfinished_dependencies(second) == [first]
    assert Task.Status.IN_PROGRESS not in sel.task_next_statuses(org.rep, second)

    for status in (Task.Status.IN_PROGRESS, Task.Status.DONE):
        with pytest.raises(ValidationError) as error:
            services.task_set_status(actor=org.rep, task=second, status=status)
        assert "Prepare offer" in error.value.message_dict["status"][0]

    services.task_set_status(actor=org.rep, task=first, status=Task.Status.DONE)
    second.refresh_from_db()
    assert second.status == Task.Status.TODO
    services.task_set_status(actor=org.rep, task=second, status=Task.Status.IN_PROGRESS)
    # Reopening the dependency blocks the task again; cancelling it releases the task.
    services.task_set_status(actor=org.rep, task=first, status=Task.Status.IN_PROGRESS)
    second.refresh_from_db()
    assert second.status == Task.Status.BLOCKED
    services.task_set_status(actor=org.manager, task=first, status=Task.Status.CANCELLED)
    second.refresh_from_db()
    assert second.status == Task.Status.TODO


def test_blocked_by_hand_needs_a_reason_and_stays(org: Org) -> None:
    plan = make_action_plan(org)
    task = make_task(plan, org.manager, org.rep)
    with pytest.raises(ValidationError) as error:
        services.task_set_status(actor=org.rep, task=task, status=Task.Status.BLOCKED)
    assert "blocked_reason" in error.value.message_dict
    task = services.task_set_status(
        actor=org.rep, task=task, status=Task.Status.BLOCKED, blocked_reason="Waiting for legal"
    )
    make_task(plan, org.manager, org.rep, title="Other")  # re-check does not release it
    task.refresh_from_db()
    assert (task.status, task.blocked_reason) == (Task.Status.BLOCKED, "Waiting for legal")
    task = services.task_set_status(actor=org.rep, task=task, status=Task.Status.IN_PROGRESS)
    assert task.blocked_reason == ""


# --- Overdue and progress ----------------------------------------------------------------


def test_overdue_detection(org: Org) -> None:
    plan = make_action_plan(org, start_date=days(-30))
    late = make_task(plan, org.manager, org.rep, start=-20, due=-1, title="Late")
    due_today = make_task(plan, org.manager, org.rep, start=-5, due=0, title="Today")
    done_late = make_task(plan, org.manager, org.rep, start=-20, due=-3, title="Done late")
    services.task_set_status(actor=org.rep, task=done_late, status=Task.Status.DONE)
    cancelled = make_task(plan, org.manager, org.rep, start=-20, due=-3, title="Dropped")
    services.task_set_status(actor=org.manager, task=cancelled, status=Task.Status.CANCELLED)

    assert sel.is_overdue(late, DAY)
    assert not sel.is_overdue(due_today, DAY)
    overdue = sel.tasks_visible(org.manager, overdue=True, today=DAY)
    assert list(overdue) == [late]
    rolled = sel.action_plans_visible(org.manager, today=DAY).get(pk=plan.pk)
    assert rolled.overdue_count == 1
    assert list(sel.action_plans_visible(org.manager, overdue=True, today=DAY)) == [rolled]
    assert list(sel.action_plans_visible(org.manager, overdue=True, today=days(-10))) == []
    groups = pages.my_task_groups(org.rep, DAY)
    assert [t.title for t in groups["overdue"]] == ["Late"]
    assert [t.title for t in groups["open"]] == ["Today"]


def test_progress_rolls_up_from_tasks(org: Org) -> None:
    plan = make_action_plan(org)
    assert sel.plan_progress(sel.action_plan_get_for_user(user=org.manager, pk=plan.pk)) == 0
    tasks = [make_task(plan, org.manager, org.rep, title=f"T{i}") for i in range(4)]
    services.task_set_status(actor=org.rep, task=tasks[0], progress=50)
    services.task_set_status(actor=org.rep, task=tasks[1], status=Task.Status.DONE)
    services.task_set_status(actor=org.manager, task=tasks[2], progress=90)
    services.task_set_status(actor=org.manager, task=tasks[2], status=Task.Status.CANCELLED)
    # (50 + 100 + 0) / 3 = 50; the cancelled task does not count.
    rolled = sel.action_plan_get_for_user(user=org.manager, pk=plan.pk)
    assert sel.plan_progress(rolled) == 50
    assert (rolled.task_count, rolled.done_count, rolled.open_count) == (3, 1, 2)
    services.task_set_status(actor=org.rep, task=tasks[3], progress=5)
    # (50 + 100 + 5) / 3 = 51.67 → 52
    assert sel.plan_progress(ActionPlan.objects.get(pk=plan.pk)) == 52
    tasks[1].refresh_from_db()
    assert tasks[1].progress == 100
    assert tasks[1].completed_at is not None


# --- Workflow per role ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "outcome"),
    [
        ("rep", Task.Status.IN_PROGRESS, "ok"),  # the owner moves their task
        ("rep", Task.Status.DONE, "ok"),
        ("rep", Task.Status.CANCELLED, "denied"),  # only managers cancel
        ("rep_b", Task.Status.IN_PROGRESS, "denied"),  # a teammate elsewhere
        ("manager_south", Task.Status.DONE, "denied"),
        ("executive", Task.Status.DONE, "denied"),  # executives read
        ("manager", Task.Status.CANCELLED, "ok"),
        ("admin", Task.Status.DONE, "ok"),
    ],
)
def test_who_moves_a_task(org: Org, who: str, status: str, outcome: str) -> None:
    task = make_task(make_action_plan(org), org.manager, org.rep)
    actor = getattr(org, who)
    if outcome == "ok":
        assert services.task_set_status(actor=actor, task=task, status=status).status == status
    else:
        with pytest.raises(PermissionDenied):
            services.task_set_status(actor=actor, task=task, status=status)


def test_only_managers_plan_tasks(org: Org) -> None:
    plan = make_action_plan(org)
    for actor in (org.rep, org.executive, org.manager_south):
        with pytest.raises(PermissionDenied):
            make_task(plan, actor, org.rep)
    with pytest.raises(ValidationError) as error:
        make_task(plan, org.manager, org.rep_c)  # South's rep: outside the manager's scope
    assert "owner" in error.value.message_dict
    milestone = make_task(plan, org.admin, org.rep, start=3, due=9, is_milestone=True)
    assert milestone.start_date == milestone.due_date == days(9)


def test_plan_status_workflow(org: Org) -> None:
    plan = make_action_plan(org)
    open_task = make_task(plan, org.manager, org.rep, title="Open")
    done = make_task(plan, org.manager, org.rep, title="Done")
    services.task_set_status(actor=org.rep, task=done, status=Task.Status.DONE)
    with pytest.raises(PermissionDenied):
        services.action_plan_set_status(actor=org.rep, plan=plan, status=PlanStatus.ACTIVE)
    with pytest.raises(ValidationError):
        services.action_plan_set_status(actor=org.manager, plan=plan, status=PlanStatus.DONE)
    plan = services.action_plan_set_status(actor=org.manager, plan=plan, status="active")
    with pytest.raises(ValidationError) as error:
        services.action_plan_set_status(actor=org.manager, plan=plan, status=PlanStatus.DONE)
    assert "still open" in error.value.message_dict["status"][0]
    plan = services.action_plan_set_status(actor=org.manager, plan=plan, status="cancelled")
    open_task.refresh_from_db()
    done.refresh_from_db()
    assert (open_task.status, done.status) == (Task.Status.CANCELLED, Task.Status.DONE)
    with pytest.raises(ValidationError):
        services.task_set_status(actor=org.manager, task=done, status=Task.Status.TODO)
    assert sel.task_next_statuses(org.manager, done) == []

    strategy = plan.strategy
    with pytest.raises(PermissionDenied):
        services.strategy_set_status(actor=org.executive, strategy=strategy, status="active")
    strategy = services.strategy_set_status(actor=org.manager, strategy=strategy, status="active")
    assert strategy.status == Strategy.Status.ACTIVE


# --- Notifications ---------------------------------------------------------------------------


def test_reminders_and_overdue_notices_are_sent_once(org: Org) -> None:
    today = sel.today()
    plan = make_action_plan(
        org,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=30),
    )

    def task(title: str, due: int, **extra):
        return services.task_create(
            actor=org.manager,
            plan=plan,
            title=title,
            owner=org.rep,
            start_date=today + datetime.timedelta(days=min(due, -20)),
            due_date=today + datetime.timedelta(days=due),
            **extra,
        )

    soon = task("Due tomorrow", 1)
    task("Due next week", 7)
    late = task("Was due", -2)
    task("Long overdue", -30)  # told about when it fell due, not every day since
    done = task("Done already", 1)
    services.task_set_status(actor=org.rep, task=done, status=Task.Status.DONE)
    before = Notification.objects.count()

    first = task_reminders_task()
    second = task_reminders_task()
    assert first == {"due_soon": 1, "overdue": 2}  # the owner, and the plan's lead
    assert second == {"due_soon": 0, "overdue": 0}
    new = Notification.objects.filter(pk__gt=0).order_by("pk")[before:]
    assert sorted((n.recipient.username, n.title) for n in new) == sorted(
        [
            ("r", f"Task due soon: {soon.title}"),
            ("r", f"Task overdue: {late.title}"),
            ("m", f"Task overdue: {late.title}"),
        ]
    )
    # A new due date brings a new reminder.
    services.task_save(
        actor=org.manager,
        plan=plan,
        task=soon,
        title=soon.title,
        owner=org.rep,
        start_date=soon.start_date,
        due_date=today + datetime.timedelta(days=2),
    )
    assert task_reminders_task()["due_soon"] == 1


def test_new_owner_hears_of_the_task_once(org: Org) -> None:
    plan = make_action_plan(org)
    task = make_task(plan, org.manager, org.rep, title="Demo day")
    fields = {"title": "Demo day", "start_date": days(0), "due_date": days(7)}
    services.task_save(actor=org.manager, plan=plan, task=task, owner=org.rep, **fields)
    assert org.rep.notifications.filter(title="New task: Demo day").count() == 1
    make_task(plan, org.manager, org.manager, title="My own")
    assert not org.manager.notifications.filter(title__startswith="New task").exists()


# --- Feedback on an action plan or a task ----------------------------------------------------


def test_feedback_on_a_task_or_a_plan(org: Org) -> None:
    plan = make_action_plan(org)
    task = make_task(plan, org.manager, org.rep)
    values = {"category": "resources", "title": "Need samples", "text": "Two more demo units."}
    item = feedback_services.feedback_create(actor=org.rep, task=task.pk, **values)
    assert (item.subject_type, item.task, item.action_plan) == (Feedback.Subject.TASK, task, plan)
    item = feedback_services.feedback_create(actor=org.rep, action_plan=plan, **values)
    assert (item.subject_type, item.task) == (Feedback.Subject.ACTION_PLAN, None)
    with pytest.raises(ValidationError) as error:
        feedback_services.feedback_create(actor=org.rep_c, task=task, **values)
    assert "task" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        feedback_services.feedback_create(
            actor=org.rep, subject_type="action_plan", action_plan=None, **values
        )
    assert "action_plan" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        feedback_services.feedback_create(
            actor=org.rep, subject_type="general", action_plan=plan, **values
        )
    assert "subject_type" in error.value.message_dict


def test_owner_hears_when_a_blocked_task_is_released(org: Org) -> None:
    plan = make_action_plan(org)
    first = make_task(plan, org.manager, org.rep, title="Prepare offer")
    second = make_task(plan, org.manager, org.rep_b, title="Send offer", depends_on=[first])
    services.task_set_status(actor=org.rep, task=first, status=Task.Status.DONE)
    services.task_set_status(actor=org.rep, task=first, status=Task.Status.IN_PROGRESS)
    services.task_set_status(actor=org.rep, task=first, status=Task.Status.DONE)
    second.refresh_from_db()
    assert second.status == Task.Status.TODO
    notes = org.rep_b.notifications.filter(title="You can start: Send offer")
    assert notes.count() == 1  # once a day, however often the dependency flips
    assert not org.rep.notifications.filter(title__startswith="You can start").exists()
