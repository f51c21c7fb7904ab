"""The demo strategies, action plans and tasks: every task state, overdue and blocked ones,
linked to the demo target plans, seeded quickly."""

from __future__ import annotations

import datetime

import pytest

from plans.models import ActionPlan, Feedback, PlanStatus, Strategy, Task
from plans.selectors import actions as sel
from plans.selectors import actions_pages as pages

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)


def test_demo_action_plans() -> None:
    from plans import demo_actions
    from salesgoals.demo import seed_all

    ctx = seed_all(today=TODAY, apps=("kpis", "targets"))
    demo_actions.seed(ctx)

    assert set(Strategy.Kind.values) - {"other"} <= set(
        Strategy.objects.values_list("kind", flat=True)
    )
    assert Strategy.objects.filter(target_plan__metric__code="revenue").exists()
    assert set(Task.objects.values_list("status", flat=True)) == set(Task.Status.values)
    assert {PlanStatus.ACTIVE, PlanStatus.DONE} <= set(
        ActionPlan.objects.values_list("status", flat=True)
    )
    rep, manager = ctx.logins["rep"], ctx.logins["manager"]
    groups = pages.my_task_groups(rep, TODAY)
    assert groups["overdue"]
    assert groups["blocked"]
    assert groups["done"]
    assert Task.objects.filter(is_milestone=True).exists()
    assert sel.tasks_visible(manager, overdue=True, today=TODAY).count() >= 2
    assert ActionPlan.objects.filter(rep=rep, target_plan__isnull=False).exists()
    assert Feedback.objects.filter(subject_type=Feedback.Subject.TASK).count() == 1
    # The rep's plan has a task due tomorrow: the reminder run finds it.
    from plans.services.actions import task_reminders_send

    assert task_reminders_send(day=TODAY)["due_soon"] >= 1
