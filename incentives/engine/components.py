"""Incentive plan components: parsing and validation of the JSON a plan stores (pure Python).

A plan's `components` is a list of dicts, each with a `kind`:

- `tiered` — bonus on attainment bands. `target_amount` is the bonus at 100% payout;
  `threshold_pct` is the attainment below which nothing is paid; `bands` are contiguous
  attainment ranges from the threshold upwards, each `linear` (payout rises by `rate`
  payout-points per attainment point) or `stepped` (flat), both with an optional `step_pct`
  jump when the band is reached; `accelerator` multiplies linear rates above 100% attainment;
  `cap_pct` caps the payout (percent of `target_amount`).
- `commission` — marginal tiers of a currency metric: each tier's `rate_pct` applies to the
  part of the actual inside `[from_amount, to_amount)`.
- `spiff` — a fixed `amount` per qualifying event: each won deal of at least
  `min_deal_amount` (`event = won_deal`) or each contest won (`event = contest_win`),
  at most `max_count` events.
- `badge` — recognition when attainment reaches `min_attainment_pct`.
- `promotion` — eligible after `periods` consecutive periods at or above `level_pct`
  attainment, holding every certification in `required_course_codes`.

Amounts and percentages are decimal strings (never floats). Validation returns `Problem`s
(a path, a code and parameters) so the Django layer can translate the messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

KINDS = ("tiered", "commission", "spiff", "badge", "promotion")
BAND_MODES = ("linear", "stepped")
SPIFF_EVENTS = ("won_deal", "contest_win")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (`components.0.bands.1.to_pct`), what (a code), details."""

    path: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class PlanInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.code}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Band:
    from_pct: Decimal
    to_pct: Decimal | None
    mode: str = "linear"
    rate: Decimal = Decimal(0)
    step_pct: Decimal = Decimal(0)


@dataclass(frozen=True)
class Tiered:
    key: str
    label: str
    metric: str
    target_amount: Decimal
    threshold_pct: Decimal
    bands: tuple[Band, ...]
    accelerator: Decimal = Decimal(1)
    cap_pct: Decimal | None = None
    kind: str = "tiered"


@dataclass(frozen=True)
class Tier:
    from_amount: Decimal
    to_amount: Decimal | None
    rate_pct: Decimal


@dataclass(frozen=True)
class Commission:
    key: str
    label: str
    metric: str
    tiers: tuple[Tier, ...]
    kind: str = "commission"


@dataclass(frozen=True)
class Spiff:
    key: str
    label: str
    event: str
    amount: Decimal
    min_deal_amount: Decimal = Decimal(0)
    max_count: int | None = None
    kind: str = "spiff"


@dataclass(frozen=True)
class BadgeRule:
    key: str
    label: str
    badge: str
    metric: str
    min_attainment_pct: Decimal
    kind: str = "badge"


@dataclass(frozen=True)
class Promotion:
    key: str
    label: str
    metric: str
    level_pct: Decimal
    periods: int
    required_course_codes: tuple[str, ...] = ()
    kind: str = "promotion"


Component = Tiered | Commission | Spiff | BadgeRule | Promotion


class _Reader:
    """Reads typed values out of one component dict, collecting problems instead of failing."""

    def __init__(self, data: dict[str, Any], path: str, problems: list[Problem]) -> None:
        self.data, self.path, self.problems = data, path, problems

    def problem(self, name: str, code: str, **params: Any) -> None:
        self.problems.append(Problem(f"{self.path}.{name}" if name else self.path, code, params))

    def decimal(
        self,
        name: str,
        *,
        required: bool = True,
        minimum: Decimal | None = Decimal(0),
        default: Decimal | None = None,
        data: dict[str, Any] | None = None,
        path: str = "",
    ) -> Decimal | None:
        source = self.data if data is None else data
        where = f"{path}.{name}" if path else name
        raw = source.get(name)
        if raw is None or raw == "":
            if required and default is None:
                self.problem(where, "required")
            return default
        if isinstance(raw, float):
            self.problem(where, "not_a_number")  # never floats: "12.5" as a string
            return default
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            self.problem(where, "not_a_number")
            return default
        if not value.is_finite():
            self.problem(where, "not_a_number")
            return default
        if minimum is not None and value < minimum:
            self.problem(where, "min_value", minimum=str(minimum))
        return value

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = str(self.data.get(name) or "").strip()
        if required and not value:
            self.problem(name, "required")
        return value or default


def _bands(r: _Reader, threshold: Decimal | None) -> tuple[Band, ...]:
    raw = r.data.get("bands")
    if not isinstance(raw, list) or not raw:
        r.problem("bands", "bands_required")
        return ()
    bands: list[Band] = []
    for i, item in enumerate(raw):
        where = f"bands.{i}"
        if not isinstance(item, dict):
            r.problem(where, "invalid")
            continue
        lo = r.decimal("from_pct", data=item, path=where)
        hi = r.decimal("to_pct", data=item, path=where, required=False)
        mode = str(item.get("mode") or "linear")
        if mode not in BAND_MODES:
            r.problem(f"{where}.mode", "invalid_choice", value=mode)
        rate = r.decimal("rate", data=item, path=where, required=False, default=Decimal(0))
        step = r.decimal("step_pct", data=item, path=where, required=False, default=Decimal(0))
        if lo is None:
            continue
        if hi is not None and hi <= lo:
            r.problem(f"{where}.to_pct", "band_empty", start=str(lo), end=str(hi))
        if hi is None and i != len(raw) - 1:
            r.problem(f"{where}.to_pct", "open_band_not_last")
        if i == 0 and threshold is not None and lo != threshold:
            r.problem(f"{where}.from_pct", "first_band_at_threshold", threshold=str(threshold))
        if bands and bands[-1].to_pct is not None and lo != bands[-1].to_pct:
            r.problem(
                f"{where}.from_pct",
                "bands_not_contiguous",
                previous=str(bands[-1].to_pct),
                start=str(lo),
            )
        bands.append(Band(lo, hi, mode, rate or Decimal(0), step or Decimal(0)))
    return tuple(bands)


