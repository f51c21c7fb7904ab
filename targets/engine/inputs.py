"""Per-owner inputs of `decompose`: seeds in canonical order, locks and their fixed masses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .trees import PeriodTree
from .types import OwnerKey, SplitImpossible


class Seeds:
    """Canonical full-length seed lists per owner; equal seeds share one list object."""

    def __init__(self, pt: PeriodTree, seeds: Mapping[OwnerKey, Mapping[int, float | int]]):
        self.pt = pt
        self.seeds = seeds
        self.week_ids = pt.ids[pt.week_start :]
        self.week_set = frozenset(self.week_ids)
        self.default = pt.aggregate(pt.week_wd)
        self.cache: dict[tuple[float | int, ...], list[float | int]] = {
            tuple(pt.week_wd): self.default
        }

    def get(self, key: OwnerKey) -> list[float | int]:
        s = self.seeds.get(key)
        if not s:
            return self.default
        if not s.keys() <= self.week_set:
            raise ValueError(f"seeds of {key} name periods that are not weeks")
        weeks = tuple(map(s.get, self.week_ids, self.pt.week_wd))
        full = self.cache.get(weeks)
        if full is None:
            if min(weeks) < 0:
                raise ValueError(f"seeds of {key} must be >= 0")
            full = self.cache[weeks] = self.pt.aggregate(weeks)
        return full


def lock_masses(
    pt: PeriodTree, lk: Mapping[int, int], seed: Sequence[float | int], owner: OwnerKey
) -> tuple[list[int], list[float | int]]:
    """Per period index: the locked mass strictly below it (maximal locked descendants) and
    its free seed (the seed of its descendants outside any lock)."""
    fixed = [0] * pt.size
    free: list[float | int] = list(seed)
    for p in reversed(pt.parents):
        lo, hi = pt.child_range[p]
        mass = 0
        fs: float | int = 0
        for j in range(lo, hi):
            if j in lk:
                mass += lk[j]
            else:
                mass += fixed[j]
                fs += free[j]
        fixed[p] = mass
        free[p] = fs
        if p in lk and mass > lk[p]:
            raise SplitImpossible(
                "locks_exceed_total",
                f"locked periods inside {pt.kinds[p]} {pt.ids[p]} of {owner} add up to {mass},"
                f" more than its locked value {lk[p]}",
                owner=owner,
                period_id=pt.ids[p],
                rows=[owner],
                periods=[pt.ids[j] for j in range(lo, hi) if j in lk or fixed[j]],
            )
    return fixed, free


class OwnerData:
    """What the engine needs per owner: its seed, locks, fixed masses and free seed."""

    __slots__ = ("fixed", "free", "key", "locks", "seed", "weight")

    def __init__(self, key: OwnerKey, seed: list[float | int], weight: float | int) -> None:
        self.key = key
        self.locks: dict[int, int] | None = None
        self.fixed: list[int] | None = None
        self.seed = seed
        self.free: list[float | int] = seed  # replaced by the free seed when there are locks
        self.weight = weight
