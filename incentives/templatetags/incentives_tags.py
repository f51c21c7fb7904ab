"""Template helpers of the incentives pages: money in minor units or Decimal, input labels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from incentives.labels import FORMULA_WORDS, INPUT_LABELS
from salesgoals.money import format_money, to_minor

register = template.Library()


@register.filter
def minor_money(minor: int | None) -> str:
    return format_money(minor)


@register.filter
def decimal_money(amount: Decimal | None) -> str:
    return "—" if amount is None else format_money(to_minor(amount))


@register.filter
def input_label(key: str) -> Any:
    return INPUT_LABELS.get(key, key)


@register.filter
def formula(text: str) -> str:
    """An engine formula with its few words in the reader's language."""
    for word, translated in FORMULA_WORDS:
        text = text.replace(word, str(translated))
    return text


@register.filter
def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}%"
