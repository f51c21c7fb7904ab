"""The plan's audit trail: one `PlanEvent` per change, with who, when, before and after."""

from __future__ import annotations

from typing import Any

from salesgoals.models import User
from targets.models import PlanEvent, TargetPlan

__all__ = ["event_record", "plan_fields"]

AUDITED_FIELDS = (
    "value",
    "description",
    "objective",
    "parent_id",
    "status",
    "version",
    "period_method",
    "owner_method",
    "profile_id",
    "over_assignment_bp",
    "warnings_reason",
)


def plan_fields(plan: TargetPlan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in AUDITED_FIELDS}


def event_record(
    *,
    plan: TargetPlan,
    action: str,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan,
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        version=plan.version,
        before=before or {},
        after=after or {},
        note=note,
    )
