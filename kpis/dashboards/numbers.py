"""Dashboard figures in the metric's unit: decimal strings for the API, text for people.

`KpiValue` keeps money in minor units, counts as whole counts (the exact, possibly fractional
credit in `numerator` ÷ SCALE) and rates in basis points. Here they become `Decimal`s in the
unit a person reads (base currency, count, percent) and, for display, text with thousands
separators in the active language. Floats appear only in chart coordinates.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
    """Grouped by thousands: "1,234,567.9".

    Both languages of the product write figures this way (Chinese business figures are
    ¥1,234,567 although Django's zh-hans formats have no separator), and Python's format
    is a hundred times faster than looking the separators up per number, which matters for
    a grid of thousands of cells.
    """
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format(rounded, f",.{places}f")


def show_money(minor: int | None, *, decimals: bool = False) -> str:
    """Minor units in the base currency: "¥1,234,568" (or "¥1,234,567.89" with decimals)."""
    if minor is None:
        return DASH
    size = abs(int(minor))
    if decimals:
        text = f"{size // 100:,}.{size % 100:02d}"
    else:
        size = (size + 50) // 100  # half up to whole units
        text = f"{size:,}"
    sign = "-" if minor < 0 and size else ""
    code = money.base_currency()
    symbol = money.SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def show(metric: Metric, value: Decimal | None) -> str:
    """A figure in the metric's unit as text: "¥1,234,568", "12.5", "45.2%"."""
    if value is None:
        return DASH
    if metric.unit == Metric.Unit.CURRENCY:
        return show_money(int((value * 100).to_integral_value(rounding=ROUND_HALF_UP)))
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


# --- fast paths for grids: whole numbers of hundredths, no Decimal -------------------------
# A manager's grid has thousands of cells; these give the same text as the functions above.


def _half_up(numerator: int, denominator: int) -> int:
    q = (2 * abs(numerator) + denominator) // (2 * denominator)
    return q if numerator >= 0 else -q


def hundredths(metric: Metric, value: int | None) -> int | None:
    """A stored target-like figure in hundredths of the shown unit (cents, 0.01%, 0.01)."""
    if value is None:
        return None
    if metric.unit in (Metric.Unit.CURRENCY, Metric.Unit.PERCENT):
        return value
    return value * 100


def actual_hundredths(metric: Metric, cell: KpiValue | None) -> int:
    if cell is None:
        return 0
    if metric.unit == Metric.Unit.COUNT and metric.is_additive:
        return _half_up(cell.numerator * 100, SCALE)
    return hundredths(metric, cell.actual) or 0


def decimal_text(value: int | None) -> str | None:
    """Hundredths as the API's decimal string: 123456 → "1234.56"."""
    if value is None:
        return None
    size = abs(value)
    return f"{'-' if value < 0 else ''}{size // 100}.{size % 100:02d}"


def _tenths_text(value: int) -> str:
    """Hundredths shown with one decimal, grouped: 146425 → "1,464.3"."""
    tenths = _half_up(value, 10)
    size = abs(tenths)
    return f"{'-' if tenths < 0 else ''}{size // 10:,}.{size % 10}"


def show_bp(value: int | None) -> str:
    """Basis points (hundredths of a percent) as "95.3%"."""
    return DASH if value is None else f"{_tenths_text(value)}%"


def show_hundredths(metric: Metric, value: int | None) -> str:
    """Hundredths of the metric's unit as text, exactly as `show` does."""
    if value is None:
        return DASH
    if metric.unit == Metric.Unit.CURRENCY:
        return show_money(value)
    if metric.unit == Metric.Unit.PERCENT:
        return show_bp(value)
    if value % 100 == 0:
        return f"{value // 100:,}"
    return _tenths_text(value)