def _tiers(r: _Reader) -> tuple[Tier, ...]:
    raw = r.data.get("tiers")
    if not isinstance(raw, list) or not raw:
        r.problem("tiers", "tiers_required")
        return ()
    tiers: list[Tier] = []
    for i, item in enumerate(raw):
        where = f"tiers.{i}"
        if not isinstance(item, dict):
            r.problem(where, "invalid")
            continue
        lo = r.decimal("from_amount", data=item, path=where)
        hi = r.decimal("to_amount", data=item, path=where, required=False)
        rate = r.decimal("rate_pct", data=item, path=where)
        if lo is None or rate is None:
            continue
        if i == 0 and lo != 0:
            r.problem(f"{where}.from_amount", "first_tier_at_zero")
        if hi is not None and hi <= lo:
            r.problem(f"{where}.to_amount", "band_empty", start=str(lo), end=str(hi))
        if hi is None and i != len(raw) - 1:
            r.problem(f"{where}.to_amount", "open_band_not_last")
        if tiers and tiers[-1].to_amount is not None and lo != tiers[-1].to_amount:
            r.problem(
                f"{where}.from_amount",
                "bands_not_contiguous",
                previous=str(tiers[-1].to_amount),
                start=str(lo),
            )
        tiers.append(Tier(lo, hi, rate))
    return tuple(tiers)


def _tiered(r: _Reader, key: str, label: str) -> Tiered:
    threshold = r.decimal("threshold_pct", default=Decimal(0), required=False)
    bands = _bands(r, threshold)
    accelerator = r.decimal("accelerator", required=False, default=Decimal(1), minimum=Decimal(1))
    cap = r.decimal("cap_pct", required=False)
    target_amount = r.decimal("target_amount")
    if target_amount is not None and target_amount <= 0:
        r.problem("target_amount", "positive")
    tiered = Tiered(
        key=key,
        label=label,
        metric=r.text("metric", required=False, default="revenue"),
        target_amount=target_amount or Decimal(0),
        threshold_pct=threshold or Decimal(0),
        bands=bands,
        accelerator=accelerator or Decimal(1),
        cap_pct=cap,
    )
    if cap is not None and bands:
        floor = bands[0].step_pct
        if cap < floor:
            r.problem("cap_pct", "cap_below_floor", cap=str(cap), floor=str(floor))
    return tiered


def _component(data: Any, index: int, problems: list[Problem]) -> Component | None:
    path = f"components.{index}"
    if not isinstance(data, dict):
        problems.append(Problem(path, "invalid"))
        return None
    r = _Reader(data, path, problems)
    kind = data.get("kind")
    if kind not in KINDS:
        r.problem("kind", "invalid_choice", value=str(kind))
        return None
    key = str(data.get("key") or f"{kind}-{index + 1}")
    label = r.text("label", required=False, default=key)
    if kind == "tiered":
        return _tiered(r, key, label)
    if kind == "commission":
        metric = r.text("metric", required=False, default="revenue")
        return Commission(key=key, label=label, metric=metric, tiers=_tiers(r))
    if kind == "spiff":
        event = str(data.get("event") or "won_deal")
        if event not in SPIFF_EVENTS:
            r.problem("event", "invalid_choice", value=event)
        amount = r.decimal("amount")
        if amount is not None and amount <= 0:
            r.problem("amount", "positive")
        minimum = r.decimal("min_deal_amount", required=False, default=Decimal(0))
        max_count = data.get("max_count")
        if max_count in ("", None):
            max_count = None
        elif not isinstance(max_count, int) or isinstance(max_count, bool) or max_count < 1:
            r.problem("max_count", "min_value", minimum="1")
            max_count = None
        return Spiff(key, label, event, amount or Decimal(0), minimum or Decimal(0), max_count)
    if kind == "badge":
        badge = r.text("badge")
        metric = r.text("metric", required=False, default="revenue")
        minimum = r.decimal("min_attainment_pct")
        return BadgeRule(key, label, badge, metric, minimum or Decimal(0))
    # promotion
    metric = r.text("metric", required=False, default="revenue")
    level = r.decimal("level_pct")
    periods = data.get("periods")
    if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
        r.problem("periods", "min_value", minimum="1")
        periods = 1
    codes = data.get("required_course_codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) and c.strip() for c in codes):
        r.problem("required_course_codes", "invalid")
        codes = []
    return Promotion(
        key, label, metric, level or Decimal(0), periods, tuple(c.strip() for c in codes)
    )


def parse_components(raw: Any) -> list[Component]:
    """Typed components from a plan's JSON, or `PlanInvalid` listing every problem."""
    problems: list[Problem] = []
    if not isinstance(raw, list):
        raise PlanInvalid([Problem("components", "invalid")])
    components = [_component(item, i, problems) for i, item in enumerate(raw)]
    keys = [c.key for c in components if c is not None]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            problems.append(Problem(f"components.{i}.key", "duplicate_key", {"key": key}))
    if problems:
        raise PlanInvalid(problems)
    return [c for c in components if c is not None]


def validate_components(raw: Any) -> list[Problem]:
    try:
        parse_components(raw)
    except PlanInvalid as error:
        return error.problems
    return []
