"""Dashboard figures in the metric's unit: decimal strings for the API, text for people.

`KpiValue` keeps money in minor units, counts as whole counts (the exact, possibly fractional
credit in `numerator` ÷ SCALE) and rates in basis points. Here they become `Decimal`s in the
unit a person reads (base currency, count, percent) and, for display, text with thousands
separators in the active language. Floats appear only in chart coordinates.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import formats, numberformat

from kpis.models import KpiValue
from kpis.rollup import SCALE
from salesgoals import money
from salesgoals.models import Metric

_CENT = Decimal("0.01")
DASH = "—"


def unit_divisor(metric: Metric) -> int:
    """From the stored unit (minor units, count, basis points) to the shown one."""
    if metric.unit in (Metric.Unit.CURRENCY, Metric.Unit.PERCENT):
        return 100
    return 1


def scaled(metric: Metric, value: int | None) -> Decimal | None:
    """A stored target-like figure (target, expected, required rate, forecast) as shown."""
    if value is None:
        return None
    return Decimal(value) / unit_divisor(metric)


def actual_of(metric: Metric, cell: KpiValue | None) -> Decimal:
    """The actual as shown; additive counts keep their fractional credit (a 50/50 deal = 0.5)."""
    if cell is None:
        return Decimal(0)
    if metric.unit == Metric.Unit.COUNT and metric.is_additive:
        return Decimal(cell.numerator) / SCALE
    return Decimal(cell.actual) / unit_divisor(metric)


def percent_of_bp(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / 100


def api_decimal(value: Decimal | None) -> str | None:
    """Two-decimal string, as the API renders money and percentages ("1234.50")."""
    if value is None:
        return None
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _number(value: Decimal, places: int) -> str:
    """Grouped by thousands in every language.

    Django's zh-hans formats have no thousands separator (and group by 4), but Chinese
    business figures are written ¥1,234,567, so a locale without one gets "," by threes.
    """
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    separator = formats.get_format("THOUSAND_SEPARATOR")
    grouping = formats.get_format("NUMBER_GROUPING")
    if not separator or not grouping:
        separator, grouping = ",", 3
    return numberformat.format(
        rounded,
        formats.get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=grouping,
        thousand_sep=separator,
        force_grouping=True,
    )


def show_money(minor: int | None, *, decimals: bool = False) -> str:
    """Minor units in the base currency: "¥1,234,568" (or "¥1,234,567.89" with decimals)."""
    if minor is None:
        return DASH
    amount = money.from_minor(minor)
    text = _number(abs(amount), 2 if decimals else 0)
    code = money.base_currency()
    symbol = money.SYMBOLS.get(code)
    sign = "-" if amount < 0 and text.strip("0.,") else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def show(metric: Metric, value: Decimal | None) -> str:
    """A figure in the metric's unit as text: "¥1,234,568", "12.5", "45.2%"."""
    if value is None:
        return DASH
    if metric.unit == Metric.Unit.CURRENCY:
        return show_money(money.to_minor(value))
    if metric.unit == Metric.Unit.PERCENT:
        return show_percent(value)
    places = 0 if value == value.to_integral_value() else 1
    return _number(value, places)


def show_percent(value: Decimal | None) -> str:
    """A percentage with one decimal: "95.3%"."""
    return DASH if value is None else f"{_number(value, 1)}%"


def chart(value: Decimal | None) -> float | None:
    """A chart coordinate (plotly needs numbers; amounts stay exact everywhere else)."""
    return None if value is None else float(value)


def chart_values(values: list[Decimal | None]) -> list[Any]:
    return [chart(v) for v in values]
