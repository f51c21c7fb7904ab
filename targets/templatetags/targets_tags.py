"""Template helpers of the target pages."""

from __future__ import annotations

from django import template
from django.utils.text import Truncator, capfirst
from django.utils.translation import ngettext

from salesgoals.models import Metric
from targets.models import PlanEvent, TargetPlan
from targets.units import format_value

register = template.Library()


@register.simple_tag
def plan_value(plan: TargetPlan) -> str:
    return format_value(plan.metric, plan.value)


@register.simple_tag
def metric_value(metric: Metric | None, value: int | None) -> str:
    if metric is None:
        return "—"
    return format_value(metric, value)


SHOWN_FIELDS = (
    "status",
    "value",
    "version",
    "period_method",
    "owner_method",
    "over_assignment_bp",
    "objective",
)


def _shown(plan: TargetPlan, name: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if name == "value" and isinstance(value, int):
        return format_value(plan.metric, value)
    if name == "over_assignment_bp" and isinstance(value, int):
        return f"{value / 100:g}%"
    field = TargetPlan._meta.get_field(name)
    choices = dict(field.flatchoices) if field.choices else {}
    if name == "status":
        choices = dict(TargetPlan.Status.choices)
    return str(choices.get(value, value))


@register.simple_tag
def event_details(event: PlanEvent) -> str:
    """A readable summary of an audit event: changed fields (before → after) and cell counts."""
    plan = event.plan
    parts: list[str] = []
    if event.after.get("changed_cells") is not None:
        count = event.after["changed_cells"]
        parts.append(ngettext("%(n)s cell changed", "%(n)s cells changed", count) % {"n": count})
    for name in SHOWN_FIELDS:
        if name not in event.after:
            continue
        label = capfirst(TargetPlan._meta.get_field(name).verbose_name)
        after = _shown(plan, name, event.after[name])
        if name in event.before and event.before[name] != event.after[name]:
            parts.append(f"{label}: {_shown(plan, name, event.before[name])} → {after}")
        elif event.action == PlanEvent.Action.CREATED or name not in event.before:
            parts.append(f"{label}: {after}")
    if event.note:
        parts.append(Truncator(event.note).chars(80))
    return " · ".join(parts)
