"""Value types of the decomposition engine (pure Python: no Django, no ORM).

Money is integer minor units everywhere: every value of an `Allocation` is an `int`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OwnerKey = tuple[str, int]  # ("unit", 12) or ("rep", 345)
CellKey = tuple[OwnerKey, int]  # (owner, period_id)
Allocation = dict[CellKey, int]  # a value for every (owner, period) pair

PERIOD_KINDS = ("year", "quarter", "month", "week")


@dataclass(frozen=True, slots=True)
class PeriodNode:
    """One period of the fiscal year tree: year ⊃ quarter ⊃ month ⊃ week."""

    id: int
    kind: str  # "year" | "quarter" | "month" | "week"
    parent: int | None  # year has None; quarter->year, month->quarter, week->month
    working_days: int  # >= 0


@dataclass(frozen=True, slots=True)
class OwnerNode:
    """One owner of the org tree (a unit or a rep); siblings keep the order of the list."""

    key: OwnerKey
    parent: OwnerKey | None  # the root has None


@dataclass
class Problem:
    """Everything `decompose`, `inherit` and `verify` need.

    - `periods`: exactly one year with its quarters, months and weeks (any order; the
      children of a period are ordered by id, so ties go to the lower id).
    - `owners`: a tree with exactly one root; the order of the list is the sibling order.
    - `total`: the root's year value (>= 0), unless the root's year cell is locked.
    - `seeds`: per owner, per WEEK id, a seasonal weight >= 0. A missing owner or week means
      the week's working days. Month / quarter / year seeds are sums of their weeks. A zero
      seed is structural: the owner gets 0 there unless a lock says otherwise.
    - `owner_weights`: weight of an owner among its siblings for the year split (missing = 1).
    - `locked`: cells whose value is fixed (any owner, any period kind).
    - `factor_bp`: over-assignment of a node in basis points (missing = 10000): its children
      add up to its cells scaled by factor_bp / 10000.
    """

    periods: list[PeriodNode]
    owners: list[OwnerNode]
    total: int
    seeds: dict[OwnerKey, dict[int, float | int]] = field(default_factory=dict)
    owner_weights: dict[OwnerKey, float | int] = field(default_factory=dict)
    locked: dict[CellKey, int] = field(default_factory=dict)
    factor_bp: dict[OwnerKey, int] = field(default_factory=dict)


class SplitImpossible(Exception):
    """A split cannot honour its locks / zero seeds. Nothing is returned or changed.

    Structured fields for the caller (which translates them for people):
    - `code`: "locks_exceed_total" (locked or fixed values exceed what is to be split),
      "no_capacity" (a positive amount has no cell that may take it: zero seeds / weights and
      locks leave no room), "negative_value" (a negative lock or total).
    - `owner`, `period_id`: the node and period whose split failed (when known).
    - `rows`, `periods`: the owners and periods at fault (decompose fills these).
    - `row_indices`, `col_indices`: the same as indices, as raised by `split` / `fit_block`.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        owner: OwnerKey | None = None,
        period_id: int | None = None,
        rows: list[OwnerKey] | None = None,
        periods: list[int] | None = None,
        row_indices: list[int] | None = None,
        col_indices: list[int] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.owner = owner
        self.period_id = period_id
        self.rows: list[OwnerKey] = list(rows or [])
        self.periods: list[int] = list(periods or [])
        self.row_indices: list[int] = list(row_indices or [])
        self.col_indices: list[int] = list(col_indices or [])

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"SplitImpossible({self.code!r}, {self.message!r})"
