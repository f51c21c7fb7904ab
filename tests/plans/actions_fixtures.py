"""Shared pieces of the strategy / action-plan / task tests.

The org of `tests.core.org_fixtures` (North: manager M with Team A (rep R) and Team B (rep RB);
South: manager MS with Team C (rep RC); executive and admin at the company), a strategy of
North, and helpers that create plans and tasks through the services.
"""

from __future__ import annotations

import datetime
from typing import Any

from plans.models import ActionPlan, Strategy, Task
from plans.services import actions as services
from salesgoals.models import User
from tests.core.org_fixtures import Org

DAY = datetime.date(2026, 3, 2)  # a Monday


def days(n: int) -> datetime.date:
    return DAY + datetime.timedelta(days=n)


def make_strategy(org: Org, actor: User | None = None, **changes: Any) -> Strategy:
    values: dict[str, Any] = {
        "name": "Win back lapsed customers",
        "kind": Strategy.Kind.CUSTOMER_SATISFACTION,
        "goal": "Call every customer who has not ordered for 90 days.",
        "owner": org.manager,
        "org_unit": org.north,
        "start_date": days(0),
        "end_date": days(90),
        "budget": 5_000_00,
    }
    values.update(changes)
    return services.strategy_create(actor=actor or org.manager, **values)


def make_action_plan(org: Org, actor: User | None = None, **changes: Any) -> ActionPlan:
    values: dict[str, Any] = {
        "title": "Team A spring push",
        "org_unit": org.team_a,
        "owner": org.manager,
        "start_date": days(0),
        "end_date": days(60),
    }
    values.update(changes)
    if "strategy" not in values and "target_plan" not in values:
        values["strategy"] = make_strategy(org)
    return services.action_plan_create(actor=actor or org.manager, **values)


def make_task(
    plan: ActionPlan, actor: User, owner: User, start: int = 0, due: int = 7, **changes: Any
) -> Task:
    values: dict[str, Any] = {
        "title": "Call the top 20 accounts",
        "owner": owner,
        "start_date": days(start),
        "due_date": days(due),
    }
    values.update(changes)
    return services.task_create(actor=actor, plan=plan, **values)
