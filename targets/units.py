"""A plan's numbers at the edges: minor units, counts and basis points ↔ Decimal."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from salesgoals.models import Metric
from salesgoals.money import format_money, from_minor, to_minor

__all__ = ["display_value", "format_value", "from_stored", "to_stored"]


def to_stored(metric: Metric, amount: Decimal | int | str) -> int:
    """A typed value in the metric's unit → the stored integer; ValueError with a message."""
    try:
        value = Decimal(str(amount).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as error:
        raise ValueError(_("Enter a number.")) from error
    if not value.is_finite():
        raise ValueError(_("Enter a number."))
    if value < 0:
        raise ValueError(_("A target cannot be negative."))
    if metric.unit == Metric.Unit.CURRENCY:
        return to_minor(value)
    if metric.unit == Metric.Unit.PERCENT:
        if value > 100:
            raise ValueError(_("A rate cannot exceed 100%."))
        return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if value != value.to_integral_value():
        raise ValueError(_("A count must be a whole number."))
    return int(value)


def from_stored(metric: Metric, stored: int) -> Decimal:
    if metric.unit == Metric.Unit.CURRENCY:
        return from_minor(stored)
    if metric.unit == Metric.Unit.PERCENT:
        return (Decimal(stored) / 100).quantize(Decimal("0.01"))
    return Decimal(stored)


def display_value(metric: Metric, stored: int | None) -> str:
    """The API's decimal string (money "1200000.00", rates "25.50", counts "12")."""
    return "" if stored is None else str(from_stored(metric, stored))


def format_value(metric: Metric, stored: int | None) -> str:
    """For pages: grouped digits in the user's locale, with the unit."""
    if stored is None:
        return "—"
    if metric.unit == Metric.Unit.CURRENCY:
        return format_money(stored, decimals=False)
    if metric.unit == Metric.Unit.PERCENT:
        return f"{from_stored(metric, stored)}%"
    from django.utils import formats

    return formats.number_format(stored, force_grouping=True)
