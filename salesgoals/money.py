"""Money at the edges: integer minor units inside, `Decimal` in forms, the API and exports.

Amounts are stored as integer minor units (分/cents) of the company base currency, so sums
are exact on every database; never use `float` for money. Every conversion goes through the
helpers here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import formats

MINOR_EXPONENT = 2  # every currency we handle has two decimals (CNY, USD, EUR, HKD …)
RATE_PLACES = Decimal("0.00000001")  # Deal/Order/Payment.exchange_rate: 8 decimal places

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def base_currency() -> str:
    """The company base currency (ISO 4217 code), e.g. "CNY"."""
    return str(settings.SALESGOALS.get("BASE_CURRENCY", "CNY")).upper()


def to_minor(amount: Decimal | int | str) -> int:
    """Decimal amount → integer minor units, rounding half up: Decimal("12.345") → 1235."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValueError(f"Not an amount: {amount!r}") from error
    if not value.is_finite():
        raise ValueError(f"Not an amount: {amount!r}")
    return int(value.scaleb(MINOR_EXPONENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int) -> Decimal:
    """Integer minor units → Decimal with two places: 123456 → Decimal("1234.56")."""
    return Decimal(int(minor)).scaleb(-MINOR_EXPONENT).quantize(Decimal(1).scaleb(-MINOR_EXPONENT))


def convert_to_base(amount: Decimal, rate: Decimal) -> int:
    """An amount in another currency times its rate, as base-currency minor units.

    The product is rounded once (half up), not the amount and then the product.
    """
    return to_minor(Decimal(amount) * Decimal(rate))


def quantize_rate(rate: Decimal | int | str) -> Decimal:
    return Decimal(rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def format_money(
    minor: int | None, currency: str | None = None, *, symbol: bool = True, decimals: bool = True
) -> str:
    """Minor units as text with thousands separators in the user's locale: "¥1,234,567.89".

    `currency` defaults to the base currency; `symbol=False` leaves the symbol out,
    `decimals=False` rounds to whole units (for dashboards).
    """
    if minor is None:
        return "—"
    amount = from_minor(minor)
    places = MINOR_EXPONENT if decimals else 0
    if not decimals:
        amount = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    text = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    if not symbol:
        return text
    code = (currency or base_currency()).upper()
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    prefix = SYMBOLS.get(code)
    return f"{sign}{prefix}{text}" if prefix else f"{sign}{text} {code}"
