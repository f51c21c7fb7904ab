"""Template helpers of the strategy, action-plan and task pages."""

from __future__ import annotations

from django import template

from plans.models import Strategy
from salesgoals.money import format_money
from targets.units import format_value

register = template.Library()


@register.filter
def money(minor: int | None) -> str:
    """Minor units in the base currency, for pages: "¥12,345.00"."""
    return format_money(minor)


@register.filter
def contribution(strategy: Strategy) -> str:
    """The expected contribution in the target plan's metric unit (a bare number without)."""
    value = strategy.expected_contribution
    if value is None:
        return "—"
    if strategy.target_plan_id:
        return format_value(strategy.target_plan.metric, value)
    return str(value)
