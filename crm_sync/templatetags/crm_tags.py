"""Template filters of the CRM pages."""

from __future__ import annotations

from django import template

from salesgoals import money as money_helpers

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "") -> str:
    """Minor units as a grouped amount without a symbol: 123456 → "1,234.56"."""
    return money_helpers.format_money(minor, currency or None, symbol=False)
