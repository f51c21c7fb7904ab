"""Template helpers of the target pages."""

from __future__ import annotations

from django import template

from salesgoals.models import Metric
from targets.models import TargetPlan
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
